"""Deadlines: the `obligations` projection and the scheduler's `deadline_marks`.

`obligations` holds one row per incident and obligation (opened, then met or missed);
`deadline_marks` one row per recorded reminder, overdue slot or missed obligation, keyed so a
second tick finds it and records nothing. Both are projections: `fireline rebuild` replays them.

Revision ID: 0013
Revises: 0010 (core seams)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"  # after 0011_alerts
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "obligations",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(200), nullable=False),
        sa.Column("opened_seq", sa.Integer, nullable=False),
        _ts("opened_at"),
        _ts("due_at"),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("closed_seq", sa.Integer, nullable=True),
        _ts("closed_at", nullable=True),
        sa.Column("met_by", sa.String(64), nullable=True),
        sa.Column("evidence", sa.Text, nullable=True),
        sa.Column("channel", sa.String(64), nullable=True),
    )
    op.create_index("obligations_status_due", "obligations", ["status", "due_at"])
    op.create_table(
        "deadline_marks",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deadline_marks")
    op.drop_table("obligations")
