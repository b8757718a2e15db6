"""Drills: an incident declared `--drill` is an exercise, kept apart from real response.

`incidents.drill` is projected from `incident.declared`'s `drill` field (absent, so false, in
events recorded before drills existed).

Revision ID: 0010
Revises: 0009 (the signed freeze record)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("drill", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("drill")
