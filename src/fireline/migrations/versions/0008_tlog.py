"""The store-wide transparency log: leaves, stored subtrees, the tree head, signed checkpoints.

Events already in the store are logged in the order they were written (timestamp, then chain
and seq, which keeps every chain in seq order), so an upgraded store verifies like a new one.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tlog_leaves",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("event_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("chain_id", "seq", name="uq_tlog_leaves_chain_seq"),
    )
    op.create_table(
        "tlog_nodes",
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    head = op.create_table(
        "tlog_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("frontier", sa.Text, nullable=False),
    )
    op.create_table(
        "tlog_checkpoints",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0, "frontier": ""}])
    from fireline.ledger import tlog  # the same integration code every append runs

    conn = op.get_bind()
    events = sa.table(
        "events",
        sa.column("incident_id"),
        sa.column("seq"),
        sa.column("ts"),
        sa.column("hash"),
    )
    rows = conn.execute(
        sa.select(events.c.incident_id, events.c.seq, events.c.hash).order_by(
            events.c.ts, events.c.incident_id, events.c.seq
        )
    ).all()
    for chain_id, seq, event_hash in rows:
        tlog.append(conn, chain_id, [(seq, event_hash)])


def downgrade() -> None:
    for name in ("tlog_checkpoints", "tlog_head", "tlog_nodes", "tlog_leaves"):
        op.drop_table(name)
