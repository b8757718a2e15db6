"""`fireline postmortem …`: schedule, draft from the record, edit sections, review, publish,
show and list. Every write is a command through `write`; every read goes through
`fireline.reads.postmortems` (locally or on the server)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    IncidentArg,
    app,
    emit_model,
    guarded,
    read_model,
    recorded,
    show_lines,
    write,
)
from fireline.domain import parse_day, parse_incident_id
from fireline.errors import InvalidCommandError

postmortem_app = typer.Typer(
    help="Postmortems: draft from the record, edit, review, publish.", no_args_is_help=True
)
app.add_typer(postmortem_app, name="postmortem")
ExternalOption = Annotated[
    bool, typer.Option("--external", help="The external (sanitised) version, reviewed apart.")
]
SECTION_FILE_LIMIT = 1024 * 1024


@postmortem_app.command("schedule")
@guarded
def schedule(
    incident_id: IncidentArg,
    owner: Annotated[str, typer.Option(help="Who writes it.")],
    due: Annotated[
        str | None,
        typer.Option(help="Due date YYYY-MM-DD (default: business days after resolved)."),
    ] = None,
    as_: AsOption = None,
) -> None:
    """Schedule the postmortem: by --due, or postmortem_business_days after resolution."""
    from fireline.commands import SchedulePostmortem

    recorded(
        write(
            SchedulePostmortem(
                incident_id=parse_incident_id(incident_id),
                due=None if due is None else parse_day("--due", due),
                owner=owner,
            ),
            as_,
        )
    )


@postmortem_app.command("done")
@guarded
def done(
    incident_id: IncidentArg,
    link: Annotated[str, typer.Option(help="Where the postmortem lives.")],
    as_: AsOption = None,
) -> None:
    """Record a postmortem written elsewhere as done."""
    from fireline.commands import CompletePostmortem

    recorded(write(CompletePostmortem(incident_id=parse_incident_id(incident_id), link=link), as_))


@postmortem_app.command("draft")
@guarded
def draft(
    incident_id: IncidentArg,
    template: Annotated[str, typer.Option(help="kfm (A3), ir (blameless) or evidence-kit.")],
    as_: AsOption = None,
) -> None:
    """Draft the postmortem from the record (again: human edits are kept)."""
    from fireline.commands import DraftPostmortem

    recorded(
        write(DraftPostmortem(incident_id=parse_incident_id(incident_id), template=template), as_)
    )


def read_section(path: Path) -> str:
    """A section's new text from a file (`-`: stdin), UTF-8, at most SECTION_FILE_LIMIT."""
    import sys

    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except FileNotFoundError:
        raise InvalidCommandError(f"--file {path} does not exist") from None
    except OSError as exc:
        raise InvalidCommandError(f"--file {path} cannot be read: {exc.strerror}") from None
    if len(data) > SECTION_FILE_LIMIT:
        raise InvalidCommandError(f"--file {path} is larger than 1 MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidCommandError(f"--file {path} is not UTF-8 text") from None


@postmortem_app.command("edit")
@guarded
def edit(
    incident_id: IncidentArg,
    section: Annotated[str, typer.Option(help='The section, e.g. "Root cause(s)".')],
    file: Annotated[Path, typer.Option("--file", help="The new text (Markdown); - for stdin.")],
    external: ExternalOption = False,
    as_: AsOption = None,
) -> None:
    """Replace one section's text (an event: the draft's history is on the chain)."""
    from fireline.commands import EditPostmortem

    text = read_section(file)
    recorded(
        write(
            EditPostmortem(
                incident_id=parse_incident_id(incident_id),
                section=section,
                text=text,
                external=external,
            ),
            as_,
        )
    )


@postmortem_app.command("submit")
@guarded
def submit(
    incident_id: IncidentArg,
    reviewer: Annotated[list[str], typer.Option(help="Who reviews it (repeatable).")],
    external: ExternalOption = False,
    as_: AsOption = None,
) -> None:
    """Submit the draft for review: draft → in review."""
    from fireline.commands import SubmitPostmortem

    recorded(
        write(
            SubmitPostmortem(
                incident_id=parse_incident_id(incident_id),
                reviewers=tuple(reviewer),
                external=external,
            ),
            as_,
        )
    )


@postmortem_app.command("approve")
@guarded
def approve(
    incident_id: IncidentArg, external: ExternalOption = False, as_: AsOption = None
) -> None:
    """Approve as a reviewer (not your own); approved once every reviewer has."""
    from fireline.commands import ApprovePostmortem

    recorded(
        write(ApprovePostmortem(incident_id=parse_incident_id(incident_id), external=external), as_)
    )


@postmortem_app.command("publish")
@guarded
def publish(
    incident_id: IncidentArg, external: ExternalOption = False, as_: AsOption = None
) -> None:
    """Publish an approved postmortem (the external version after the internal one)."""
    from fireline.commands import PublishPostmortem

    recorded(
        write(PublishPostmortem(incident_id=parse_incident_id(incident_id), external=external), as_)
    )


@postmortem_app.command("show")
@guarded
def show(
    incident_id: IncidentArg,
    external: ExternalOption = False,
    html: Annotated[bool, typer.Option("--html", help="Print it as an HTML page.")] = False,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """Print the postmortem as Markdown (or HTML, or the JSON model)."""
    wanted = parse_incident_id(incident_id)
    from fireline.reads import postmortems

    found = read_model(
        as_,
        f"/api/v1/incidents/{wanted}/postmortem",
        lambda ctx, viewer: postmortems.postmortem(ctx, viewer, wanted, external=external),
        {"external": external},
    )
    if format_ is Format.json:
        emit_model(found)
        return
    if not found["markdown"]:
        show_lines([f"{wanted} has no postmortem draft yet (`fireline postmortem draft`)"])
        return
    if found["overdue"] and not html:
        show_lines([f"OVERDUE: this postmortem was due {found['due']}", ""])
    if html:
        from fireline.postmortem.render import html_page_of

        text = html_page_of(found["markdown"])
    else:
        text = found["markdown"]
    show_lines(text.splitlines())


@postmortem_app.command("list")
@guarded
def list_(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones.")] = False,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """Postmortems begun on the incidents you may see, with their state and due date."""
    from fireline.reads import postmortems

    found = read_model(
        as_,
        "/api/v1/postmortems",
        lambda ctx, viewer: postmortems.list_postmortems(ctx, viewer, overdue_only=overdue),
        {"overdue": overdue},
    )
    if format_ is Format.json:
        emit_model(found)
        return
    show_lines([render_postmortem_row(row) for row in found] or ["no postmortems"])


def render_postmortem_row(row: dict[str, object]) -> str:
    state = "done" if row["done"] else row["state"] or "not drafted"
    external = f", external {row['external_state']}" if row["external_state"] else ""
    overdue = " OVERDUE" if row["overdue"] else ""
    return (
        f"{row['incident_id']} [{state}{external}] due {row['due'] or 'unset'}{overdue} "
        f"— owner {row['owner'] or 'unset'} — {row['title']}"
    )
