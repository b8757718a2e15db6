"""Definition of done: `gates`, `gate except|approve`, `review`."""

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
from fireline.domain import parse_incident_id

gate_app = typer.Typer(help="Exceptions to closure gates (IC and steward).", no_args_is_help=True)
app.add_typer(gate_app, name="gate")


@app.command()
@guarded
def gates(
    incident_id: IncidentArg,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """The closure gates as a checklist: what must hold before mitigated and resolved/closed."""
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        found = fetch(server, f"/api/v1/incidents/{wanted}/gates")
    else:
        from fireline.reads import incidents

        with viewing(as_) as (ctx, identity):
            found = incidents.gates(ctx, identity, wanted)
    if format_ is Format.json:
        emit_model(found)
        return
    lines = []
    for gate, items in found["unmet"].items():
        verdict = "met" if not items else ("excepted" if gate in found["excepted"] else "NOT MET")
        lines.append(f"{gate}: {verdict}")
        lines.extend(f"  [ ] {item}" for item in items)
    show_lines(lines)


@gate_app.command("except")
@guarded
def request_exception(
    incident_id: IncidentArg,
    gate: Annotated[str, typer.Argument(help="mitigated or resolved.")],
    why: Annotated[str, typer.Option(help="The justification, for the record.")],
    as_: AsOption = None,
) -> None:
    """Ask to bypass a gate; it holds once the IC and the governance steward both approve."""
    from fireline.commands import RequestGateException

    recorded(
        write(
            RequestGateException(
                incident_id=parse_incident_id(incident_id), gate=gate, justification=why
            ),
            as_,
        )
    )


@gate_app.command("approve")
@guarded
def approve_exception(
    incident_id: IncidentArg,
    seq: Annotated[int, number_argument("The event number of the exception request.")],
    as_: AsOption = None,
) -> None:
    """Approve a gate exception (the party that did not request it)."""
    from fireline.commands import ApproveGateException

    recorded(
        write(
            ApproveGateException(incident_id=parse_incident_id(incident_id), exception_seq=seq), as_
        )
    )


@app.command()
@guarded
def review(
    incident_id: IncidentArg,
    outcome: Annotated[str, typer.Argument(help="The governance review's outcome.")],
    as_: AsOption = None,
) -> None:
    """Sign off the governance review (a steward), required to close a flagged incident."""
    from fireline.commands import ReviewGovernance

    recorded(
        write(ReviewGovernance(incident_id=parse_incident_id(incident_id), outcome=outcome), as_)
    )
