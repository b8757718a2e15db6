"""Writes on an incident: declare, log, sev, status, update, correct, erase."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from fireline.cli import (
    AsOption,
    IncidentArg,
    app,
    echo,
    guarded,
    number_argument,
    recorded,
    write,
)
from fireline.domain import parse_incident_id, parse_when


def _when(field: str, text: str | None) -> datetime | None:
    return None if text is None else parse_when(field, text)


@app.command()
@guarded
def declare(
    title: Annotated[str, typer.Argument(help="One-line summary of what is wrong.")],
    sev: Annotated[str, typer.Option("--sev", help="Severity on the configured ladder.")],
    impact: Annotated[str, typer.Option(help="Who/what is broken, in plain language.")] = "",
    system: Annotated[list[str], typer.Option(help="Affected system (repeatable).")] = [],  # noqa: B006
    dataset: Annotated[list[str], typer.Option(help="Affected dataset ID[:VERSION].")] = [],  # noqa: B006
    label: Annotated[list[str], typer.Option(help="Policy label, e.g. restricted.")] = [],  # noqa: B006
    flag: Annotated[list[str], typer.Option(help="Policy flag, e.g. policy-bypass.")] = [],  # noqa: B006
    ic: Annotated[str | None, typer.Option(help="Assign the Incident Commander now.")] = None,
    detected_at: Annotated[
        str | None, typer.Option(help="When it was detected (ISO 8601).")
    ] = None,
    drill: Annotated[
        bool, typer.Option("--drill", help="An exercise: never freezes deploys, shown as DRILL.")
    ] = False,
    as_: AsOption = None,
) -> None:
    """Declare an incident; prints its new id."""
    from fireline.commands import Declare

    events = write(
        Declare(
            title=title,
            severity=sev,
            impact=impact,
            systems=tuple(system),
            datasets=tuple(dataset),
            labels=tuple(label),
            flags=tuple(flag),
            ic=ic,
            detected_at=_when("--detected-at", detected_at),
            drill=drill,
        ),
        as_,
    )
    echo(events[0].incident_id)


@app.command()
@guarded
def log(
    incident_id: IncidentArg,
    kind: Annotated[
        str,
        typer.Argument(help="fact, hypothesis, decision, mitigation, detection or root-cause."),
    ],
    text: Annotated[str, typer.Argument(help="The entry.")],
    ref: Annotated[list[str], typer.Option(help="Evidence reference KIND:ID (repeatable).")] = [],  # noqa: B006
    why: Annotated[str | None, typer.Option(help="Why (required for decisions).")] = None,
    approver: Annotated[str | None, typer.Option(help="Who approved a decision.")] = None,
    at: Annotated[str | None, typer.Option(help="When it happened, if not now (ISO 8601).")] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="A root cause understood only in part.")
    ] = False,
    as_: AsOption = None,
) -> None:
    """Record a fact, hypothesis, decision, mitigation, detection or root-cause entry."""
    from fireline.commands import LogEntry

    recorded(
        write(
            LogEntry(
                incident_id=parse_incident_id(incident_id),
                kind=kind,
                text=text,
                refs=tuple(ref),
                why=why,
                approver=approver,
                at=_when("--at", at),
                partial=partial,
            ),
            as_,
        )
    )


@app.command()
@guarded
def sev(
    incident_id: IncidentArg,
    severity: Annotated[str, typer.Argument(help="The new severity.")],
    reason: Annotated[str, typer.Option(help="Why the severity changes (required).")],
    as_: AsOption = None,
) -> None:
    """Re-severitize an incident."""
    from fireline.commands import ChangeSeverity

    recorded(
        write(
            ChangeSeverity(
                incident_id=parse_incident_id(incident_id), severity=severity, reason=reason
            ),
            as_,
        )
    )


@app.command()
@guarded
def status(
    incident_id: IncidentArg,
    new_status: Annotated[str, typer.Argument(metavar="STATUS", help="The lifecycle status.")],
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    as_: AsOption = None,
) -> None:
    """Move an incident along its lifecycle (only legal transitions)."""
    from fireline.commands import Transition

    recorded(
        write(
            Transition(
                incident_id=parse_incident_id(incident_id), status=new_status, reason=reason
            ),
            as_,
        )
    )


@app.command()
@guarded
def update(
    incident_id: IncidentArg,
    status_: Annotated[
        str | None, typer.Option("--status", help="Must match the incident's status.")
    ] = None,
    impact: Annotated[str, typer.Option(help="Who/what is affected.")] = "",
    fact: Annotated[list[str], typer.Option(help="What we know (repeatable).")] = [],  # noqa: B006
    hypothesis: Annotated[list[str], typer.Option(help="What we suspect (repeatable).")] = [],  # noqa: B006
    action: Annotated[list[str], typer.Option(help="What we did (repeatable).")] = [],  # noqa: B006
    next_: Annotated[list[str], typer.Option("--next", help="Next step (repeatable).")] = [],  # noqa: B006
    next_update: Annotated[
        str | None, typer.Option(help="When the next update is due (default: the cadence).")
    ] = None,
    public: Annotated[
        bool,
        typer.Option(
            "--public", help="Also show it on the public status page (IC or comms lead only)."
        ),
    ] = False,
    as_: AsOption = None,
) -> None:
    """Publish a status update (facts kept apart from hypotheses)."""
    from fireline.commands import PublishUpdate

    recorded(
        write(
            PublishUpdate(
                incident_id=parse_incident_id(incident_id),
                status=status_,
                impact=impact,
                facts=tuple(fact),
                hypotheses=tuple(hypothesis),
                actions=tuple(action),
                next_steps=tuple(next_),
                next_update_at=_when("--next-update", next_update),
                public=public,
            ),
            as_,
        )
    )


@app.command()
@guarded
def correct(
    incident_id: IncidentArg,
    seq: Annotated[int, number_argument("The event number of the entry to correct.")],
    text: Annotated[str, typer.Argument(help="The corrected entry.")],
    reason: Annotated[str, typer.Option(help="Why it was wrong.")] = "",
    as_: AsOption = None,
) -> None:
    """Correct a log entry: a new event pointing at the old one (nothing is edited)."""
    from fireline.commands import CorrectEntry

    recorded(
        write(
            CorrectEntry(
                incident_id=parse_incident_id(incident_id), target_seq=seq, text=text, reason=reason
            ),
            as_,
        )
    )


@app.command()
@guarded
def erase(
    incident_id: IncidentArg,
    seq: Annotated[int, number_argument("The event number of the entry to erase.")],
    reason: Annotated[str, typer.Option(help="Legal or privacy basis (required).")],
    as_: AsOption = None,
) -> None:
    """Erase a log entry's content (legal/privacy); its hash stays so the chain verifies."""
    from fireline.commands import EraseEntry

    recorded(
        write(
            EraseEntry(incident_id=parse_incident_id(incident_id), target_seq=seq, reason=reason),
            as_,
        )
    )
