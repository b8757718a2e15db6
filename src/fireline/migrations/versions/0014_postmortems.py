"""Postmortems and verified action items.

`postmortems` holds one row per incident whose postmortem has begun: its template, the states
of its internal and external versions, its due date and the fold of its events. Action items
gain the verification that proves them, an optional tracker link, and who verified them when.

Revision ID: 0014
Revises: 0010 (re-chained by the integrator after 0011–0013)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"  # re-chained after 0011_alerts on the intake branch
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postmortems",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("template", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=True, index=True),
        sa.Column("external_state", sa.String(16), nullable=True),
        sa.Column("due", sa.String(10), nullable=True),
        sa.Column("doc", sa.JSON, nullable=False),
    )
    with op.batch_alter_table("action_items") as batch:
        batch.add_column(sa.Column("verification", sa.Text, nullable=True))
        batch.add_column(sa.Column("tracker", sa.Text, nullable=True))
        batch.add_column(sa.Column("verified_at", sa.String(32), nullable=True))
        batch.add_column(sa.Column("verified_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        for name in ("verified_by", "verified_at", "tracker", "verification"):
            batch.drop_column(name)
    op.drop_table("postmortems")
