"""`fireline export`: write an incident's workspace folder (or zip) from its ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fireline.cli import AsOption, IncidentArg, app, echo, guarded, open_store, plural
from fireline.domain import parse_incident_id


@app.command("export")
@guarded
def export(
    incident_id: IncidentArg,
    out: Annotated[Path, typer.Option("--out", help="Folder to write INC-…/ (or INC-….zip) into.")],
    zip_: Annotated[
        bool, typer.Option("--zip", help="Write one deterministic zip instead.")
    ] = False,
    unmasked: Annotated[
        bool,
        typer.Option("--unmasked", help="Keep PII and precise coordinates (sensitive clearance)."),
    ] = False,
    as_: AsOption = None,
) -> None:
    """Export the incident workspace: record, timeline, evidence, ledger, PROV, postmortem."""
    from fireline.export.writer import export_incident
    from fireline.service import resolve_identity

    wanted = parse_incident_id(incident_id)
    ctx = open_store()
    try:
        result = export_incident(
            ctx,
            wanted,
            actor=resolve_identity(as_, ctx.settings),
            out=out,
            masked=not unmasked,
            archive=zip_,
        )
    finally:
        ctx.close()
    kind = "masked" if result.masked else "UNMASKED"
    echo(
        f"exported {result.incident_id} up to event {result.seq} ({kind}) to {result.path}",
        masked=False,
    )
    withheld = f", {result.withheld} withheld (binary, cannot be masked)" if result.withheld else ""
    echo(
        f"  {plural(result.files, 'file')}, {plural(result.evidence_files, 'evidence file')}"
        f"{withheld}; recorded as {result.incident_id} event {result.event_seq} (export.created)",
        masked=False,
    )
    echo(f"  check it offline: fireline verify {result.path}", masked=False)
    if result.unsalted:
        typer.echo(
            f"fireline: warning: {plural(result.unsalted, 'masked event')} predate salted "
            "digests (event format v1): their digests can confirm a guessed masked value",
            err=True,
        )
