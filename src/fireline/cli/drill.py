"""`fireline drill plan|due|record|list`: the drill programme, what is due, what was done.

A drill itself is an incident declared `--drill`; `drill record` puts its outcome (and its
findings, as action items) on that incident's chain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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
    reading,
    recorded,
    remote,
    show_lines,
    write,
)
from fireline.domain import parse_day, parse_incident_id

drill_app = typer.Typer(help="The drill programme: plan, due, record.", no_args_is_help=True)
app.add_typer(drill_app, name="drill")


def _today() -> date:
    return datetime.now(UTC).date()


def _read(path: str, params: dict[str, Any], local: Any) -> Any:
    server = remote()
    if server is not None:
        return fetch(server, path, params)
    with reading() as (conn, settings):
        return local(conn, settings)


def _slot_line(slot: dict[str, Any], *, status: bool = True) -> str:
    done = f"  {', '.join(slot['done'])}" if slot["done"] else ""
    state = f"{slot['status']:<8} " if status else ""
    return f"{slot['period']:<8} {state}{slot['kind']:<26} {slot['title']}{done}"


@drill_app.command("plan")
@guarded
def plan(
    quarterly: Annotated[
        bool, typer.Option("--quarterly", help="Group the year's slots by the quarter they end in.")
    ] = False,
    year: Annotated[int | None, typer.Option(help="Which year (default: this one).")] = None,
    format_: FormatOption = Format.table,
) -> None:
    """The year's drill schedule from the programme, each slot done, due, missed or planned."""
    from fireline.drills import reads

    today = _today()
    chosen = today.year if year is None else year
    if not 2000 <= chosen <= 2100:
        raise typer.BadParameter("--year must be from 2000 to 2100")
    model = _read(
        "/api/v1/drills/plan",
        {"year": chosen},
        lambda conn, settings: reads.programme(conn, settings, year=chosen, today=today),
    )
    if format_ is Format.json:
        emit_model(model)
        return
    lines = [f"drill programme {chosen} ({len(model['kinds'])} kinds)"]
    if quarterly:
        for quarter in range(1, 5):
            end = date(chosen, quarter * 3, 1)
            lines.append(f"Q{quarter}")
            lines.extend(
                "  " + _slot_line(slot)
                for slot in model["slots"]
                if date.fromisoformat(slot["end"]) > end
                and date.fromisoformat(slot["end"]) <= _next_quarter(chosen, quarter)
            )
    else:
        lines.extend(_slot_line(slot) for slot in model["slots"])
    show_lines(lines)


def _next_quarter(year: int, quarter: int) -> date:
    return date(year + 1, 1, 1) if quarter == 4 else date(year, quarter * 3 + 1, 1)


@drill_app.command("due")
@guarded
def due(format_: FormatOption = Format.table) -> None:
    """What the programme wants done this period, and what the last period missed."""
    from fireline.drills import reads

    today = _today()
    model = _read(
        "/api/v1/drills/due", {}, lambda conn, settings: reads.due(conn, settings, today=today)
    )
    if format_ is Format.json:
        emit_model(model)
        return
    lines: list[str] = []
    for name in ("due", "missed", "done"):
        lines.extend(f"{name:<7} {_slot_line(slot, status=False)}" for slot in model[name])
    show_lines(lines or ["no drills in the programme"])


@drill_app.command("record")
@guarded
def record(
    incident_id: IncidentArg,
    kind: Annotated[str, typer.Option(help="The programme's drill kind (see `drill plan`).")],
    outcome: Annotated[str, typer.Option(help="What happened and what it showed.")],
    finding: Annotated[
        list[str], typer.Option(help="A finding: becomes an action item (repeatable).")
    ] = [],  # noqa: B006
    owner: Annotated[
        str | None, typer.Option(help="Who owns the findings' action items (default: you).")
    ] = None,
    due_: Annotated[str | None, typer.Option("--due", help="When they are due.")] = None,
    priority: Annotated[str, typer.Option(help="P0–P3 for the findings.")] = "P2",
    as_: AsOption = None,
) -> None:
    """Record a drill done on a drill incident: its kind, outcome and findings."""
    from fireline.commands import RecordDrill

    recorded(
        write(
            RecordDrill(
                incident_id=parse_incident_id(incident_id),
                kind=kind,
                outcome=outcome,
                findings=tuple(finding),
                owner=owner,
                due=None if due_ is None else parse_day("--due", due_),
                priority=priority,
            ),
            as_,
        )
    )


@drill_app.command("list")
@guarded
def list_(format_: FormatOption = Format.table) -> None:
    """Every drill exercise recorded: when, which kind, the outcome and its findings."""
    from fireline.drills import reads

    done = _read("/api/v1/drills", {}, lambda conn, settings: reads.list_done(conn))
    if format_ is Format.json:
        emit_model(done)
        return
    lines: list[str] = []
    for item in done:
        findings = item["findings"]
        closed = sum(1 for f in findings if f["status"] != "open")
        lines.append(
            f"{item['completed_at'][:16].replace('T', ' ')}Z  DRILL {item['incident_id']}  "
            f"{item['kind']}: "
            f"{item['outcome']} ({closed} of {len(findings)} finding(s) closed)"
        )
    show_lines(lines or ["no drills recorded"])
