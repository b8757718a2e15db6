"""Read models over the deadline tables: obligations, the scheduler's marks, what is due.

Reads only (the projections write these tables). Used by the handlers under the chain lock,
by the scheduler to find incidents worth locking, and by the read service.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import deadline_marks, incidents, obligations, role_assignments
from fireline.domain import iso_utc


@dataclass(frozen=True)
class Obligation:
    """One deadline an incident owes, and how it ended (met by whom or which delivery, missed)."""

    name: str
    title: str
    owner: str
    channels: list[str]
    source: str
    trigger: str
    opened_seq: int
    opened_at: str
    due_at: str
    status: str
    closed_seq: int | None
    closed_at: str | None
    met_by: str | None
    evidence: str | None
    channel: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = [c for c in obligations.c if c.name != "incident_id"]


def list_obligations(conn: Connection, incident_id: str) -> list[Obligation]:
    """The incident's obligations, soonest due first."""
    query = (
        sa.select(*_COLUMNS)
        .where(obligations.c.incident_id == incident_id)
        .order_by(obligations.c.due_at, obligations.c.name)
    )
    return [_obligation(row._mapping) for row in conn.execute(query)]


def get_obligation(conn: Connection, incident_id: str, name: str) -> Obligation | None:
    row = conn.execute(
        sa.select(*_COLUMNS).where(
            obligations.c.incident_id == incident_id, obligations.c.name == name
        )
    ).first()
    return None if row is None else _obligation(row._mapping)


def _obligation(row: Any) -> Obligation:
    values = dict(row)
    values["channels"] = list(values["channels"] or [])
    return Obligation(**values)


def list_marks(conn: Connection, incident_id: str) -> frozenset[tuple[str, str]]:
    """What the scheduler already recorded on the incident, as (kind, key)."""
    rows = conn.execute(
        sa.select(deadline_marks.c.kind, deadline_marks.c.key).where(
            deadline_marks.c.incident_id == incident_id
        )
    )
    return frozenset((kind, key) for kind, key in rows)


def role_holders(conn: Connection, incident_id: str, role: str) -> tuple[str, ...]:
    rows = conn.execute(
        sa.select(role_assignments.c.holder)
        .where(
            role_assignments.c.incident_id == incident_id,
            role_assignments.c.role == role,
            role_assignments.c.released_at.is_(None),
        )
        .order_by(role_assignments.c.seq)
    )
    return tuple(holder for (holder,) in rows)


def last_update_at(conn: Connection, incident_id: str) -> str | None:
    return conn.execute(
        sa.select(incidents.c.last_update_at).where(incidents.c.id == incident_id)
    ).scalar()


def list_candidates(conn: Connection, *, update_before: datetime, at: datetime) -> list[str]:
    """Incidents that may have something to record: an update due before `update_before` (the
    reminder horizon) while the response goes on, or an open obligation due by `at`.

    A superset: the handler decides under the chain lock, against the marks.
    """
    updates = sa.select(incidents.c.id).where(
        incidents.c.next_update_due.is_not(None),
        incidents.c.next_update_due <= iso_utc(update_before),
        incidents.c.status.not_in(("resolved", "closed")),
    )
    owed = sa.select(obligations.c.incident_id).where(
        obligations.c.status == "open", obligations.c.due_at <= iso_utc(at)
    )
    rows = conn.execute(sa.union(updates, owed))
    return sorted({incident_id for (incident_id,) in rows})
