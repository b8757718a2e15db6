"""Read models of the alert projections: groups, their alerts and records, sources.

Alerts are not incidents: whoever may read the store (a read-scope token, a local user, a
signed-in viewer) may read them; the CLI, the API and the web page mask them for the viewer
like every view. `firing_groups` (also at `fireline.intake.queries`) is the seam other
features use (the switches' stability window: no alert still firing on the incident).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import alert_groups, alert_records, alert_sources, alerts
from fireline.errors import InvalidCommandError, NotFoundError

_GROUP_ID_LENGTH = 16


def firing_groups(conn: Connection, incident_id: str) -> list[str]:
    """The ids of the alert groups linked to `incident_id` that still have a firing alert."""
    rows = conn.execute(
        sa.select(alert_groups.c.id)
        .where(alert_groups.c.incident_id == incident_id, alert_groups.c.status == "firing")
        .order_by(alert_groups.c.id)
    )
    return [row.id for row in rows]


def _group(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source,
        "key": row.key,
        "labels": json.loads(row.labels),
        "status": row.status,
        "firing": row.firing,
        "total": row.total,
        "flapping": bool(row.flapping),
        "first_seen": row.first_seen,
        "last_seen": row.last_seen,
        "incident_id": row.incident_id,
        "action": row.action,
        "suggestions": json.loads(row.suggestions),
    }


def list_groups(
    conn: Connection,
    *,
    firing: bool = False,
    source: str | None = None,
    incident_id: str | None = None,
) -> list[dict[str, Any]]:
    """Alert groups, firing ones first, most recently seen first."""
    query = sa.select(alert_groups)
    if firing:
        query = query.where(alert_groups.c.status == "firing")
    if source is not None:
        query = query.where(alert_groups.c.source == source)
    if incident_id is not None:
        query = query.where(alert_groups.c.incident_id == incident_id)
    query = query.order_by(
        (alert_groups.c.status == "firing").desc(),
        alert_groups.c.last_seen.desc(),
        alert_groups.c.id,
    )
    return [_group(row) for row in conn.execute(query)]


def get_group(conn: Connection, group_id: str, *, records: int = 50) -> dict[str, Any]:
    """One group with its alerts and latest records (NotFoundError if there is none)."""
    if len(group_id) != _GROUP_ID_LENGTH or not all(c in "0123456789abcdef" for c in group_id):
        raise InvalidCommandError(
            f"malformed alert group id {group_id[:40]!r}; ids are 16 hex digits"
        )
    row = conn.execute(sa.select(alert_groups).where(alert_groups.c.id == group_id)).first()
    if row is None:
        raise NotFoundError(f"no alert group {group_id}")
    group = _group(row)
    group["alerts"] = [
        {
            "fingerprint": a.fingerprint,
            "status": a.status,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "labels": json.loads(a.labels),
            "annotations": json.loads(a.annotations),
            "first_seen": a.first_seen,
            "last_seen": a.last_seen,
            "changes": a.changes,
        }
        for a in conn.execute(
            sa.select(alerts)
            .where(alerts.c.group_id == group_id)
            .order_by((alerts.c.status == "firing").desc(), alerts.c.fingerprint)
        )
    ]
    group["records"] = [
        {
            "seq": r.seq,
            "fingerprint": r.fingerprint,
            "status": r.status,
            "received_at": r.received_at,
            "body_sha256": r.body_sha256,
        }
        for r in conn.execute(
            sa.select(alert_records)
            .where(alert_records.c.group_id == group_id)
            .order_by(alert_records.c.seq.desc(), alert_records.c.number.desc())
            .limit(records)
        )
    ]
    return group


def list_sources(conn: Connection) -> list[dict[str, Any]]:
    """Active sources: name, kind, how they authenticate and when they were added (no secret)."""
    rows = conn.execute(
        sa.select(alert_sources)
        .where(alert_sources.c.removed_at.is_(None))
        .order_by(alert_sources.c.name)
    )
    return [
        {
            "name": r.name,
            "kind": r.kind,
            "auth": r.auth,
            "added_at": r.added_at,
            "added_by": r.added_by,
        }
        for r in rows
    ]
