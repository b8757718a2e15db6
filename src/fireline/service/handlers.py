"""One handler per command: validate against the locked incident state and plan the events.

Handlers never write: they return a `Plan` (events to append, payloads to erase) or raise a
FirelineError. `execute` in `fireline.service` does the writing, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from fireline import governance, queries
from fireline.commands import (
    AddActionItem,
    AddUser,
    ApproveGateException,
    AssignRole,
    ChangeSeverity,
    CompleteActionItem,
    CompletePostmortem,
    CorrectEntry,
    Declare,
    EraseEntry,
    GrantBreakglass,
    LiftFreeze,
    LogEntry,
    PublishUpdate,
    RecordAccess,
    ReleaseRole,
    RequestGateException,
    ReviewGovernance,
    RevokeBreakglass,
    SchedulePostmortem,
    Transition,
    UpdateUser,
)
from fireline.domain import (
    CLEARANCES,
    ENTRY_KINDS,
    PRIORITIES,
    REGISTRY_CHAIN,
    REGISTRY_ROLES,
    ActorId,
    IncidentId,
    Status,
    check_transition,
    format_incident_id,
    iso_utc,
    parse_actor,
    parse_status,
    require_text,
)
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.events import CORRECTABLE_KINDS
from fireline.ledger import store
from fireline.service.context import Context


@dataclass(frozen=True)
class Plan:
    """What a handler decided: the events to append and any payloads to erase."""

    incident_id: IncidentId
    drafts: list[tuple[str, dict[str, Any]]]
    erase: tuple[int, ...] = ()


@dataclass(frozen=True)
class Call:
    """One execution's inputs as handlers see them."""

    conn: Connection
    ctx: Context
    now: datetime
    actor: ActorId
    state: queries.IncidentState | None = field(default=None)

    @property
    def incident(self) -> queries.IncidentState:
        assert self.state is not None, "handler for an existing incident called without state"
        return self.state


def _open(call: Call) -> queries.IncidentState:
    state = call.incident
    if state.status is Status.CLOSED:
        raise InvalidCommandError(
            f"{state.id} is closed; only corrections, erasures and action items can be recorded"
        )
    return state


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)


def _past(field: str, moment: datetime | None, now: datetime) -> str | None:
    """A time something already happened: refuse one in the future."""
    if moment is not None and moment > now:
        raise InvalidCommandError(f"{field} {_human(moment)} is in the future")
    return _iso_or_none(moment)


def _human(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _due(now: datetime, cadence: int | None) -> str | None:
    return None if cadence is None else iso_utc(now + timedelta(minutes=cadence))


def _cadence_due(call: Call, state: queries.IncidentState, cadence: int | None) -> str | None:
    """When the ladder's cadence wants the next update; the cadence ends at resolution."""
    return None if state.status is Status.RESOLVED else _due(call.now, cadence)


def _choices(field: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> list[str]:
    for value in values:
        if value not in allowed:
            raise InvalidCommandError(f"unknown {field} {value!r}; allowed: {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def _slugs(field: str, values: tuple[str, ...]) -> list[str]:
    cleaned = [require_text(field, value, limit=200) for value in values]
    return list(dict.fromkeys(cleaned))


def _dataset(text: str) -> dict[str, Any]:
    dataset_id, _, version = require_text("dataset", text, limit=200).partition(":")
    if not dataset_id:
        raise InvalidCommandError(f"malformed dataset {text!r}; expected ID or ID:VERSION")
    return {"dataset_id": dataset_id, "version_id": version or None}


def _refs(refs: tuple[str, ...]) -> list[str]:
    for ref in refs:
        kind, sep, value = ref.partition(":")
        if not (sep and kind.strip() and value.strip()):
            raise InvalidCommandError(f"malformed ref {ref!r}; expected KIND:ID like deploy:9a1b7d")
    return list(refs)


def _declare(call: Call, cmd: Declare) -> Plan:
    settings = call.ctx.settings
    level = settings.ladder.level(cmd.severity)
    payload = {
        "title": require_text("title", cmd.title, limit=300),
        "severity": level.name,
        "severity_rank": level.rank,
        "ladder": settings.ladder.name,
        "impact": cmd.impact.strip(),
        "systems": _slugs("system", cmd.systems),
        "datasets": [_dataset(text) for text in cmd.datasets],
        "labels": _choices("label", cmd.labels, settings.labels),
        "flags": _choices("policy flag", cmd.flags, settings.policy_flags),
        "detected_at": _past("--detected-at", cmd.detected_at, call.now),
        "next_update_at": _due(call.now, level.update_cadence_minutes),
        "freeze": level.freeze,
    }
    ic = None if cmd.ic is None else parse_actor(cmd.ic)
    day = call.now.astimezone(UTC).date()
    prefix = format_incident_id(day, 0)[:-3]
    incident_id = format_incident_id(day, store.allocate_number(call.conn, prefix))
    drafts: list[tuple[str, dict[str, Any]]] = [("incident.declared", payload)]
    if ic is not None:
        drafts.append(("role.assigned", {"role": "ic", "holder": ic, "replaces": None}))
    return Plan(incident_id, drafts)


def _assign_role(call: Call, cmd: AssignRole) -> Plan:
    state = _open(call)
    role = call.ctx.settings.roster.get(cmd.role)
    holder = parse_actor(cmd.holder)
    holders = queries.current_roles(call.conn, state.id).get(role.key, [])
    if holder in holders:
        raise InvalidCommandError(f"{holder} already holds {role.key} on {state.id}")
    replaces = holders[-1] if holders and not role.multiple else None
    return Plan(
        state.id,
        [("role.assigned", {"role": role.key, "holder": holder, "replaces": replaces})],
    )


def _release_role(call: Call, cmd: ReleaseRole) -> Plan:
    state = _open(call)
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
    state = _open(call)
    ladder = call.ctx.ladder(state.ladder)
    level = ladder.level(cmd.severity)
    if level.name == state.severity:
        raise InvalidCommandError(f"{state.id} is already {level.name}")
    # The earlier of the promised update and the new cadence; "as needed" keeps the promise.
    candidates = (_cadence_due(call, state, level.update_cadence_minutes), state.next_update_due)
    due = min((d for d in candidates if d is not None), default=None)
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
                    "next_update_at": due,
                    "freeze": level.freeze,
                },
            )
        ],
    )


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
    state = _open(call)
    kind = cmd.kind.strip().lower().replace("-", "_")
    if kind not in ENTRY_KINDS:
        raise InvalidCommandError(
            f"unknown entry kind {cmd.kind!r}; allowed: {', '.join(ENTRY_KINDS)}"
        )
    payload: dict[str, Any] = {
        "text": require_text(kind, cmd.text),
        "refs": _refs(cmd.refs),
        "at": _past("--at", cmd.at, call.now),
    }
    if kind == "decision":
        if not (cmd.why and cmd.why.strip()):
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
    state = _open(call)
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
    if cmd.next_update_at is not None:
        if cmd.next_update_at <= call.now:
            raise InvalidCommandError(
                f"--next-update {_human(cmd.next_update_at)} is not in the future"
            )
        next_update = _iso_or_none(cmd.next_update_at)
    else:
        level = call.ctx.ladder(state.ladder).level(state.severity)
        next_update = _cadence_due(call, state, level.update_cadence_minutes)
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
                },
            )
        ],
    )


