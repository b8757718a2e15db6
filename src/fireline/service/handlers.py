"""Handlers for the incident lifecycle: declare, staff, re-severitize, move, log, update,
act, correct and erase. Each validates against the locked state and returns a Plan."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fireline import progress, queries
from fireline.commands import (
    AddActionItem,
    AssignRole,
    ChangeSeverity,
    CompleteActionItem,
    CorrectEntry,
    Declare,
    EraseEntry,
    LogEntry,
    OverrideRole,
    PublishUpdate,
    ReleaseRole,
    Transition,
    VerifyActionItem,
)
from fireline.deadlines.state import list_obligations
from fireline.domain import (
    ENTRY_KINDS,
    ActorId,
    SeverityLevel,
    Status,
    check_due,
    check_planned,
    check_transition,
    format_incident_id,
    has_visible_text,
    iso_utc,
    parse_actor,
    parse_status,
    require_text,
    update_horizon,
)
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.events import CORRECTABLE_KINDS
from fireline.ledger import store
from fireline.service.checklists import builtin_checklists
from fireline.service.deadlines import opened_obligations
from fireline.service.plan import (
    Call,
    Plan,
    cadence_due,
    choices,
    dataset,
    detected,
    due_after,
    iso_or_none,
    observed,
    priority,
    refs,
    require_open,
    slugs,
    today,
)


def _declare(call: Call, cmd: Declare) -> Plan:
    settings = call.ctx.settings
    level = settings.ladder.level(cmd.severity)
    labels = choices("label", cmd.labels, settings.labels)
    flags = choices("policy flag", cmd.flags, settings.policy_flags)
    payload = {
        "title": require_text("title", cmd.title, limit=300),
        "severity": level.name,
        "severity_rank": level.rank,
        "ladder": settings.ladder.name,
        "impact": cmd.impact.strip(),
        "systems": slugs("system", cmd.systems),
        "datasets": [dataset(text) for text in cmd.datasets],
        "labels": labels,
        "flags": flags,
        "detected_at": detected("--detected-at", cmd.detected_at, call.now),
        "next_update_at": due_after(call.now, level.update_cadence_minutes),
        "freeze": level.freeze and not cmd.drill,  # a drill never freezes deploys
        "checklists": builtin_checklists(level),  # attached by this very event
        "drill": cmd.drill,
    }
    ic = None if cmd.ic is None else parse_actor(cmd.ic)
    day = call.now.astimezone(UTC).date()
    prefix = format_incident_id(day, 0)[:-3]
    incident_id = format_incident_id(day, store.allocate_number(call.conn, prefix))
    drafts: list[tuple[str, dict[str, Any]]] = [("incident.declared", payload)]
    if ic is not None:
        drafts.append(("role.assigned", {"role": "ic", "holder": ic, "replaces": None}))
    drafts += opened_obligations(
        settings.obligation_rules, level, flags=flags, labels=labels, now=call.now
    )
    return Plan(incident_id, drafts)


def _assign_role(call: Call, cmd: AssignRole) -> Plan:
    state = require_open(call)
    return Plan(state.id, [("role.assigned", _assignment(call, cmd.role, cmd.holder))])


def _override_role(call: Call, cmd: OverrideRole) -> Plan:
    state = require_open(call)
    assignment = _assignment(call, cmd.role, cmd.holder)
    reason = require_text("--reason", cmd.reason, limit=2000)
    return Plan(state.id, [("role.overridden", {**assignment, "reason": reason})])


def _assignment(call: Call, role_key: str, holder_name: str) -> dict[str, Any]:
    """Who takes which role, and whom they replace (a single-holder role passes on)."""
    state = call.incident
    role = call.ctx.settings.roster.get(role_key)
    holder = parse_actor(holder_name)
    holders = queries.current_roles(call.conn, state.id).get(role.key, [])
    if holder in holders:
        raise InvalidCommandError(f"{holder} already holds {role.key} on {state.id}")
    replaces = holders[-1] if holders and not role.multiple else None
    return {"role": role.key, "holder": holder, "replaces": replaces}


def _release_role(call: Call, cmd: ReleaseRole) -> Plan:
    state = require_open(call)
    role = call.ctx.settings.roster.get(cmd.role)
    holders = queries.current_roles(call.conn, state.id).get(role.key, [])
    if cmd.holder is not None:
        holder = parse_actor(cmd.holder)
        if holder not in holders:
            raise InvalidCommandError(f"{holder} does not hold {role.key} on {state.id}")
    elif len(holders) == 1:
        holder = ActorId(holders[0])
    elif not holders:
        raise InvalidCommandError(f"nobody holds {role.key} on {state.id}")
    else:
        raise InvalidCommandError(
            f"{role.key} is held by {', '.join(holders)} on {state.id}; name the holder to release"
        )
    return Plan(state.id, [("role.released", {"role": role.key, "holder": holder})])


def _change_severity(call: Call, cmd: ChangeSeverity) -> Plan:
    state = require_open(call)
    ladder = call.ctx.ladder(state.ladder)
    level = ladder.level(cmd.severity)
    if level.name == state.severity:
        raise InvalidCommandError(f"{state.id} is already {level.name}")
    opened = frozenset(o.name for o in list_obligations(call.conn, state.id))
    return Plan(
        state.id,
        [
            (
                "severity.changed",
                {
                    "from_severity": state.severity,
                    "from_rank": state.severity_rank,
                    "to_severity": level.name,
                    "to_rank": level.rank,
                    "reason": require_text("reason", cmd.reason, limit=2000),
                    "next_update_at": _recomputed_due(call, state, level),
                    "freeze": level.freeze and not state.drill,
                    # A level that needs a stage checklist the incident lacks attaches it now.
                    "checklists": builtin_checklists(
                        level, progress.attached_checklists(call.conn, state.id)
                    ),
                },
            ),
            # A level with a deadline the incident does not owe yet opens it from now.
            *opened_obligations(
                call.ctx.settings.obligation_rules,
                level,
                flags=state.flags,
                labels=state.labels,
                now=call.now,
                already=opened,
            ),
        ],
    )


def _recomputed_due(call: Call, state: queries.IncidentState, level: SeverityLevel) -> str | None:
    """The next update under the new level: the last update (or the declaration) plus its
    cadence. Raised, an earlier promise still stands; lowered, the slower cadence replaces the
    old level's; "as needed" keeps whatever was promised (the cadence gate wants one)."""
    cadence = level.update_cadence_minutes
    if state.status is Status.RESOLVED:
        return None
    if cadence is None:
        return state.next_update_due
    anchor = datetime.fromisoformat(state.last_update_at or state.declared_at)
    due = iso_utc(anchor + timedelta(minutes=cadence))
    if level.rank > state.severity_rank and state.next_update_due is not None:
        due = min(due, state.next_update_due)
    return due


