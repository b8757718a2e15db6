"""Initial store: the event ledger, chain heads with signed checkpoints, and projections.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def _incident() -> sa.Column[str]:
    return sa.Column("incident_id", sa.String(32), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "events",
        _incident(),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        _ts("ts"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "heads",
        _incident(),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
        _ts("ts"),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("severity_rank", sa.Integer, nullable=False),
        sa.Column("ladder", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("impact", sa.Text, nullable=False),
        sa.Column("systems", sa.JSON, nullable=False),
        sa.Column("datasets", sa.JSON, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
        _ts("declared_at"),
        sa.Column("declared_by", sa.String(64), nullable=False),
        _ts("detected_at", nullable=True),
        _ts("mitigated_at", nullable=True),
        _ts("resolved_at", nullable=True),
        _ts("closed_at", nullable=True),
        _ts("last_update_at", nullable=True),
        _ts("next_update_due", nullable=True),
    )
    op.create_index("ix_incidents_status", "incidents", ["status"])
    op.create_table(
        "role_assignments",
        _incident(),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        _ts("assigned_at"),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        _ts("released_at", nullable=True),
        sa.Column("released_seq", sa.Integer, nullable=True),
    )
    op.create_table(
        "timeline",
        _incident(),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        _ts("ts"),
        _ts("at", nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.Column("corrects_seq", sa.Integer, nullable=True),
        sa.Column("corrected_by_seq", sa.Integer, nullable=True),
        sa.Column("erased_by_seq", sa.Integer, nullable=True),
    )
    op.create_table(
        "updates",
        _incident(),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        _ts("ts"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        _ts("next_update_at", nullable=True),
    )
    op.create_table(
        "action_items",
        _incident(),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("due", sa.String(10), nullable=True),
        sa.Column("priority", sa.String(4), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("created_at"),
        sa.Column("created_by", sa.String(64), nullable=False),
        _ts("completed_at", nullable=True),
        sa.Column("completed_by", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("action_items", "updates", "timeline", "role_assignments", "incidents"):
        op.drop_table(table)
    op.drop_table("heads")
    op.drop_table("events")
