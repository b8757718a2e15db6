"""Runbooks inside incidents: attached checklists and their items.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "checklists",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("checklist", sa.String(128), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("builtin", sa.Boolean, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("git_blob", sa.String(40), nullable=False),
        sa.Column("git_commit", sa.String(40), nullable=True),
        _ts("attached_at"),
        sa.Column("attached_by", sa.String(64), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
    )
    op.create_table(
        "checklist_items",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("checklist", sa.String(128), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("section", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("checked", sa.Boolean, nullable=False),
        _ts("changed_at", nullable=True),
        sa.Column("changed_by", sa.String(64), nullable=True),
        sa.Column("changed_seq", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("checklist_items")
    op.drop_table("checklists")
