"""Payload salts: event format v2 commits to sha256(salt ‖ payload) so a digest hides its text.

Existing rows keep a NULL salt (format v1, sha256 of the bare payload) and verify as before.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("payload_salt", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("payload_salt")
