"""Governed switches and affected datasets: `incident_switches`, `incident_datasets`.

Projection tables (replayed by `fireline rebuild`, audited by `fireline verify`): one row per
incident and switch it touched, and one per dataset or version it names, with its state.
Datasets named at declaration are backfilled as `suspected`, exactly as replaying each
`incident.declared` gives them.

Revision ID: 0016
Revises: 0012 (re-chained by the integrator at merge)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_switches",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("switch", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("normal", sa.Boolean, nullable=False),
        sa.Column("changed_seq", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.String(32), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("approver", sa.String(64), nullable=True),
        sa.Column("handed_from", sa.String(32), nullable=True),
        sa.Column("stable_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_incident_switches_latest", "incident_switches", ["switch", "changed_at"])
    op.create_table(
        "incident_datasets",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("dataset_id", sa.String(200), primary_key=True),
        sa.Column("version_id", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("changed_seq", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.String(32), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.engine.Connection) -> None:
    import json

    datasets = sa.table(
        "incident_datasets",
        *(
            sa.column(name)
            for name in (
                "incident_id",
                "dataset_id",
                "version_id",
                "state",
                "changed_seq",
                "changed_at",
                "changed_by",
                "reason",
            )
        ),
    )
    rows = conn.execute(sa.text("SELECT id, datasets, declared_at, declared_by FROM incidents"))
    for incident_id, named, declared_at, declared_by in rows:
        values = {}
        for item in json.loads(named) if isinstance(named, str) else named:
            key = (item["dataset_id"], item.get("version_id") or "")
            values[key] = {
                "incident_id": incident_id,
                "dataset_id": key[0],
                "version_id": key[1],
                "state": "suspected",
                "changed_seq": 1,
                "changed_at": declared_at,
                "changed_by": declared_by,
                "reason": "named at declaration",
            }
        if values:
            conn.execute(datasets.insert(), list(values.values()))


def downgrade() -> None:
    op.drop_table("incident_datasets")
    op.drop_index("ix_incident_switches_latest", table_name="incident_switches")
    op.drop_table("incident_switches")
