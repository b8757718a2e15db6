"""Notification channels, subscriptions, channel secrets and the outbox.

`channels` and `subscriptions` are projections of the registry chain's `channel.*` and
`subscription.*` events; `channel_secrets` holds what those events only digest (webhook URLs,
SMTP passwords, signing keys) and is never exported; `outbox` holds one row per (event,
channel) a subscription matched, written in the event's own transaction.

Revision ID: 0012
Revises: 0010 (core seams; re-chained by the integrator at merge)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("drills", sa.Boolean, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("severities", sa.JSON, nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "channel_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(32), nullable=False),
        sa.Column("event_seq", sa.Integer, nullable=False),
        sa.Column("event_kind", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("due_at", sa.String(32), nullable=False),
        sa.Column("lease_until", sa.String(32), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("done_at", sa.String(32), nullable=True),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    for table in ("outbox", "channel_secrets", "subscriptions", "channels"):
        op.drop_table(table)
