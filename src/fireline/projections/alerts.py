"""Alert sources, records, alerts and groups, folded from the ALERTS chain's events.

Pure functions of the events like every projection: the handler decided each group's status
and flapping once and recorded them, so a replay reads no configuration and no clock. A
delivery's rows are written in a few statements (executemany), not one per alert.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import (
    DriverStatement,
    alert_deliveries,
    alert_groups,
    alert_records,
    alert_sources,
    alerts,
)
from fireline.ledger.chain import Event
from fireline.projections.kinds import Applier, Payload


def as_text(value: Any) -> str:
    """JSON text of labels and annotations, the same on every backend and every replay."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _source_added(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        alert_sources.insert(),
        {
            "name": p["name"],
            "kind": p["kind"],
            "auth": p["auth"],
            "secret_sha256": p["secret_sha256"],
            "added_at": event.ts,
            "added_by": event.actor,
            "removed_at": None,
        },
    )


def _source_removed(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        alert_sources.update().where(alert_sources.c.name == p["name"]).values(removed_at=event.ts)
    )


def _received(conn: Connection, event: Event, p: Payload) -> None:
    source = p["source"]
    records = p["alerts"]
    conn.execute(
        alert_deliveries.insert(),
        {"source": source, "body_sha256": p["body_sha256"], "seq": event.seq},
    )
    rows = [
        {
            "seq": event.seq,
            "number": number,
            "source": source,
            "fingerprint": a["fingerprint"],
            "group_id": a["group_id"],
            "status": a["status"],
            "starts_at": a["starts_at"],
            "ends_at": a["ends_at"],
            "labels": as_text(a["labels"]),
            "annotations": as_text(a["annotations"]),
            "body_sha256": p["body_sha256"],
            "received_at": event.ts,
        }
        for number, a in enumerate(records, start=1)
    ]
    _INSERT_RECORDS.execute_many(conn, rows)
    known: set[str] = set()
    names = [a["fingerprint"] for a in records]
    for start in range(0, len(names), 500):
        known.update(
            conn.execute(
                sa.select(alerts.c.fingerprint).where(
                    alerts.c.source == source, alerts.c.fingerprint.in_(names[start : start + 500])
                )
            ).scalars()
        )
    fresh = [r for r in rows if r["fingerprint"] not in known]
    seen = [r for r in rows if r["fingerprint"] in known]
    if fresh:
        _INSERT_ALERTS.execute_many(
            conn,
            [
                {
                    **{k: r[k] for k in _ALERT_FIELDS},
                    "source": source,
                    "first_seen": event.ts,
                    "last_seen": event.ts,
                    "changes": 1,
                }
                for r in fresh
            ],
        )
    if seen:
        _UPDATE_ALERTS.execute_many(
            conn,
            [
                {
                    "fp": r["fingerprint"],
                    "src": source,
                    "seen": event.ts,
                    **{f"v_{k}": r[k] for k in _ALERT_FIELDS if k != "fingerprint"},
                }
                for r in seen
            ],
        )
    for group in p["groups"]:
        values = {
            "status": group["status"],
            "firing": group["firing"],
            "total": group["total"],
            "flapping": group["flapping"],
            "transitions": as_text(group["transitions"]),
            "last_seen": event.ts,
        }
        if group["previous"] is None:
            conn.execute(
                alert_groups.insert(),
                {
                    **values,
                    "id": group["id"],
                    "source": source,
                    "key": group["key"],
                    "labels": as_text(group["labels"]),
                    "first_seen": event.ts,
                    "incident_id": None,
                    "action": None,
                    "routed_status": None,
                    "suggestions": "[]",
                },
            )
        else:
            conn.execute(
                alert_groups.update().where(alert_groups.c.id == group["id"]).values(values)
            )


_ALERT_FIELDS = (
    "fingerprint",
    "group_id",
    "status",
    "starts_at",
    "ends_at",
    "labels",
    "annotations",
)


_INSERT_RECORDS = DriverStatement(alert_records.insert())
_INSERT_ALERTS = DriverStatement(alerts.insert())
_UPDATE_ALERTS = DriverStatement(
    alerts.update()
    .where(alerts.c.source == sa.bindparam("src"), alerts.c.fingerprint == sa.bindparam("fp"))
    .values(
        {
            **{k: sa.bindparam(f"v_{k}") for k in _ALERT_FIELDS if k != "fingerprint"},
            "last_seen": sa.bindparam("seen"),
            "changes": alerts.c.changes + 1,
        }
    )
)


def _routed(conn: Connection, event: Event, p: Payload) -> None:
    values: dict[str, Any] = {"action": p["action"], "routed_status": p["status"]}
    if p["incident_id"] is not None:
        values["incident_id"] = p["incident_id"]
    if p["suggestions"]:
        values["suggestions"] = as_text(p["suggestions"])
    conn.execute(alert_groups.update().where(alert_groups.c.id == p["group_id"]).values(values))


HANDLERS: dict[str, Applier] = {
    "source.added": _source_added,
    "source.removed": _source_removed,
    "alert.received": _received,
    "alert.routed": _routed,
}
