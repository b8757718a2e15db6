"""Alert intake: sources, the append-only alert records, alerts, groups and deliveries.

All but `alert_source_keys` are projections of the ALERTS chain; that one holds the HMAC keys
of generic senders (never on the chain, never exported).

Revision ID: 0011
Revises: 0010 (core seams: system actors and drills)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert_sources",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("auth", sa.String(8), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        _ts("added_at"),
        sa.Column("added_by", sa.String(64), nullable=False),
        _ts("removed_at", nullable=True),
    )
    op.create_table(
        "alert_source_keys",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("key", sa.Text, nullable=False),
    )
    op.create_table(
        "alert_records",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("group_id", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        _ts("starts_at", nullable=True),
        _ts("ends_at", nullable=True),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("annotations", sa.Text, nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        _ts("received_at"),
    )
    op.create_index("ix_alert_records_group_id", "alert_records", ["group_id"])
    op.create_table(
        "alert_deliveries",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("body_sha256", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("fingerprint", sa.String(200), primary_key=True),
        sa.Column("group_id", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        _ts("starts_at", nullable=True),
        _ts("ends_at", nullable=True),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("annotations", sa.Text, nullable=False),
        _ts("first_seen"),
        _ts("last_seen"),
        sa.Column("changes", sa.Integer, nullable=False),
    )
    op.create_index("ix_alerts_group_id", "alerts", ["group_id"])
    op.create_table(
        "alert_groups",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("firing", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("flapping", sa.Boolean, nullable=False),
        sa.Column("transitions", sa.Text, nullable=False),
        _ts("first_seen"),
        _ts("last_seen"),
        sa.Column("incident_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("routed_status", sa.String(8), nullable=True),
        sa.Column("suggestions", sa.Text, nullable=False),
    )
    op.create_index("ix_alert_groups_source", "alert_groups", ["source"])
    op.create_index("ix_alert_groups_incident_id", "alert_groups", ["incident_id"])


def downgrade() -> None:
    for name in (
        "alert_groups",
        "alerts",
        "alert_deliveries",
        "alert_records",
        "alert_source_keys",
        "alert_sources",
    ):
        op.drop_table(name)
