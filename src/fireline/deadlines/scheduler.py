"""The deadline tick: find incidents with something due and record it as the scheduler.

`tick(ctx, now)` is what the worker loop runs every few seconds and `fireline deadlines tick`
runs once (cron, tests). It is idempotent: each reminder, overdue slot and missed obligation has
a mark (`deadline_marks`) written in the event's own transaction, and the handler plans only
what has no mark, under the incident's chain lock. Two ticks at once, in one process or two, on
SQLite or PostgreSQL, therefore record each thing once: the second waits for the lock, then
finds the first one's marks (and the marks' primary key refuses a duplicate outright).
"""

from __future__ import annotations

from datetime import datetime

from fireline import queries
from fireline.commands import RecordDeadlines
from fireline.db import read_only
from fireline.deadlines.state import list_candidates
from fireline.domain import CLOCK_SKEW, IncidentId, iso_utc, system_actor
from fireline.errors import FirelineError, InvalidCommandError
from fireline.ledger.chain import Event
from fireline.service import Context, Identity, execute
from fireline.service.deadlines import NothingDueError, due_drafts

SCHEDULER = system_actor("scheduler", "deadlines")


def tick(ctx: Context, now: datetime) -> list[Event]:
    """Record everything due at `now` on every incident; return the events written.

    One incident's failure (its ladder no longer configured, say) does not starve the others:
    they are all tried, then the first error is raised.
    """
    clock = ctx.clock()
    if now > clock + CLOCK_SKEW:
        raise InvalidCommandError(
            f"cannot judge deadlines at {iso_utc(now)}, ahead of the clock ({iso_utc(clock)})"
        )
    failures: list[FirelineError] = []
    due: list[str] = []
    with read_only(ctx.engine) as conn:
        horizon = now + ctx.settings.update_reminder
        for incident_id in list_candidates(conn, update_before=horizon, at=now):
            try:
                if due_drafts(conn, ctx, queries.get_state(conn, incident_id), now):
                    due.append(incident_id)
            except FirelineError as exc:
                failures.append(exc)
    recorded: list[Event] = []
    for incident_id in due:
        command = RecordDeadlines(incident_id=IncidentId(incident_id), at=now)
        try:
            recorded.extend(execute(command, Identity(SCHEDULER), ctx=ctx))
        except NothingDueError:
            continue  # another tick recorded it between the snapshot and the lock
        except FirelineError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]
    return recorded
