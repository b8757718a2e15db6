"""The obligations read: every deadline an incident owes, how it ended, and its countdown.

Behind `sight.see` like every incident read (a hidden incident answers as a missing one),
masked for the viewer. `now` is the read's clock, so `seconds_left` is the countdown the CLI
and the web room print (negative once past due).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fireline.reads import Model
from fireline.reads.sight import as_json, see

if TYPE_CHECKING:
    from fireline.service import Context
    from fireline.service.identity import Identity


def obligations(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """`{"now", "next_update_due", "obligations": [...]}`, soonest due first."""
    from fireline import queries
    from fireline.db import read_only
    from fireline.deadlines.state import list_obligations
    from fireline.domain import iso_utc

    sight = see(ctx, identity, "obligations", incident_id)
    now = ctx.clock()
    with read_only(ctx.engine) as conn:
        rows = list_obligations(conn, incident_id)
        state = queries.get_state(conn, incident_id)
    model: dict[str, Any] = {
        "now": iso_utc(now),
        "next_update_due": state.next_update_due,
        "obligations": [{**row.as_dict(), "seconds_left": _left(row.due_at, now)} for row in rows],
    }
    return sight.mask(as_json(model))


def _left(due_at: str, now: datetime) -> int:
    return int((datetime.fromisoformat(due_at) - now).total_seconds())
