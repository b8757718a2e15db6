"""`fireline export`: write an incident's workspace folder (or zip) from its ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fireline.cli import AsOption, IncidentArg, app, echo, guarded, plural, remote, viewing
from fireline.domain import parse_incident_id
from fireline.errors import InvalidCommandError


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
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        from fireline.client.downloads import export_zip

        if not zip_:
            raise InvalidCommandError(
                "in client mode the server sends the export as a zip: add --zip"
            )
        path, result = export_zip(server, wanted, out=out, unmasked=unmasked)
    else:
        from fireline.reads import export as exporting

        with viewing(as_) as (ctx, identity):
            written = exporting.export(
                ctx, identity, wanted, out=out, masked=not unmasked, archive=zip_
            )
        path, result = written.path, exporting.summary(written)
    show_export(path, result)


def show_export(path: Path, result: dict[str, Any]) -> None:
    """What an export wrote, and the warning about unsalted digests when there is one."""
    r = result
    kind = "masked" if r["masked"] else "UNMASKED"
    echo(f"exported {r['incident_id']} up to event {r['seq']} ({kind}) to {path}", masked=False)
    withheld = f", {r['withheld']} withheld (binary, cannot be masked)" if r["withheld"] else ""
    echo(
        f"  {plural(r['files'], 'file')}, {plural(r['evidence_files'], 'evidence file')}"
        f"{withheld}; recorded as {r['incident_id']} event {r['event_seq']} (export.created)",
        masked=False,
    )
    echo(f"  check it offline: fireline verify {path}", masked=False)
    if r["unsalted"]:
        typer.echo(
            f"fireline: warning: {plural(r['unsalted'], 'masked event')} predate salted "
            "digests (event format v1): their digests can confirm a guessed masked value",
            err=True,
        )