def _transition(call: Call, cmd: Transition) -> Plan:
    state = call.incident
    target = parse_status(cmd.status)
    check_transition(state.status, target)
    return Plan(
        state.id,
        [
            (
                "status.changed",
                {
                    "from_status": state.status.value,
                    "to_status": target.value,
                    "reason": cmd.reason.strip(),
                },
            )
        ],
    )


def _log_entry(call: Call, cmd: LogEntry) -> Plan:
    state = require_open(call)
    kind = cmd.kind.strip().lower().replace("-", "_")
    if kind not in ENTRY_KINDS:
        raise InvalidCommandError(
            f"unknown entry kind {cmd.kind!r}; allowed: {', '.join(ENTRY_KINDS)}"
        )
    payload: dict[str, Any] = {
        "text": require_text(kind, cmd.text),
        "refs": refs(cmd.refs),
        "at": observed(call, "--at", cmd.at),
    }
    if kind == "decision":
        if not (cmd.why and has_visible_text(cmd.why)):
            raise InvalidCommandError("a decision needs --why (the decision log records why)")
        payload["why"] = cmd.why.strip()
        payload["approver"] = None if cmd.approver is None else parse_actor(cmd.approver)
    elif cmd.why is not None or cmd.approver is not None:
        raise InvalidCommandError("--why and --approver belong to decisions only")
    if kind == "root_cause":
        payload["partial"] = cmd.partial
    elif cmd.partial:
        raise InvalidCommandError("--partial belongs to root-cause entries only")
    return Plan(state.id, [(f"entry.{kind}", payload)])


def _publish_update(call: Call, cmd: PublishUpdate) -> Plan:
    state = require_open(call)
    if cmd.status is not None and parse_status(cmd.status) is not state.status:
        raise InvalidCommandError(
            f"update says {parse_status(cmd.status).value} but {state.id} is "
            f"{state.status.value}; change it with `fireline status` first"
        )
    body = {
        "impact": cmd.impact.strip(),
        "facts": [require_text("fact", t) for t in cmd.facts],
        "hypotheses": [require_text("hypothesis", t) for t in cmd.hypotheses],
        "actions": [require_text("action", t) for t in cmd.actions],
        "next_steps": [require_text("next step", t) for t in cmd.next_steps],
    }
    if not any(body.values()):
        raise InvalidCommandError(
            "an update needs --impact, --fact, --hypothesis, --action or --next"
        )
    level = call.ctx.ladder(state.ladder).level(state.severity)
    if cmd.next_update_at is not None:
        # At most one cadence ahead: a far-off promise must not keep the cadence gate quiet.
        horizon = update_horizon(level.update_cadence_minutes)
        promised = check_planned("--next-update", cmd.next_update_at, now=call.now, horizon=horizon)
        next_update = iso_or_none(promised)
    else:
        next_update = cadence_due(call, state, level.update_cadence_minutes)
    number = queries.count_updates(call.conn, state.id) + 1
    return Plan(
        state.id,
        [
            (
                "update.published",
                {
                    "number": number,
                    "status": state.status.value,
                    **body,
                    "next_update_at": next_update,
                    "public": cmd.public,
                },
            )
        ],
    )


