"""The signed freeze record: the state `freeze check` reads, bound to the store's key.

`freeze_entries` holds one digest per incident that freezes deploys (of its id, severity,
status, labels, declarer and role holders); `freeze_record` is one row signing the root of those
digests. Both start empty: `fireline init` signs the first record from a replay of the ledger.

Revision ID: 0009
Revises: 0008 (the transparency log)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "freeze_record",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_table(
        "freeze_entries",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("freeze_entries")
    op.drop_table("freeze_record")
