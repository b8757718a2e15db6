"""What is due at a moment: update reminders, missed update slots and missed obligations.

Pure: no I/O, no clock (the caller passes `at`). The update cadence promises an update at
`next_update_due`; while none is published each further cadence is another slot, so an incident
left silent for an hour at a 15-minute cadence has missed four slots and records four
`update.overdue`. A reminder goes out `reminder` before the first slot not yet reached. What was
already recorded (`marks`: kind and key) is never planned again, which makes a tick idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fireline.domain import iso_utc

REMINDER = "update.reminder"
OVERDUE = "update.overdue"
MISSED = "obligation.missed"
# The most missed slots one tick records: a scheduler down for a week at a 15-minute cadence
# catches up over several ticks instead of one giant transaction.
MAX_SLOTS_PER_TICK = 200


@dataclass(frozen=True)
class OpenObligation:
    name: str
    owner: str
    due_at: datetime


@dataclass(frozen=True)
class Cadence:
    """An incident's update clock: the promised time, the level's cadence and who is named."""

    due: datetime | None
    cadence_minutes: int | None
    severity: str
    last_update_at: str | None
    ic: tuple[str, ...] = ()
    comms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Due:
    """Everything recordable about one incident at one moment."""

    cadence: Cadence
    obligations: tuple[OpenObligation, ...] = ()
    marks: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def passed_and_next(cadence: Cadence, at: datetime) -> tuple[int, datetime | None]:
    """How many slots have passed by `at`, and the first one still ahead (None: no more).

    Arithmetic, not a walk: a tick asked about a far-off moment costs no more than a near one.
    """
    if cadence.due is None:
        return 0, None
    if cadence.cadence_minutes is None:
        return (1, None) if cadence.due <= at else (0, cadence.due)
    step = timedelta(minutes=cadence.cadence_minutes)
    passed = 0 if at < cadence.due else (at - cadence.due) // step + 1
    return passed, cadence.due + passed * step


def plan(due: Due, *, at: datetime, reminder: timedelta) -> list[tuple[str, dict[str, Any]]]:
    """The events to record at `at`: overdue slots, the reminder, missed obligations.

    Nothing already in `due.marks` is planned again; an empty list means nothing is due.
    """
    drafts: list[tuple[str, dict[str, Any]]] = []
    cadence = due.cadence
    passed, upcoming = passed_and_next(cadence, at)
    step = timedelta(minutes=cadence.cadence_minutes or 0)
    number = 0
    # Walks the recorded slots (marks) and at most MAX_SLOTS_PER_TICK new ones.
    while number < passed and len(drafts) < MAX_SLOTS_PER_TICK:
        assert cadence.due is not None
        slot = cadence.due + number * step
        number += 1
        key = iso_utc(slot)
        if (OVERDUE, key) not in due.marks:
            drafts.append((OVERDUE, _overdue(cadence, key, number, at - slot)))
    # The first slot still ahead: remind once when it comes within `reminder`.
    if upcoming is not None and reminder > timedelta(0) and upcoming - reminder <= at:
        key = iso_utc(upcoming)
        if (REMINDER, key) not in due.marks:
            drafts.append((REMINDER, _reminder(cadence, key, upcoming - at)))
    for obligation in due.obligations:
        if obligation.due_at <= at and (MISSED, obligation.name) not in due.marks:
            drafts.append(
                (
                    MISSED,
                    {
                        "name": obligation.name,
                        "owner": obligation.owner,
                        "due_at": iso_utc(obligation.due_at),
                    },
                )
            )
    return drafts


def _overdue(cadence: Cadence, key: str, number: int, late: timedelta) -> dict[str, Any]:
    return {
        "due_at": key,
        "slot": number,
        "severity": cadence.severity,
        "last_update_at": cadence.last_update_at,
        "late_minutes": int(late.total_seconds() // 60),
    }


def _reminder(cadence: Cadence, key: str, left: timedelta) -> dict[str, Any]:
    return {
        "due_at": key,
        "severity": cadence.severity,
        "ic": list(cadence.ic),
        "comms": list(cadence.comms),
        "minutes_left": max(0, int(left.total_seconds() // 60)),
    }
