"""The runbook index: a cache of indexed runbook files and the backend's full-text structure.

SQLite gets an FTS5 virtual table, PostgreSQL a tsvector table with a GIN index; both are named
`runbook_fts` and kept outside the Core metadata (see `db.is_backend_search_table`).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runbook_index",
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("runbook_id", sa.String(255), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("names", sa.JSON, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("indexed_at", sa.String(32), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE runbook_fts USING fts5("
            "path UNINDEXED, title, content, tokenize = 'porter unicode61')"
        )
    else:
        op.create_table(
            "runbook_fts",
            sa.Column("path", sa.String(1024), primary_key=True),
            sa.Column("document", sa.dialects.postgresql.TSVECTOR, nullable=False),
        )
        op.create_index("runbook_fts_document", "runbook_fts", ["document"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("runbook_fts")
    op.drop_table("runbook_index")
