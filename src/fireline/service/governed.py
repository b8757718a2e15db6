"""Handlers for governance: the user registry, postmortem, review, gate exceptions,
breakglass, the deploy freeze and the access trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fireline import governance, queries
from fireline.commands import (
    AddUser,
    ApproveGateException,
    CompletePostmortem,
    GrantBreakglass,
    LiftFreeze,
    RecordAccess,
    RecordExport,
    RequestGateException,
    ReviewGovernance,
    RevokeBreakglass,
    UpdateUser,
)
from fireline.domain import (
    CLEARANCES,
    REGISTRY_CHAIN,
    REGISTRY_ROLES,
    IncidentId,
    iso_utc,
    parse_actor,
    require_text,
)
from fireline.errors import InvalidCommandError, NotFoundError, PolicyDeniedError
from fireline.events import TRAIL_KINDS
from fireline.ledger import store
from fireline.service.plan import (
    Call,
    Plan,
    choices,
    require_open,
)


def _registry_entry(
    call: Call, name: str, roles: tuple[str, ...], clearances: tuple[str, ...]
) -> dict[str, Any]:
    if not roles:
        raise InvalidCommandError(f"give {name} at least one --role ({', '.join(REGISTRY_ROLES)})")
    return {
        "name": parse_actor(name),
        "roles": choices("role", tuple(r.strip().lower() for r in roles), REGISTRY_ROLES),
        "clearances": choices(
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
    state = require_open(call)
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
    state = require_open(call)
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
    state = require_open(call)
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
    state = require_open(call)
    if not state.freeze or state.freeze_lifted_at is not None:
        raise InvalidCommandError(f"{state.id} holds no deploy freeze to lift")
    return Plan(state.id, [("freeze.lifted", {"reason": require_text("--reason", cmd.reason)})])


def _record_access(call: Call, cmd: RecordAccess) -> Plan:
    return Plan(call.incident.id, [("access.read", {"view": cmd.view})])


def _record_export(call: Call, cmd: RecordExport) -> Plan:
    """The export trail: refuses an unmasked export without clearance, or a stale one."""
    state = call.incident
    if not cmd.masked and not governance.sees_sensitive(call.conn, call.actor, call.ctx.settings):
        raise PolicyDeniedError(unmasked_refusal(call.actor))
    if store.last_change(call.conn, state.id, skip_kinds=TRAIL_KINDS) != (cmd.seq, cmd.head):
        raise InvalidCommandError(
            f"{state.id} changed while it was being exported; run the export again"
        )
    payload = {
        "masked": cmd.masked,
        "seq": cmd.seq,
        "head": cmd.head,
        "seal_sha256": cmd.seal_sha256,
        "timezone": cmd.timezone,
        "coordinate_precision": f"{cmd.coordinate_precision:g}",
        "archive": cmd.archive,
    }
    return Plan(state.id, [("export.created", payload)])


def unmasked_refusal(actor: str) -> str:
    return (
        f"--unmasked needs the sensitive clearance, which {actor} does not hold "
        "(granted by `fireline user update --clearance sensitive` or sensitive_clearance)"
    )


GOVERNANCE_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    AddUser: _add_user,
    UpdateUser: _update_user,
    CompletePostmortem: _complete_postmortem,
    ReviewGovernance: _review_governance,
    RequestGateException: _request_gate_exception,
    ApproveGateException: _approve_gate_exception,
    GrantBreakglass: _grant_breakglass,
    RevokeBreakglass: _revoke_breakglass,
    LiftFreeze: _lift_freeze,
    RecordAccess: _record_access,
    RecordExport: _record_export,
}
