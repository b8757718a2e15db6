"""Evidence: the index of files and references attached to incidents (blobs live on disk).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.Text, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("media_type", sa.String(128), nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        _ts("captured_at", nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("scanned", sa.Boolean, nullable=False),
        sa.Column("redacted", sa.JSON, nullable=False),
        sa.Column("sensitive", sa.JSON, nullable=False),
        _ts("added_at"),
        sa.Column("added_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_evidence_sha256", "evidence", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_evidence_sha256", table_name="evidence")
    op.drop_table("evidence")