def _add_action_item(call: Call, cmd: AddActionItem) -> Plan:
    state = call.incident
    level = priority(cmd.priority)
    number = len(queries.list_action_items(call.conn, state.id)) + 1
    return Plan(
        state.id,
        [
            (
                "action_item.added",
                {
                    "number": number,
                    "title": require_text("action item", cmd.title, limit=500),
                    "owner": parse_actor(cmd.owner),
                    "due": None
                    if cmd.due is None
                    else check_due("--due", cmd.due, today=today(call)).isoformat(),
                    "priority": level,
                    "verification": _verification(cmd.verification),
                    "tracker": _tracker(cmd.tracker),
                },
            )
        ],
    )


def _verification(text: str | None) -> str | None:
    return None if text is None else require_text("--verification", text, limit=2000)


_TRACKER = re.compile(r"https?://[^\s/]+\S*")


def _tracker(link: str | None) -> str | None:
    """An external tracker issue: an http(s) URL without spaces."""
    if link is None:
        return None
    cleaned = link.strip()
    if len(cleaned) > 2000 or not _TRACKER.fullmatch(cleaned):
        shown = cleaned if len(cleaned) <= 60 else cleaned[:60] + "…"
        raise InvalidCommandError(f"--tracker {shown!r} is not an http(s) link to an issue")
    return cleaned


def _action_item(call: Call, number: int) -> queries.ActionItem:
    state = call.incident
    found = [i for i in queries.list_action_items(call.conn, state.id) if i.number == number]
    if not found:
        raise NotFoundError(f"no action item #{number} on {state.id}")
    return found[0]


def _complete_action_item(call: Call, cmd: CompleteActionItem) -> Plan:
    state = call.incident
    item = _action_item(call, cmd.number)
    if item.status != "open":
        raise InvalidCommandError(
            f"action item #{cmd.number} on {state.id} is already {item.status}"
        )
    given = _verification(cmd.verification)
    if given is None and item.verification is None:
        raise InvalidCommandError(
            f"action item #{cmd.number} on {state.id} has no verification (the test or monitor "
            "that proves the fix); give --verification"
        )
    payload = {"number": cmd.number, "note": cmd.note.strip(), "verification": given}
    return Plan(state.id, [("action_item.completed", payload)])


def _verify_action_item(call: Call, cmd: VerifyActionItem) -> Plan:
    state = call.incident
    item = _action_item(call, cmd.number)
    if item.status != "done":
        raise InvalidCommandError(
            f"action item #{cmd.number} on {state.id} is {item.status}; only a done item can "
            "be verified"
        )
    payload = {"number": cmd.number, "note": cmd.note.strip()}
    return Plan(state.id, [("action_item.verified", payload)])


def _entry_target(call: Call, seq: int, verb: str) -> queries.TimelineEntry:
    state = call.incident
    entry = queries.get_timeline_entry(call.conn, state.id, seq)
    if entry is None:
        raise NotFoundError(f"no event {seq} on {state.id}")
    if entry.kind not in CORRECTABLE_KINDS:
        raise InvalidCommandError(
            f"event {seq} on {state.id} is {entry.kind}; only log entries can be {verb}"
        )
    if entry.erased_by_seq is not None:
        raise InvalidCommandError(
            f"event {seq} on {state.id} was erased by event {entry.erased_by_seq}"
        )
    return entry


def _correct_entry(call: Call, cmd: CorrectEntry) -> Plan:
    _entry_target(call, cmd.target_seq, "corrected")
    return Plan(
        call.incident.id,
        [
            (
                "entry.corrected",
                {
                    "target_seq": cmd.target_seq,
                    "text": require_text("correction", cmd.text),
                    "reason": cmd.reason.strip(),
                },
            )
        ],
    )


def _erase_entry(call: Call, cmd: EraseEntry) -> Plan:
    _entry_target(call, cmd.target_seq, "erased")
    return Plan(
        call.incident.id,
        [
            (
                "entry.erased",
                {
                    "target_seq": cmd.target_seq,
                    "reason": require_text("reason", cmd.reason, limit=2000),
                },
            )
        ],
        erase=(cmd.target_seq,),
    )


LIFECYCLE_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    Declare: _declare,
    AssignRole: _assign_role,
    OverrideRole: _override_role,
    ReleaseRole: _release_role,
    ChangeSeverity: _change_severity,
    Transition: _transition,
    LogEntry: _log_entry,
    PublishUpdate: _publish_update,
    AddActionItem: _add_action_item,
    CompleteActionItem: _complete_action_item,
    VerifyActionItem: _verify_action_item,
    CorrectEntry: _correct_entry,
    EraseEntry: _erase_entry,
}
