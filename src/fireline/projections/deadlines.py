"""Obligations and the deadline scheduler's marks, folded from their events.

A `notification.delivered` to one of an open obligation's channels, recorded after the
obligation opened and no later than its due time, meets it here: the delivery itself is the
proof, so no further event is written for it. Pure function of the events, like every fold.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import deadline_marks, obligations
from fireline.ledger.chain import Event
from fireline.projections.kinds import Applier, Payload


def _mark(conn: Connection, event: Event, key: str) -> None:
    conn.execute(
        deadline_marks.insert(),
        {"incident_id": event.incident_id, "kind": event.kind, "key": key, "seq": event.seq},
    )


def _slot(conn: Connection, event: Event, p: Payload) -> None:
    _mark(conn, event, p["due_at"])


def _opened(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        obligations.insert(),
        {
            "incident_id": event.incident_id,
            "name": p["name"],
            "title": p["title"],
            "owner": p["owner"],
            "channels": p["channels"],
            "source": p["source"],
            "trigger": p["trigger"],
            "opened_seq": event.seq,
            "opened_at": event.ts,
            "due_at": p["due_at"],
            "status": "open",
        },
    )


def _close(conn: Connection, event: Event, name: str, **values: object) -> None:
    conn.execute(
        obligations.update()
        .where(obligations.c.incident_id == event.incident_id, obligations.c.name == name)
        .values(closed_seq=event.seq, **values)
    )


def _met(conn: Connection, event: Event, p: Payload) -> None:
    _close(
        conn,
        event,
        p["name"],
        status="met",
        closed_at=p["met_at"],
        met_by=event.actor,
        evidence=p["evidence"],
    )


def _missed(conn: Connection, event: Event, p: Payload) -> None:
    _mark(conn, event, p["name"])
    _close(conn, event, p["name"], status="missed", closed_at=p["due_at"])


def _delivered(conn: Connection, event: Event, p: Payload) -> None:
    rows = conn.execute(
        sa.select(obligations.c.name, obligations.c.channels).where(
            obligations.c.incident_id == event.incident_id,
            obligations.c.status == "open",
            obligations.c.opened_seq < event.seq,
            obligations.c.due_at >= event.ts,
        )
    ).all()
    for name, channels in rows:
        if p["channel"] in (channels or []):
            _close(
                conn,
                event,
                name,
                status="met",
                closed_at=event.ts,
                met_by=event.actor,
                channel=p["channel"],
            )


HANDLERS: dict[str, Applier] = {
    "update.reminder": _slot,
    "update.overdue": _slot,
    "obligation.opened": _opened,
    "obligation.met": _met,
    "obligation.missed": _missed,
    "notification.delivered": _delivered,
}
