"""`fireline runbook attach`, `check`, `uncheck`, `checklist`: runbooks inside an incident.

Attaching puts a runbook's digests on the record and its `- [ ]` items on the incident's
checklist; checking and unchecking items are events with who and when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    IncidentArg,
    app,
    echo,
    emit_model,
    fetch,
    guarded,
    load,
    plural,
    reading,
    recorded,
    remote,
    show_lines,
    viewing,
    write,
)
from fireline.cli.runbook import runbook_app
from fireline.domain import parse_incident_id

if TYPE_CHECKING:
    from pathlib import Path

ItemsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="ITEM",
        help="CHECKLIST:N, a range CHECKLIST:N-M or a list CHECKLIST:N,M-K, e.g. mitigated:1-4 "
        "(see `fireline checklist`); with --all, checklist names.",
    ),
]
AllOption = Annotated[
    bool, typer.Option("--all", help="Every item of the named checklists not yet in that state.")
]
NoteOption = Annotated[str, typer.Option("--note", help="Why, or the evidence (free text).")]


@runbook_app.command("attach")
@guarded
def attach(
    incident_id: IncidentArg,
    runbook: Annotated[
        str,
        typer.Argument(
            metavar="RUNBOOK",
            help="A runbook id (looked up in runbook_dir) or a path to a runbook file.",
        ),
    ],
    as_: AsOption = None,
) -> None:
    """Attach a runbook: its digests go on the record, its `- [ ]` items become checklist items."""
    from fireline.checklists.locate import indexed_paths, locate, read_source
    from fireline.commands import AttachRunbook

    inc = parse_incident_id(incident_id)
    folder = load().runbook_dir
    indexed: list[Path] = []
    if remote(as_) is None:  # client mode has no local index: ids resolve in runbook_dir
        with reading() as (conn, _settings):  # the runbook index, for an id runbook_dir lacks
            indexed = indexed_paths(conn, runbook)
    source = read_source(locate(runbook, runbook_dir=folder, indexed=indexed), runbook_dir=folder)
    command = AttachRunbook(
        incident_id=inc, path=source.path, content=source.content, git_commit=source.git_commit
    )
    events = write(command, as_)
    recorded(events)
    for event in events:
        p = event.payload or {}
        echo(
            f"  {p['checklist']} ({p['path']}): {plural(len(p['items']), 'checklist item')}, "
            f"sha256 {p['sha256'][:12]}, git blob {p['git_blob'][:12]}"
            + (f", commit {p['git_commit'][:12]}" if p["git_commit"] else "")
        )


@app.command()
@guarded
def check(
    incident_id: IncidentArg,
    items: ItemsArg = [],  # noqa: B006 — optional here so that none is one clear line
    all_: AllOption = False,
    note: NoteOption = "",
    as_: AsOption = None,
) -> None:
    """Check checklist items, all or none (refused if any is already checked)."""
    from fireline.commands import CheckItem

    inc = parse_incident_id(incident_id)
    recorded(write(CheckItem(incident_id=inc, items=tuple(items), note=note, every=all_), as_))


@app.command()
@guarded
def uncheck(
    incident_id: IncidentArg,
    items: ItemsArg = [],  # noqa: B006 — optional here so that none is one clear line
    all_: AllOption = False,
    note: NoteOption = "",
    as_: AsOption = None,
) -> None:
    """Uncheck checked items, all or none (they were not done after all)."""
    from fireline.commands import UncheckItem

    inc = parse_incident_id(incident_id)
    recorded(write(UncheckItem(incident_id=inc, items=tuple(items), note=note, every=all_), as_))


@app.command()
@guarded
def checklist(
    incident_id: IncidentArg,
    only: Annotated[
        str | None, typer.Option("--checklist", help="Only this checklist (its name).")
    ] = None,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """List the incident's checklist items: state, who checked them and when."""
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        params = {} if only is None else {"checklist": only}
        items = fetch(server, f"/api/v1/incidents/{wanted}/checklist", params)
    else:
        from fireline.reads import incidents

        with viewing(as_) as (ctx, identity):
            items = incidents.checklist_items(ctx, identity, wanted, only=only)
    if format_ is Format.json:
        emit_model(items)
        return
    show_lines(render_items(items))


def render_items(items: list[dict[str, Any]]) -> list[str]:
    """The items under a heading per checklist section, who changed each and when."""
    from fireline.cli.views import utc_text

    if not items:
        return ["no checklist items"]
    lines = []
    section = None
    for item in items:
        if (item["checklist"], item["section"]) != section:
            section = (item["checklist"], item["section"])
            lines.append(f"{item['checklist']} — {item['section'] or '(no section)'}")
        mark = "x" if item["checked"] else " "
        who = ""
        if item["changed_at"] is not None:
            verb = "checked" if item["checked"] else "unchecked"
            who = f"  ({verb} by {item['changed_by']} {utc_text(item['changed_at'])}"
            who += f": {item['note']})" if item["note"] else ")"
        indent = "  " * item["depth"]
        lines.append(f"  {indent}[{mark}] {item['item']:<22} {item['text']}{who}")
    return lines
