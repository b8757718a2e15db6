"""Deadline handlers: the scheduler's record of what is due, meeting an obligation, and the
obligations a declaration or a severity change opens (in that event's own transaction, so a
delivery that follows it can meet them).

Handlers never write; they plan events against the locked state (`service.execute`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from fireline.commands import MeetObligation, RecordDeadlines
from fireline.deadlines import slots
from fireline.deadlines.rules import ObligationRule
from fireline.deadlines.state import (
    get_obligation,
    last_update_at,
    list_marks,
    list_obligations,
    role_holders,
)
from fireline.domain import CLOCK_SKEW, SeverityLevel, Status, iso_utc, require_text
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.queries import IncidentState
from fireline.service.context import Context
from fireline.service.plan import Call, Plan, observed

Draft = tuple[str, dict[str, Any]]


class NothingDueError(InvalidCommandError):
    """Nothing is due on the incident (another tick recorded it first): the scheduler skips it."""


def opened_obligations(
    rules: tuple[ObligationRule, ...],
    level: SeverityLevel,
    *,
    flags: list[str],
    labels: list[str],
    now: datetime,
    already: frozenset[str] = frozenset(),
) -> list[Draft]:
    """`obligation.opened` for each rule that applies and is not open on the incident yet."""
    drafts: list[Draft] = []
    for rule in rules:
        minutes = rule.window(level, flags, labels)
        if minutes is None or rule.name in already:
            continue
        source, trigger = _why(rule, level, flags, labels)
        title = rule.title
        if rule.from_ladder == "response_minutes" and level.response_target:
            title = f"{title} ({level.response_target})"
        payload = {
            "name": rule.name,
            "title": title,
            "owner": rule.owner,
            "due_at": iso_utc(now + timedelta(minutes=minutes)),
            "channels": list(rule.channels),
            "source": source,
            "trigger": trigger,
        }
        drafts.append(("obligation.opened", payload))
    return drafts


def _why(
    rule: ObligationRule, level: SeverityLevel, flags: list[str], labels: list[str]
) -> tuple[str, str]:
    if rule.from_ladder is not None:
        return "ladder", level.name
    flag = next((f for f in rule.when_flags if f in flags), None)
    if flag is not None:
        return "flag", flag
    return "label", next(label for label in rule.when_labels if label in labels)


def due_drafts(conn: Connection, ctx: Context, state: IncidentState, at: datetime) -> list[Draft]:
    """What is recordable on the incident at `at` that nobody recorded yet (`slots.plan`).

    The handler runs it under the chain lock; the scheduler runs it on a snapshot first, so an
    incident with nothing new costs a read, not a write transaction.
    """
    level = ctx.ladder(state.ladder).level(state.severity)
    running = state.status not in (Status.RESOLVED, Status.CLOSED)
    due = None if not running or state.next_update_due is None else _moment(state.next_update_due)
    cadence = slots.Cadence(
        due=due,
        cadence_minutes=level.update_cadence_minutes,
        severity=state.severity,
        last_update_at=last_update_at(conn, state.id),
        ic=role_holders(conn, state.id, "ic") or (state.declared_by,),
        comms=role_holders(conn, state.id, "comms"),
    )
    owed = tuple(
        slots.OpenObligation(o.name, o.owner, _moment(o.due_at))
        for o in list_obligations(conn, state.id)
        if o.status == "open"
    )
    return slots.plan(
        slots.Due(cadence, owed, list_marks(conn, state.id)),
        at=at,
        reminder=ctx.settings.update_reminder,
    )


def _record_deadlines(call: Call, cmd: RecordDeadlines) -> Plan:
    state = call.incident
    if cmd.at > call.now + CLOCK_SKEW:
        raise InvalidCommandError(
            f"cannot judge deadlines at {iso_utc(cmd.at)}, ahead of the clock ({iso_utc(call.now)})"
        )
    drafts = due_drafts(call.conn, call.ctx, state, cmd.at)
    if not drafts:
        raise NothingDueError(f"nothing is due on {state.id} at {iso_utc(cmd.at)}")
    return Plan(state.id, drafts)


def _meet_obligation(call: Call, cmd: MeetObligation) -> Plan:
    state = call.incident
    name = cmd.name.strip()
    obligation = get_obligation(call.conn, state.id, name)
    if obligation is None:
        known = [o.name for o in list_obligations(call.conn, state.id)]
        raise NotFoundError(
            f"no obligation {name!r} on {state.id}; "
            + (f"its obligations: {', '.join(known)}" if known else "it has none")
        )
    if obligation.status == "met":
        how = f"by a delivery to {obligation.channel}" if obligation.channel else "by"
        who = "" if obligation.channel else f" {obligation.met_by}"
        raise InvalidCommandError(
            f"obligation {name} on {state.id} was already met at {obligation.closed_at} {how}{who}"
        )
    if obligation.status == "missed":
        raise InvalidCommandError(
            f"obligation {name} on {state.id} was missed (due {obligation.due_at}); "
            "record what was done late with `fireline log`"
        )
    evidence = require_text("--evidence", cmd.evidence, limit=2000)
    met_at = observed(call, "--at", cmd.at) or iso_utc(call.now)
    if met_at < obligation.opened_at:
        raise InvalidCommandError(
            f"--at {met_at} is before obligation {name} opened ({obligation.opened_at})"
        )
    if met_at > obligation.due_at:
        raise InvalidCommandError(
            f"obligation {name} on {state.id} was due {obligation.due_at}; {met_at} is late, "
            "so it is missed (the scheduler records it)"
        )
    payload = {"name": name, "owner": obligation.owner, "evidence": evidence, "met_at": met_at}
    return Plan(state.id, [("obligation.met", payload)])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


DEADLINE_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    RecordDeadlines: _record_deadlines,
    MeetObligation: _meet_obligation,
}
