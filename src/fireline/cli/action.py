"""`fireline action add|done|list`: follow-up work with owners and due dates."""

from __future__ import annotations

from typing import Annotated

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
    number_argument,
    recorded,
    remote,
    show_lines,
    viewing,
    write,
)
from fireline.domain import parse_day, parse_incident_id

action_app = typer.Typer(help="Track action items.", no_args_is_help=True)
app.add_typer(action_app, name="action")


@action_app.command("add")
@guarded
def add(
    incident_id: IncidentArg,
    title: Annotated[str, typer.Argument(help="What must be done.")],
    owner: Annotated[str, typer.Option(help="Who owns it.")],
    due: Annotated[str | None, typer.Option(help="Due date YYYY-MM-DD.")] = None,
    priority: Annotated[str, typer.Option(help="P0, P1, P2 or P3.")] = "P2",
    verification: Annotated[
        str | None,
        typer.Option(help="The test or monitor that proves the fix (needed to close it)."),
    ] = None,
    tracker: Annotated[
        str | None, typer.Option(help="Link to the issue in an external tracker.")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Add an action item (allowed after closure too)."""
    from fireline.commands import AddActionItem

    recorded(
        write(
            AddActionItem(
                incident_id=parse_incident_id(incident_id),
                title=title,
                owner=owner,
                due=None if due is None else parse_day("--due", due),
                priority=priority,
                verification=verification,
                tracker=tracker,
            ),
            as_,
        )
    )


@action_app.command("done")
@guarded
def done(
    incident_id: IncidentArg,
    number: Annotated[int, number_argument("The action item number.")],
    note: Annotated[str, typer.Option(help="How it was done (PR, ticket…).")] = "",
    verification: Annotated[
        str | None, typer.Option(help="Its verification, if it was added without one.")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Mark an action item done: open → done (refused without its verification)."""
    from fireline.commands import CompleteActionItem

    recorded(
        write(
            CompleteActionItem(
                incident_id=parse_incident_id(incident_id),
                number=number,
                note=note,
                verification=verification,
            ),
            as_,
        )
    )


@action_app.command("verify")
@guarded
def verify(
    incident_id: IncidentArg,
    number: Annotated[int, number_argument("The action item number.")],
    note: Annotated[str, typer.Option(help="What the verification showed.")] = "",
    as_: AsOption = None,
) -> None:
    """Record that a done item's verification proved the fix: done → verified."""
    from fireline.commands import VerifyActionItem

    recorded(
        write(
            VerifyActionItem(incident_id=parse_incident_id(incident_id), number=number, note=note),
            as_,
        )
    )


@app.command("actions")
@guarded
def actions(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open items past due.")] = False,
    owner: Annotated[str | None, typer.Option(help="Only this owner's items.")] = None,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """Action items across every incident you may see, soonest due first."""
    from fireline.cli.views import render_action_item
    from fireline.domain import parse_actor

    who = None if owner is None else parse_actor(owner)
    server = remote(as_)
    if server is not None:
        params = {"overdue": overdue, **({} if who is None else {"owner": who})}
        items = fetch(server, "/api/v1/actions", params)
    else:
        from fireline.reads import postmortems

        with viewing(as_) as (ctx, identity):
            items = postmortems.list_actions(ctx, identity, overdue_only=overdue, owner=who)
    if format_ is Format.json:
        emit_model(items)
        return
    show_lines(
        [
            f"{item['incident_id']} {render_action_item(item)}"
            + (" OVERDUE" if item["overdue"] else "")
            for item in items
        ]
        or ["no action items"]
    )


@action_app.command("list")
@guarded
def list_(
    incident_id: IncidentArg,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """List an incident's action items."""
    from fireline.cli.views import render_action_item

    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        items = fetch(server, f"/api/v1/incidents/{wanted}/actions")
    else:
        from fireline.reads import incidents

        with viewing(as_) as (ctx, identity):
            items = incidents.action_items(ctx, identity, wanted)
    if format_ is Format.json:
        emit_model(items)
        return
    show_lines([render_action_item(item) for item in items] or ["no action items"])
