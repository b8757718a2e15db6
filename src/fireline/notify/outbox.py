"""The transactional outbox: rows written with the events they announce, leased by workers.

`enqueue` runs inside `service._execute_in`, after the projections, in the transaction that
records the events: a notification exists exactly when its event was committed. Each row's id
is a UUIDv5 of (incident, seq, channel): stable, so a receiver can drop a retry it already has.
Workers `lease` due rows for a while (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so several
workers never take the same row; SQLite has one writer at a time), and `settle` — called by
the `RecordDelivery` handler in the transaction that records the result on the chain — moves a
row to delivered, back to queued with its next attempt's time, or to dead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import channels, incidents, outbox, subscriptions
from fireline.domain import iso_utc
from fireline.ledger.chain import Event
from fireline.notify.routing import event_name, is_restricted, matches, may_hear

NAMESPACE = uuid.UUID("6f1d6c3e-2b7a-5c1e-9a57-f1e11e0b0c5d")
QUEUED, DELIVERED, DEAD = "queued", "delivered", "dead"


def notification_id(incident_id: str, seq: int, channel: str) -> str:
    """The idempotency id of one event to one channel: the same on every retry and worker."""
    return str(uuid.uuid5(NAMESPACE, f"{incident_id}/{seq}/{channel}"))


_SUBSCRIBERS = sa.select(
    subscriptions.c.channel,
    subscriptions.c.events,
    subscriptions.c.severities,
    subscriptions.c.labels,
    channels.c.restricted,
    channels.c.drills,
).join(channels, channels.c.name == subscriptions.c.channel)


_INCIDENT = sa.select(incidents.c.severity, incidents.c.labels, incidents.c.drill).where(
    incidents.c.id == sa.bindparam("id")
)


def enqueue(conn: Connection, new_events: Sequence[Event]) -> int:
    """Insert an outbox row for each (event, channel) a subscription matches; return how many.

    Costs nothing measurable for an event no subscription can name (delivery records, reads,
    the registry chain): those return before any query.
    """
    named = [(e, name) for e in new_events if (name := event_name(e.kind)) is not None]
    if not named:
        return 0
    subs = conn.execute(_SUBSCRIBERS).all()
    if not subs:
        return 0
    incident = conn.execute(_INCIDENT, {"id": named[0][0].incident_id}).first()
    if incident is None:
        return 0
    labels = list(incident.labels)
    restricted = is_restricted(labels)
    drill = bool(incident.drill)
    rows: dict[str, dict[str, Any]] = {}
    for event, name in named:
        for sub in subs:
            heard = may_hear(
                restricted=restricted,
                drill=drill,
                channel_restricted=sub.restricted,
                channel_drills=sub.drills,
            )
            if heard and matches(
                name=name,
                severity=incident.severity,
                labels=labels,
                events=sub.events,
                severities=sub.severities,
                wanted_labels=sub.labels,
            ):
                nid = notification_id(event.incident_id, event.seq, sub.channel)
                rows[nid] = {
                    "id": nid,
                    "incident_id": event.incident_id,
                    "event_seq": event.seq,
                    "event_kind": event.kind,
                    "channel": sub.channel,
                    "state": QUEUED,
                    "attempts": 0,
                    "created_at": event.ts,
                    "due_at": event.ts,
                    "lease_until": None,
                    "lease_owner": None,
                    "done_at": None,
                    "status": None,
                    "last_error": None,
                }
    if rows:
        conn.execute(outbox.insert(), list(rows.values()))
    return len(rows)


@dataclass(frozen=True)
class OutboxRow:
    id: str
    incident_id: str
    event_seq: int
    event_kind: str
    channel: str
    state: str
    attempts: int
    created_at: str
    due_at: str
    done_at: str | None
    status: int | None
    last_error: str | None


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        r.id,
        r.incident_id,
        r.event_seq,
        r.event_kind,
        r.channel,
        r.state,
        r.attempts,
        r.created_at,
        r.due_at,
        r.done_at,
        r.status,
        r.last_error,
    )


def lease(
    conn: Connection, owner: str, *, now: datetime, seconds: float, limit: int
) -> list[OutboxRow]:
    """Take up to `limit` due rows for `owner` until now + `seconds` (the caller commits).

    A row whose lease ran out (its worker died) is due again: nothing leased is ever lost.
    """
    ts = iso_utc(now)
    query = (
        sa.select(outbox)
        .where(
            outbox.c.state == QUEUED,
            outbox.c.due_at <= ts,
            sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < ts),
        )
        .order_by(outbox.c.due_at, outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [_row(r) for r in conn.execute(query)]
    if rows:
        until = iso_utc(now + timedelta(seconds=seconds))
        conn.execute(
            outbox.update()
            .where(outbox.c.id.in_([r.id for r in rows]))
            .values(lease_until=until, lease_owner=owner)
        )
    return rows


def get_leased(conn: Connection, nids: list[str], owner: str) -> dict[str, OutboxRow]:
    """The rows of `nids` that `owner` still holds leased (locked for the settling write)."""
    query = sa.select(outbox).where(
        outbox.c.id.in_(nids), outbox.c.state == QUEUED, outbox.c.lease_owner == owner
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {r.id: _row(r) for r in conn.execute(query)}


_SETTLE = (
    outbox.update()
    .where(outbox.c.id == sa.bindparam("nid"))
    .values(
        state=sa.bindparam("state"),
        attempts=sa.bindparam("attempts"),
        lease_until=None,
        lease_owner=None,
        status=sa.bindparam("status"),
        last_error=sa.bindparam("error"),
        done_at=sa.bindparam("done_at"),
        due_at=sa.func.coalesce(sa.bindparam("due_at"), outbox.c.due_at),
    )
)


def settle(conn: Connection, outcomes: list[dict[str, Any]]) -> None:
    """Record attempts' outcomes on their rows and release the leases (one executemany).

    Each outcome: nid, state, attempts, at, due_at (the next attempt, or None), status, error.
    """
    conn.execute(
        _SETTLE,
        [
            {
                "nid": o["nid"],
                "state": o["state"],
                "attempts": o["attempts"],
                "status": o["status"],
                "error": o["error"],
                "done_at": None if o["state"] == QUEUED else o["at"],
                "due_at": o["due_at"],
            }
            for o in outcomes
        ],
    )


def list_rows(conn: Connection, *, failed: bool = False, limit: int = 200) -> list[OutboxRow]:
    """The outbox, newest first; `failed`: dead rows and queued rows that have failed."""
    query = sa.select(outbox).order_by(outbox.c.created_at.desc(), outbox.c.id).limit(limit)
    if failed:
        query = query.where(
            sa.or_(outbox.c.state == DEAD, sa.and_(outbox.c.state == QUEUED, outbox.c.attempts > 0))
        )
    return [_row(r) for r in conn.execute(query)]


def count_pending(conn: Connection) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.state == QUEUED)
        ).scalar()
        or 0
    )
