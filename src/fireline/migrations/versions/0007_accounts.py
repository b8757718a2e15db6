"""Accounts: password verifiers and API tokens (projections of registry events), token last
use and the login throttle (operational state shared by every replica, never rebuilt).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "passwords",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("must_change", sa.Boolean, nullable=False),
        _ts("set_at"),
        sa.Column("set_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        _ts("created_at"),
        sa.Column("created_by", sa.String(64), nullable=False),
        _ts("expires_at"),
        _ts("revoked_at", nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "token_usage",
        sa.Column("token_id", sa.String(12), primary_key=True),
        _ts("last_used_at"),
    )
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        _ts("window_start", nullable=True),
        _ts("locked_until", nullable=True),
        sa.Column("lockouts", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_table("token_usage")
    op.drop_table("api_tokens")
    op.drop_table("passwords")
