"""Deadlines: the update cadence's reminders and overdue slots, and obligations with due times.

`rules` (which obligations an incident owes) and `slots` (what is due at a moment) are pure;
`state` reads the deadline tables; `scheduler.tick` records what is due as the scheduler.
This package's own import stays light: the service imports `rules` and `slots` through it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fireline.ledger.chain import Event
    from fireline.service.context import Context

__all__ = ["tick"]


def tick(ctx: Context, now: datetime) -> list[Event]:
    """Record every reminder, missed update slot and missed obligation due at `now`.

    See `fireline.deadlines.scheduler.tick`; imported late because the scheduler sits above the
    service, which itself imports this package's pure modules.
    """
    from fireline.deadlines.scheduler import tick as run

    return run(ctx, now)
