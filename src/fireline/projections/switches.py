"""Governed switches and affected datasets: `incident_switches` and `incident_datasets`.

Each incident's rows come from its own chain alone (the projection audit replays one chain
at a time): a switch's row on an incident is what that incident last did to it. Which
incident holds a switch now is read across rows (`fireline.switches.state`), never written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import incident_datasets, incident_switches
from fireline.ledger.chain import Event
from fireline.projections.kinds import Applier, Payload

QUARANTINE_PREFIX = "quarantine:"  # as fireline.switches.spec names a version's quarantine
DECLARED_REASON = "named at declaration"


def _upsert(conn: Connection, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    where = [table.c[name] == value for name, value in key.items()]
    if conn.execute(sa.select(*table.primary_key.columns).where(*where)).first() is None:
        conn.execute(table.insert(), {**key, **values})
    else:
        conn.execute(table.update().where(*where).values(**values))


def _switch_row(conn: Connection, event: Event, switch: str, values: dict[str, Any]) -> None:
    _upsert(
        conn,
        incident_switches,
        {"incident_id": event.incident_id, "switch": switch},
        {"changed_seq": event.seq, "changed_at": event.ts, "changed_by": event.actor, **values},
    )


def _switch_set(conn: Connection, event: Event, p: Payload) -> None:
    _switch_row(
        conn,
        event,
        p["switch"],
        {
            "kind": p.get("kind", "switch"),
            "state": p["state"],
            "normal": p["normal"],
            "reason": p["reason"],
            "approver": p.get("approver"),
            "handed_from": None,
            "stable_at": p.get("stable_at"),
        },
    )


def _switch_handed_over(conn: Connection, event: Event, p: Payload) -> None:
    _switch_row(
        conn,
        event,
        p["switch"],
        {
            "kind": p.get("kind", "switch"),
            "state": p["state"],
            "normal": False,
            "reason": p["reason"],
            "approver": p.get("approver"),
            "handed_from": p["from_incident"],
            "stable_at": None,
        },
    )


def _dataset(
    conn: Connection, event: Event, dataset_id: str, version: str | None, state: str, reason: str
) -> None:
    _upsert(
        conn,
        incident_datasets,
        {"incident_id": event.incident_id, "dataset_id": dataset_id, "version_id": version or ""},
        {
            "state": state,
            "changed_seq": event.seq,
            "changed_at": event.ts,
            "changed_by": event.actor,
            "reason": reason,
        },
    )


def declared(conn: Connection, event: Event, p: Payload) -> None:
    """The datasets an incident was declared with: each suspected (called after the
    incident's own projection of `incident.declared`)."""
    for item in p.get("datasets", ()):
        _dataset(
            conn, event, item["dataset_id"], item.get("version_id"), "suspected", DECLARED_REASON
        )


def _dataset_marked(conn: Connection, event: Event, p: Payload) -> None:
    _dataset(conn, event, p["dataset_id"], p.get("version_id"), p["state"], p["reason"])
    if p["state"] in ("quarantined", "restored") and p.get("version_id"):
        quarantined = p["state"] == "quarantined"
        _switch_row(
            conn,
            event,
            f"{QUARANTINE_PREFIX}{p['dataset_id']}:{p['version_id']}",
            {
                "kind": "quarantine",
                "state": "quarantined" if quarantined else "released",
                "normal": not quarantined,
                "reason": p["reason"],
                "approver": p.get("approver"),
                "handed_from": None,
                "stable_at": p.get("stable_at"),
            },
        )


HANDLERS: dict[str, Applier] = {
    "switch.set": _switch_set,
    "switch.handed_over": _switch_handed_over,
    "dataset.marked": _dataset_marked,
}
