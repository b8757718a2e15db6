"""The only code that writes state tables: `apply(conn, event)` per event kind, and `rebuild`.

Projections are pure functions of the events, so dropping them and replaying the ledger gives the
identical state. They never read configuration or the clock: whatever they need is in the event.
Each module folds the kinds it owns (`HANDLERS`); every event also gets its timeline row here.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Connection

from fireline.db import PROJECTION_TABLES, DriverStatement, timeline
from fireline.domain import SENSITIVE_LOCATION
from fireline.ledger import store
from fireline.ledger.chain import Event
from fireline.projections import (
    alerts,
    channels,
    checklists,
    credentials,
    deadlines,
    evidence,
    governance,
    incident,
    milestones,
    postmortems,
    switches,
)
from fireline.projections.kinds import Applier, Payload
from fireline.projections.summaries import SUMMARIES

__all__ = ["apply", "rebuild"]

_INSERT_TIMELINE = DriverStatement(timeline.insert())
_HANDLERS: dict[str, Applier] = {
    **incident.HANDLERS,
    **governance.HANDLERS,
    **checklists.HANDLERS,
    **evidence.HANDLERS,
    **credentials.HANDLERS,
    **postmortems.HANDLERS,
    **channels.HANDLERS,
    **alerts.HANDLERS,
    **deadlines.HANDLERS,
    **switches.HANDLERS,
}
# A second projection of a kind another module owns (run after the owner's).
_ALSO: dict[str, Applier] = {**postmortems.ALSO, "incident.declared": switches.declared}


def apply(conn: Connection, event: Event) -> None:
    """Fold one event into the state tables (the event's own transaction)."""
    p = event.payload
    summary = None if p is None else SUMMARIES[event.kind](p)
    detail = None if p is None else _detail(p)
    _INSERT_TIMELINE.execute(
        conn,
        {
            "incident_id": event.incident_id,
            "seq": event.seq,
            "ts": event.ts,
            "at": None if p is None else p.get("at"),
            "actor": event.actor,
            "kind": event.kind,
            "summary": summary,
            "detail": None if detail is None else json.dumps(detail),  # as the JSON type would
            "corrects_seq": None,
            "corrected_by_seq": None,
            "erased_by_seq": None,
        },
    )
    handler = _HANDLERS.get(event.kind)
    if handler is not None and p is not None:
        handler(conn, event, p)
    also = _ALSO.get(event.kind)
    if also is not None and p is not None:
        also(conn, event, p)
    milestones.apply(conn, event)  # metrics' compact row: fed by kinds other modules own too
    if p is not None and "coordinates" in p.get("sensitive", ()):
        incident.add_flag(conn, event.incident_id, SENSITIVE_LOCATION)


def rebuild(conn: Connection) -> int:
    """Empty every state table and replay all events in order; return how many were replayed."""
    for table in reversed(PROJECTION_TABLES):
        conn.execute(table.delete())
    count = 0
    for incident_id in store.list_chains(conn):
        for event in store.read_events(conn, incident_id):
            apply(conn, event)
            count += 1
    return count


def _detail(p: Payload) -> dict[str, Any] | None:
    keys = ("refs", "why", "approver", "reason", "redacted", "sensitive", "asserted_by")
    detail = {key: p[key] for key in keys if p.get(key)}
    return detail or None
