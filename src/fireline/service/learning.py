"""Handlers for the learning half: milestones stated after the fact, and drills done.

A drill's findings become action items in the same write, so its outcome and what it taught
are one entry on the drill incident's chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline import queries
from fireline.commands import RecordDrill, RecordMilestone
from fireline.db import milestones
from fireline.domain import DETECTION_LOOKBACK, check_due, parse_actor, require_text
from fireline.errors import InvalidCommandError
from fireline.events import MILESTONES
from fireline.service.plan import Call, Plan, observed, priority, today


def _declared_at(conn: Connection, incident_id: str) -> str:
    found: str = conn.execute(
        sa.select(milestones.c.declared_at).where(milestones.c.incident_id == incident_id)
    ).scalar_one()
    return found


def _record_milestone(call: Call, cmd: RecordMilestone) -> Plan:
    state = call.incident
    name = cmd.milestone.strip().lower()
    if name not in MILESTONES:
        raise InvalidCommandError(
            f"unknown milestone {cmd.milestone!r}; allowed: {', '.join(MILESTONES)} "
            "(declared, mitigated, resolved and closed are recorded by the lifecycle itself)"
        )
    at = observed(call, "--at", cmd.at, lead_in=DETECTION_LOOKBACK)
    assert at is not None
    declared = _declared_at(call.conn, state.id)
    if name == "started" and at > declared:
        raise InvalidCommandError(
            f"started {at} is after {state.id} was declared ({declared}); impact begins first"
        )
    payload = {"milestone": name, "at": at, "note": cmd.note.strip()}
    return Plan(state.id, [("milestone.recorded", payload)])


def _record_drill(call: Call, cmd: RecordDrill) -> Plan:
    state = call.incident
    if not state.drill:
        raise InvalidCommandError(
            f"{state.id} is not a drill; record exercises on an incident declared with --drill"
        )
    kinds = {kind.key for kind in call.ctx.settings.drill_programme}
    kind = cmd.kind.strip()
    if kind not in kinds:
        raise InvalidCommandError(
            f"unknown drill kind {cmd.kind!r}; the programme has: {', '.join(sorted(kinds))}"
        )
    outcome = require_text("--outcome", cmd.outcome, limit=5000)
    first = len(queries.list_action_items(call.conn, state.id)) + 1
    level = priority(cmd.priority)
    owner = parse_actor(cmd.owner) if cmd.owner else call.actor
    due = None if cmd.due is None else check_due("--due", cmd.due, today=today(call)).isoformat()
    drafts: list[tuple[str, dict[str, Any]]] = [
        (
            "action_item.added",
            {
                "number": first + offset,
                "title": require_text("--finding", finding, limit=500),
                "owner": owner,
                "due": due,
                "priority": level,
            },
        )
        for offset, finding in enumerate(cmd.findings)
    ]
    numbers = [first + offset for offset in range(len(cmd.findings))]
    payload = {"kind": kind, "outcome": outcome, "findings": numbers}
    return Plan(state.id, [("drill.completed", payload), *drafts])


LEARNING_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    RecordMilestone: _record_milestone,
    RecordDrill: _record_drill,
}
