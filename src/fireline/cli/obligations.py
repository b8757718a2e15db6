"""`fireline obligations`, `obligation meet` and `deadlines tick`: an incident's deadlines.

`obligations` lists what the incident owes (owner, due, met or missed, and the delivery or the
person that met it); `obligation meet` records one met with its evidence; `deadlines tick`
runs the scheduler once (cron, tests) — the worker loop runs the same `fireline.deadlines.tick`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    IncidentArg,
    app,
    echo,
    emit_model,
    guarded,
    local_only,
    open_store,
    read_model,
    recorded,
    show_lines,
    write,
)
from fireline.domain import parse_incident_id, parse_when

obligation_app = typer.Typer(help="Record an incident's obligations met.", no_args_is_help=True)
app.add_typer(obligation_app, name="obligation")
deadlines_app = typer.Typer(help="Run the deadline scheduler.", no_args_is_help=True)
app.add_typer(deadlines_app, name="deadlines")


@app.command("obligations")
@guarded
def list_(
    incident_id: IncidentArg,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """Every deadline of an incident: what, owner, due, met or missed, and what met it."""
    wanted = parse_incident_id(incident_id)
    from fireline.reads import obligations

    model = read_model(
        as_,
        f"/api/v1/incidents/{wanted}/obligations",
        lambda ctx, viewer: obligations.obligations(ctx, viewer, wanted),
    )
    if format_ is Format.json:
        emit_model(model)
        return
    show_lines(render_obligations(model["obligations"]) or [f"no obligations on {wanted}"])


def render_obligations(rows: list[dict[str, Any]]) -> list[str]:
    """One block per obligation: the status in words (never only a colour) and the countdown."""
    from fireline.cli.views import countdown, utc_text

    lines = []
    width = max((len(row["name"]) for row in rows), default=0)
    for row in rows:
        status = row["status"].upper()
        if row["status"] == "open":
            status += f" ({countdown(row['seconds_left'])})"
        lines.append(
            f"{row['name']:<{width}}  {status:<26} due {utc_text(row['due_at'])}  "
            f"owner {row['owner']}"
        )
        lines.append(f"  {row['title']} ({row['source']} {row['trigger']})")
        if row["channels"]:
            lines.append(f"  met by a delivery to: {', '.join(row['channels'])}")
        if row["status"] == "met" and row["channel"]:
            lines.append(
                f"  met {utc_text(row['closed_at'])}: delivered to {row['channel']} "
                f"(event {row['closed_seq']})"
            )
        elif row["status"] == "met":
            lines.append(
                f"  met {utc_text(row['closed_at'])} by {row['met_by']} "
                f"(event {row['closed_seq']}): {row['evidence']}"
            )
        elif row["status"] == "missed":
            lines.append(f"  missed: nothing met it by its due time (event {row['closed_seq']})")
    return lines


@obligation_app.command("meet")
@guarded
def meet(
    incident_id: IncidentArg,
    name: Annotated[str, typer.Argument(help="The obligation (see `fireline obligations`).")],
    evidence: Annotated[
        str, typer.Option(help="What shows it was met: a ticket, a message id, a call log.")
    ],
    at: Annotated[
        str | None, typer.Option(help="When it was met (ISO 8601; default: now).")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Record an obligation met by something other than a delivery fireline made."""
    from fireline.commands import MeetObligation

    recorded(
        write(
            MeetObligation(
                incident_id=parse_incident_id(incident_id),
                name=name,
                evidence=evidence,
                at=None if at is None else parse_when("--at", at),
            ),
            as_,
        )
    )


@deadlines_app.command("tick")
@guarded
def tick(
    now: Annotated[
        str | None,
        typer.Option(help="Judge deadlines as of this moment (ISO 8601; not ahead of the clock)."),
    ] = None,
) -> None:
    """Record every reminder, overdue update and missed obligation that is due, once."""
    from fireline.deadlines import tick as run

    local_only("deadlines tick")
    ctx = open_store()
    try:
        moment = datetime.now(UTC) if now is None else parse_when("--now", now)
        events = run(ctx, moment)
    finally:
        ctx.close()
    recorded(events)
    if not events:
        echo("nothing due", masked=False)