def _add_action_item(call: Call, cmd: AddActionItem) -> Plan:
    state = call.incident
    priority = cmd.priority.strip().upper()
    if priority not in PRIORITIES:
        raise InvalidCommandError(
            f"unknown priority {cmd.priority!r}; allowed: {', '.join(PRIORITIES)}"
        )
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
                    "due": None if cmd.due is None else cmd.due.isoformat(),
                    "priority": priority,
                },
            )
        ],
    )


def _complete_action_item(call: Call, cmd: CompleteActionItem) -> Plan:
    state = call.incident
    status = queries.action_item_status(call.conn, state.id, cmd.number)
    if status is None:
        raise NotFoundError(f"no action item #{cmd.number} on {state.id}")
    if status == "done":
        raise InvalidCommandError(f"action item #{cmd.number} on {state.id} is already done")
    return Plan(
        state.id,
        [("action_item.completed", {"number": cmd.number, "note": cmd.note.strip()})],
    )


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


def _registry_entry(
    call: Call, name: str, roles: tuple[str, ...], clearances: tuple[str, ...]
) -> dict[str, Any]:
    if not roles:
        raise InvalidCommandError(f"give {name} at least one --role ({', '.join(REGISTRY_ROLES)})")
    return {
        "name": parse_actor(name),
        "roles": _choices("role", tuple(r.strip().lower() for r in roles), REGISTRY_ROLES),
        "clearances": _choices(
            "clearance", tuple(c.strip().lower() for c in clearances), CLEARANCES
        ),
    }


def _add_user(call: Call, cmd: AddUser) -> Plan:
    entry = _registry_entry(call, cmd.name, cmd.roles, cmd.clearances)
    if governance.get_user(call.conn, entry["name"]) is not None:
        raise InvalidCommandError(
            f"{entry['name']} is already registered; change them with `fireline user update`"
        )
    return Plan(IncidentId(REGISTRY_CHAIN), [("user.added", entry)])


def _update_user(call: Call, cmd: UpdateUser) -> Plan:
    entry = _registry_entry(call, cmd.name, cmd.roles, cmd.clearances)
    if governance.get_user(call.conn, entry["name"]) is None:
        raise NotFoundError(f"no user {entry['name']}; add them with `fireline user add`")
    return Plan(IncidentId(REGISTRY_CHAIN), [("user.updated", entry)])


def _schedule_postmortem(call: Call, cmd: SchedulePostmortem) -> Plan:
    state = call.incident
    if cmd.due < call.now.date():
        raise InvalidCommandError(f"--due {cmd.due.isoformat()} is in the past")
    payload = {"due": cmd.due.isoformat(), "owner": parse_actor(cmd.owner)}
    return Plan(state.id, [("postmortem.scheduled", payload)])


