"""`fireline action add|done|list`: follow-up work with owners and due dates."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    IncidentArg,
    app,
    echo,
    emit_json,
    guarded,
    number_argument,
    recorded,
    seeing,
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
    as_: AsOption = None,
) -> None:
    """Mark an action item done."""
    from fireline.commands import CompleteActionItem

    recorded(
        write(
            CompleteActionItem(
                incident_id=parse_incident_id(incident_id), number=number, note=note
            ),
            as_,
        )
    )


@action_app.command("list")
@guarded
def list_(
    incident_id: IncidentArg,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """List an incident's action items."""
    from fireline import queries

    with seeing(as_, "action list", parse_incident_id(incident_id)) as (conn, _ctx, _visible):
        items = queries.list_action_items(conn, incident_id)
    if format_ is Format.json:
        emit_json([asdict(item) for item in items])
        return
    if not items:
        echo("no action items")
    for item in items:
        echo(
            f"#{item.number} [{item.status}] {item.priority} {item.title} — owner {item.owner}, "
            f"due {item.due or 'unset'}"
        )
