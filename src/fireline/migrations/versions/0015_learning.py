"""The learning half: the milestone projection metrics read, public updates, drills done.

Both are projections: an upgraded store fills them with `fireline rebuild` (the migration
creates them empty; metrics over an older store's incidents are empty until then).

Revision ID: 0015
Revises: 0014 (the postmortems)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0016"  # after 0016_switches
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "milestones",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("severity_rank", sa.Integer, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("drill", sa.Boolean, nullable=False),
        _ts("declared_at"),
        _ts("started_at", nullable=True),
        _ts("detected_at", nullable=True),
        _ts("acknowledged_at", nullable=True),
        _ts("mitigated_at", nullable=True),
        _ts("resolved_at", nullable=True),
        _ts("closed_at", nullable=True),
        _ts("update_due", nullable=True),
        sa.Column("updates_on_time", sa.Integer, nullable=False),
        sa.Column("updates_late", sa.Integer, nullable=False),
        sa.Column("updates_overdue", sa.Integer, nullable=False),
        sa.Column("obligations", sa.JSON, nullable=False),
        sa.Column("postmortem_due", sa.String(10), nullable=True),
        _ts("postmortem_done_at", nullable=True),
    )
    op.create_index("ix_milestones_declared_at", "milestones", ["declared_at"])
    op.create_table(
        "public_updates",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        _ts("ts"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("impact", sa.Text, nullable=False),
        _ts("next_update_at", nullable=True),
    )
    op.create_table(
        "drills",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(64), nullable=False),
        _ts("completed_at"),
        sa.Column("completed_by", sa.String(64), nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("findings", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("drills")
    op.drop_table("public_updates")
    op.drop_index("ix_milestones_declared_at", table_name="milestones")
    op.drop_table("milestones")
