"""The scheduler's postmortem tick: record `postmortem.overdue` once for each postmortem not
published by its due date, as `scheduler:deadlines`, so it shows on the record and (through
the outbox's `postmortem` subscriptions) notifies.

The worker loop runs `tick(ctx, now)` with its other periodic jobs; it is idempotent: a
postmortem already recorded overdue for its current due date is skipped (a new due date from
a reschedule can become overdue again).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from fireline.commands import RecordPostmortemOverdue
from fireline.db import postmortems, read_only
from fireline.domain import IncidentId, system_actor
from fireline.ledger.chain import Event
from fireline.postmortem import document
from fireline.service import Context, Identity, execute


def due_now(ctx: Context, now: datetime) -> list[tuple[str, str]]:
    """(incident, due date) of every postmortem overdue at `now` and not yet recorded so."""
    today = now.astimezone(UTC).date().isoformat()
    with read_only(ctx.engine) as conn:
        rows = conn.execute(
            sa.select(postmortems.c.incident_id, postmortems.c.doc)
            .where(postmortems.c.due < today)
            .order_by(postmortems.c.incident_id)
        ).all()
    return [
        (row.incident_id, row.doc["due"])
        for row in rows
        if document.is_overdue(row.doc, today) and row.doc["due"] not in row.doc["overdue"]
    ]


def tick(ctx: Context, now: datetime) -> list[Event]:
    """Record every newly overdue postmortem; return the events written."""
    actor = Identity(system_actor("scheduler", "deadlines"))
    written: list[Event] = []
    for incident_id, due in due_now(ctx, now):
        command = RecordPostmortemOverdue(
            incident_id=IncidentId(incident_id), due=date.fromisoformat(due)
        )
        written += execute(command, actor, ctx=ctx)
    return written