def _complete_postmortem(call: Call, cmd: CompletePostmortem) -> Plan:
    state = call.incident
    link = require_text("--link", cmd.link, limit=2000)
    return Plan(state.id, [("postmortem.completed", {"link": link})])


def _review_governance(call: Call, cmd: ReviewGovernance) -> Plan:
    state = call.incident
    outcome = require_text("review outcome", cmd.outcome)
    return Plan(state.id, [("governance.reviewed", {"outcome": outcome})])


def _role_in_incident(call: Call) -> str:
    """The capacity the actor acts in on this incident: ic, governance_steward or responder."""
    roles = queries.current_roles(call.conn, call.incident.id)
    if call.actor in (roles.get("ic") or [call.incident.declared_by]):
        return "ic"
    if call.actor in roles.get("governance_steward", []):
        return "governance_steward"
    return "responder"


def _request_gate_exception(call: Call, cmd: RequestGateException) -> Plan:
    state = _open(call)
    gate = cmd.gate.strip().lower()
    if gate not in governance.GATES:
        raise InvalidCommandError(
            f"unknown gate {cmd.gate!r}; allowed: {', '.join(governance.GATES)}"
        )
    payload = {
        "gate": gate,
        "justification": require_text("--why", cmd.justification),
        "as_role": _role_in_incident(call),
    }
    return Plan(state.id, [("gate.exception", payload)])


def _approve_gate_exception(call: Call, cmd: ApproveGateException) -> Plan:
    state = _open(call)
    found = [
        e
        for e in governance.list_gate_exceptions(call.conn, state.id)
        if e.seq == cmd.exception_seq
    ]
    if not found:
        raise NotFoundError(f"no gate exception at event {cmd.exception_seq} on {state.id}")
    exception = found[0]
    as_role = _role_in_incident(call)
    if any(a["actor"] == call.actor for a in exception.approvals):
        raise InvalidCommandError(
            f"{call.actor} already approved exception {exception.seq}; the other party must approve"
        )
    if any(a["as_role"] == as_role for a in exception.approvals):
        raise InvalidCommandError(
            f"exception {exception.seq} already has the {as_role}'s approval; the other party "
            "(IC or governance steward) must approve"
        )
    payload = {"exception_seq": exception.seq, "as_role": as_role}
    return Plan(state.id, [("gate.approved", payload)])


REGISTRY_COMMANDS = (AddUser, UpdateUser)  # written to the registry chain, not an incident
MAX_BREAKGLASS = timedelta(days=7)


def _grant_breakglass(call: Call, cmd: GrantBreakglass) -> Plan:
    state = _open(call)
    if not timedelta(0) < cmd.expires_in <= MAX_BREAKGLASS:
        raise InvalidCommandError("--expires must be more than 0 and at most 7 days")
    payload = {
        "to": parse_actor(cmd.to),
        "scope": require_text("--scope", cmd.scope, limit=500),
        "why": require_text("--why", cmd.why),
        "expires_at": iso_utc(call.now + cmd.expires_in),
    }
    return Plan(state.id, [("breakglass.granted", payload)])


def _revoke_breakglass(call: Call, cmd: RevokeBreakglass) -> Plan:
    state = call.incident
    grants = [g for g in governance.list_breakglass(call.conn, state.id) if g.seq == cmd.grant_seq]
    if not grants:
        raise NotFoundError(f"no breakglass grant at event {cmd.grant_seq} on {state.id}")
    if not grants[0].is_active(iso_utc(call.now)):
        raise InvalidCommandError(f"breakglass grant {cmd.grant_seq} is already revoked or expired")
    payload = {"grant_seq": cmd.grant_seq, "reason": cmd.reason.strip()}
    return Plan(state.id, [("breakglass.revoked", payload)])


def _lift_freeze(call: Call, cmd: LiftFreeze) -> Plan:
    state = _open(call)
    if not state.freeze or state.freeze_lifted_at is not None:
        raise InvalidCommandError(f"{state.id} holds no deploy freeze to lift")
    return Plan(state.id, [("freeze.lifted", {"reason": require_text("--reason", cmd.reason)})])


def _record_access(call: Call, cmd: RecordAccess) -> Plan:
    return Plan(call.incident.id, [("access.read", {"view": cmd.view})])


HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    Declare: _declare,
    AssignRole: _assign_role,
    ReleaseRole: _release_role,
    ChangeSeverity: _change_severity,
    Transition: _transition,
    LogEntry: _log_entry,
    PublishUpdate: _publish_update,
    AddActionItem: _add_action_item,
    CompleteActionItem: _complete_action_item,
    CorrectEntry: _correct_entry,
    EraseEntry: _erase_entry,
    AddUser: _add_user,
    UpdateUser: _update_user,
    SchedulePostmortem: _schedule_postmortem,
    CompletePostmortem: _complete_postmortem,
    ReviewGovernance: _review_governance,
    RequestGateException: _request_gate_exception,
    ApproveGateException: _approve_gate_exception,
    GrantBreakglass: _grant_breakglass,
    RevokeBreakglass: _revoke_breakglass,
    LiftFreeze: _lift_freeze,
    RecordAccess: _record_access,
}
