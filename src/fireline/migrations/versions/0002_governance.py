"""Governance: the policy digest on every event, users, breakglass grants, gate exceptions,
and the freeze, postmortem and governance-review state of incidents.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("policy", sa.String(64), nullable=True))
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("freeze", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(_ts("freeze_lifted_at", nullable=True))
        batch.add_column(sa.Column("postmortem_due", sa.String(10), nullable=True))
        batch.add_column(sa.Column("postmortem_owner", sa.String(64), nullable=True))
        batch.add_column(_ts("postmortem_done_at", nullable=True))
        batch.add_column(_ts("governance_reviewed_at", nullable=True))
        batch.add_column(sa.Column("governance_reviewed_by", sa.String(64), nullable=True))
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("clearances", sa.JSON, nullable=False),
        _ts("added_at"),
        sa.Column("added_by", sa.String(64), nullable=False),
        _ts("updated_at"),
    )
    op.create_table(
        "breakglass",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("grantee", sa.String(64), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        _ts("granted_at"),
        sa.Column("granted_by", sa.String(64), nullable=False),
        _ts("expires_at"),
        _ts("revoked_at", nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "gate_exceptions",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("gate", sa.String(32), nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        _ts("requested_at"),
        sa.Column("approvals", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gate_exceptions")
    op.drop_table("breakglass")
    op.drop_table("users")
    with op.batch_alter_table("incidents") as batch:
        for column in (
            "governance_reviewed_by",
            "governance_reviewed_at",
            "postmortem_done_at",
            "postmortem_owner",
            "postmortem_due",
            "freeze_lifted_at",
            "freeze",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("policy")
