"""Handlers for switch flips, hand-overs and dataset marks: validate against the current
switch state and plan the event. The policy then decides who may (the event carries the
switch's configured roles and whether an approver is needed); nothing here writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fireline.commands import HandOverSwitch, MarkDataset, SetSwitch
from fireline.domain import iso_utc, parse_actor, parse_incident_id, require_text
from fireline.errors import InvalidCommandError
from fireline.service.plan import Call, Plan, dataset, require_open
from fireline.switches import state as switch_state
from fireline.switches.spec import (
    DEPLOY_FREEZE,
    QUARANTINE_PREFIX,
    QUARANTINED,
    SwitchSpec,
    lookup,
    quarantine_name,
)

DATASET_STATES = ("suspected", "confirmed", "quarantined", "restored")


def _stable_at(call: Call, spec: SwitchSpec) -> str:
    return iso_utc(call.now + max(spec.stability, timedelta(0)))


def _approver(name: str | None) -> str | None:
    return None if name is None or not name.strip() else parse_actor(name.strip())


def _require_not_held_elsewhere(call: Call, row: switch_state.SwitchRow | None, name: str) -> None:
    """A switch another open incident holds is changed only there (or taken over): one
    incident's responders never undo another's containment. Its id is not named (it may be
    restricted); `switch list` names it to those who may see it."""
    if row is None or row.normal or row.incident_id == call.incident.id:
        return
    from fireline import queries
    from fireline.domain import Status

    holder = queries.get_state(call.conn, row.incident_id).status
    if holder not in (Status.RESOLVED, Status.CLOSED):
        raise InvalidCommandError(
            f"{name} is held by another open incident; change it there, or take it over "
            "with `fireline switch handover`"
        )


def _rules(spec: SwitchSpec) -> dict[str, Any]:
    return {"allowed_roles": list(spec.roles), "approver_required": spec.approver}


def _set_switch(call: Call, cmd: SetSwitch) -> Plan:
    state = require_open(call)
    spec = lookup(call.ctx.settings.switches, cmd.name)
    if spec.kind == "freeze":
        raise InvalidCommandError(
            f"{DEPLOY_FREEZE} follows the severity ladder; lift it with "
            "`fireline switch set deploy-freeze open` (the same as `fireline freeze lift`)"
        )
    if spec.kind == "quarantine":
        raise InvalidCommandError(
            f"{cmd.name} is a dataset quarantine; use `fireline quarantine add|release`"
        )
    wanted = spec.require_state(cmd.state)
    reason = require_text("--reason", cmd.reason)
    row = switch_state.latest(call.conn, spec.name)
    previous = spec.default if row is None else row.state
    if previous == wanted:
        raise InvalidCommandError(f"{spec.name} is already {wanted}")
    _require_not_held_elsewhere(call, row, spec.name)
    normal = spec.is_normal(wanted)
    payload = {
        "switch": spec.name,
        "kind": spec.kind,
        "state": wanted,
        "previous": previous,
        "normal": normal,
        "reason": reason,
        "approver": _approver(cmd.approver),
        **_rules(spec),
        "stable_at": _stable_at(call, spec) if normal else None,
    }
    return Plan(state.id, [("switch.set", payload)])


def _hand_over(call: Call, cmd: HandOverSwitch) -> Plan:
    state = require_open(call)
    spec = lookup(call.ctx.settings.switches, cmd.name)
    if spec.kind == "freeze":
        raise InvalidCommandError(f"{DEPLOY_FREEZE} belongs to each incident's severity")
    from_incident = parse_incident_id(cmd.from_incident)
    if from_incident == state.id:
        raise InvalidCommandError(f"{state.id} cannot take a switch over from itself")
    row = switch_state.latest(call.conn, spec.name)
    if row is None or row.normal or row.incident_id != from_incident:
        raise InvalidCommandError(f"{spec.name} is not held flipped by {from_incident}")
    payload = {
        "switch": spec.name,
        "kind": spec.kind,
        "state": row.state,
        "from_incident": from_incident,
        "reason": require_text("--reason", cmd.reason),
        **_rules(spec),
        "approver": None,
    }
    return Plan(state.id, [("switch.handed_over", payload)])


def _mark_dataset(call: Call, cmd: MarkDataset) -> Plan:
    state = require_open(call)
    if cmd.state not in DATASET_STATES:
        raise InvalidCommandError(
            f"unknown dataset state {cmd.state!r}; allowed: {', '.join(DATASET_STATES)}"
        )
    named = dataset(cmd.dataset)
    payload: dict[str, Any] = {
        **named,
        "state": cmd.state,
        "reason": require_text("--reason", cmd.reason),
        "approver": _approver(cmd.approver),
    }
    if cmd.state in (QUARANTINED, "restored"):
        version = named["version_id"]
        if not version:
            raise InvalidCommandError(
                f"a quarantine is of one version: expected ID:VERSION, got {cmd.dataset!r}"
            )
        name = quarantine_name(named["dataset_id"], version)
        spec = lookup(call.ctx.settings.switches, name)
        row = switch_state.latest(call.conn, name)
        quarantined = row is not None and not row.normal
        if cmd.state == QUARANTINED and quarantined:
            raise InvalidCommandError(
                f"{name.removeprefix(QUARANTINE_PREFIX)} is already quarantined"
            )
        if cmd.state == "restored" and not quarantined:
            raise InvalidCommandError(f"{name.removeprefix(QUARANTINE_PREFIX)} is not quarantined")
        _require_not_held_elsewhere(call, row, name)
        payload.update(_rules(spec))
        payload["stable_at"] = _stable_at(call, spec) if cmd.state == "restored" else None
    return Plan(state.id, [("dataset.marked", payload)])


SWITCH_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    SetSwitch: _set_switch,
    HandOverSwitch: _hand_over,
    MarkDataset: _mark_dataset,
}
