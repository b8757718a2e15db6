"""`fireline switch set|handover|list|check`, `fireline quarantine add|release`,
`fireline dataset mark|list`: governed switches and the datasets an incident affects.

`switch check NAME` is answered by the console entry point (`fireline.launcher`) without
loading this module in local mode; here it serves client mode and `--format json`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    IncidentArg,
    app,
    emit_model,
    fetch,
    guarded,
    load,
    read_model,
    recorded,
    remote,
    show_lines,
    viewing,
    write,
)
from fireline.domain import parse_incident_id

switch_app = typer.Typer(help="Governed switches other systems obey.", no_args_is_help=True)
app.add_typer(switch_app, name="switch")
quarantine_app = typer.Typer(help="Quarantine dataset versions.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
dataset_app = typer.Typer(help="Datasets an incident affects.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")

IncidentOption = Annotated[str, typer.Option("--incident", help="The incident this is for.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded).")]
ApproverOption = Annotated[
    str | None, typer.Option("--approver", help="Who approved (when the switch needs one).")
]


@switch_app.command("set")
@guarded
def set_(
    name: Annotated[str, typer.Argument(help="The switch, e.g. global-readonly.")],
    state: Annotated[str, typer.Argument(help="Its new state, e.g. on.")],
    incident: IncidentOption,
    reason: ReasonOption,
    approver: ApproverOption = None,
    as_: AsOption = None,
) -> None:
    """Flip a switch (or turn it back) on an incident's record; the policy decides who may."""
    from fireline.commands import LiftFreeze, SetSwitch
    from fireline.errors import InvalidCommandError
    from fireline.switches.spec import DEPLOY_FREEZE

    incident_id = parse_incident_id(incident)
    if name == DEPLOY_FREEZE:
        if state != "open":
            raise InvalidCommandError(
                f"{DEPLOY_FREEZE} is set by the severity ladder; it can only be lifted (open)"
            )
        recorded(write(LiftFreeze(incident_id=incident_id, reason=reason), as_))
        return
    command = SetSwitch(
        incident_id=incident_id, name=name, state=state, reason=reason, approver=approver
    )
    recorded(write(command, as_))


@switch_app.command("handover")
@guarded
def handover(
    name: Annotated[str, typer.Argument(help="The switch to take over.")],
    from_: Annotated[str, typer.Option("--from", help="The incident that left it flipped.")],
    incident: IncidentOption,
    reason: ReasonOption,
    as_: AsOption = None,
) -> None:
    """Take over a switch another incident left flipped, so that one may resolve."""
    from fireline.commands import HandOverSwitch

    command = HandOverSwitch(
        incident_id=parse_incident_id(incident),
        name=name,
        from_incident=from_,
        reason=reason,
    )
    recorded(write(command, as_))


def switch_lines(model: dict[str, Any]) -> list[str]:
    """One line per switch: name, state, and who holds it when flipped."""
    lines = []
    for s in model["switches"]:
        if s["normal"]:
            lines.append(f"{s['name']}: {s['state']} (normal)")
            continue
        who = s["incident"] or ("a restricted incident" if s["restricted"] else "")
        since = f" since {s['since']}" if s.get("since") else ""
        lines.append(f"{s['name']}: {s['state']} (flipped by {who}{since})")
    return lines


@switch_app.command("list")
@guarded
def list_(format_: FormatOption = Format.table, as_: AsOption = None) -> None:
    """Every switch's state and, when flipped, the incident holding it (if you may see it)."""
    from fireline.reads import switches

    model = read_model(
        as_, "/api/v1/switches", lambda ctx, viewer: switches.list_switches(ctx, viewer.actor)
    )
    if format_ is Format.json:
        emit_model(model)
    else:
        show_lines(switch_lines(model))


@switch_app.command("check")
@guarded
def check(
    name: Annotated[str, typer.Argument(help="The switch, e.g. global-readonly.")],
    format_: FormatOption = Format.table,
) -> None:
    """Exit 0 while NAME is normal, 1 while flipped, another code when fireline cannot say
    (then assume its safe state: read-only on, promotions paused). For scripts and CI."""
    from urllib.parse import quote

    from fireline.errors import FirelineError
    from fireline.switches.check import exit_code, fail_closed, state_line
    from fireline.switches.spec import lookup

    spec = lookup(load().switches, name)
    server = remote()
    try:
        if server is not None:
            model = fetch(server, f"/api/v1/switches/{quote(name, safe='')}")
        else:
            from fireline.reads import switches

            with viewing(None) as (ctx, identity):
                model = switches.get_switch(ctx, identity.actor, name)
    except FirelineError as exc:
        error = fail_closed(spec, exc)
        error.exit_code = exit_code(error)
        raise error from None
    code, line = state_line(spec, model["state"], model.get("since"))
    if format_ is Format.json:
        emit_model(model)
    else:
        show_lines([line])
    if code:
        raise typer.Exit(code)


@quarantine_app.command("add")
@guarded
def quarantine_add(
    version: Annotated[str, typer.Argument(help="The dataset version, ID:VERSION.")],
    incident: IncidentOption,
    reason: ReasonOption,
    approver: ApproverOption = None,
    as_: AsOption = None,
) -> None:
    """Quarantine a dataset version: remove it from latest pointers, block serving."""
    _mark(incident, version, "quarantined", reason, approver, as_)


@quarantine_app.command("release")
@guarded
def quarantine_release(
    version: Annotated[str, typer.Argument(help="The dataset version, ID:VERSION.")],
    incident: IncidentOption,
    reason: ReasonOption,
    approver: ApproverOption = None,
    as_: AsOption = None,
) -> None:
    """Release a quarantined version (it is restored): its stability window starts."""
    _mark(incident, version, "restored", reason, approver, as_)


@dataset_app.command("mark")
@guarded
def dataset_mark(
    incident_id: IncidentArg,
    dataset: Annotated[str, typer.Argument(help="ID or ID:VERSION.")],
    state: Annotated[str, typer.Argument(help="suspected, confirmed, quarantined or restored.")],
    reason: ReasonOption,
    approver: ApproverOption = None,
    as_: AsOption = None,
) -> None:
    """Record a dataset's (or version's) state on the incident."""
    _mark(incident_id, dataset, state, reason, approver, as_)


def _mark(
    incident: str, dataset: str, state: str, reason: str, approver: str | None, as_: str | None
) -> None:
    from fireline.commands import MarkDataset

    command = MarkDataset(
        incident_id=parse_incident_id(incident),
        dataset=dataset,
        state=state,
        reason=reason,
        approver=approver,
    )
    recorded(write(command, as_))


@dataset_app.command("list")
@guarded
def dataset_list(
    incident_id: IncidentArg, format_: FormatOption = Format.table, as_: AsOption = None
) -> None:
    """The incident's datasets with their states, and the switches it touched."""
    incident = parse_incident_id(incident_id)
    from fireline.reads import switches

    model = read_model(
        as_,
        f"/api/v1/incidents/{incident}/switches",
        lambda ctx, viewer: switches.on_incident(ctx, viewer, incident),
    )
    if format_ is Format.json:
        emit_model(model)
        return
    lines = [
        f"{d['dataset']}: {d['state']} ({d['changed_by']}, {d['changed_at']}): {d['reason']}"
        for d in model["datasets"]
    ] or ["no datasets recorded"]
    for s in model["switches"]:
        held = ", held" if s["held"] else ""
        lines.append(
            f"switch {s['name']}: {s['state']}{held} ({s['changed_by']}, {s['changed_at']})"
        )
    show_lines(lines)
