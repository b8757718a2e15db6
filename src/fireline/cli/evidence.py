"""`fireline evidence add|list|show|get`: files and references attached to an incident.

`add` stages the file (redacted, hashed) before the write and records `evidence.added`; it
reads only a regular file or, given `-`, standard input, under the size limit, and refuses a
file that changed while it was read. Reads go through need-to-know like every incident read,
and `get` re-checks the blob's digest before a byte leaves the store.
"""

from __future__ import annotations

import dataclasses
import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

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
    open_store,
    recorded,
    remote,
    show_lines,
    viewing,
)
from fireline.domain import EVIDENCE_KINDS, NUMBER_LIMIT, parse_incident_id, parse_when
from fireline.errors import InvalidCommandError
from fireline.terminal import FileRenderer

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from fireline.client.transport import Server
    from fireline.commands import AddEvidence
    from fireline.evidence import RegularFile
    from fireline.ledger.chain import Event

evidence_app = typer.Typer(help="Attach and read evidence.", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")

CHUNK = 64 * 1024  # upload chunk: small enough to stop soon after the size limit

EvidenceArg = Annotated[str, typer.Argument(metavar="EVIDENCE", help="An evidence id like E1.")]


def parse_evidence_id(text: str) -> int:
    """`E3`, `e3` or `3` → 3."""
    digits = text.strip().removeprefix("E").removeprefix("e")
    plain = digits.isascii() and digits.isdigit() and len(digits) <= len(str(NUMBER_LIMIT))
    if not plain or not 1 <= int(digits) <= NUMBER_LIMIT:
        raise InvalidCommandError(f"malformed evidence id {text!r}; expected E1, E2, …")
    return int(digits)


@evidence_app.command("add")
@guarded
def add(
    incident_id: IncidentArg,
    path: Annotated[
        str | None,
        typer.Argument(metavar="[PATH|-]", help="The file to attach, or - for standard input."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help=f"{', '.join(EVIDENCE_KINDS)} (a --ref defaults to its KIND)."),
    ] = None,
    ref: Annotated[
        str | None, typer.Option(help="A reference KIND:ID to evidence kept elsewhere.")
    ] = None,
    note: Annotated[str, typer.Option(help="What it shows.")] = "",
    source: Annotated[str, typer.Option(help="Where it came from (host, tool, URL).")] = "",
    captured_at: Annotated[
        str | None, typer.Option(help="When it was captured (ISO 8601), if not now.")
    ] = None,
    unscanned: Annotated[
        bool,
        typer.Option("--unscanned", help="Accept a file that is not text, stored unscanned."),
    ] = False,
    as_: AsOption = None,
) -> None:
    """Attach a file (redacted, stored by sha256) or a reference to an incident."""
    from fireline.cli.interrupts import interruptible
    from fireline.commands import AddEvidence
    from fireline.service import check_identity, execute, resolve_identity
    from fireline.service.evidence import check_target, parse_kind, staged_file

    incident = parse_incident_id(incident_id)
    if path is not None and ref is not None:
        raise InvalidCommandError("give a PATH or a --ref, not both")
    if path is None and ref is None:
        raise InvalidCommandError("give a PATH (or - for standard input) or a --ref KIND:ID")
    if kind is None:
        if ref is None:
            raise InvalidCommandError(f"a file needs --kind ({', '.join(EVIDENCE_KINDS)})")
        prefix = ref.partition(":")[0].strip().lower()
        kind = prefix if prefix in EVIDENCE_KINDS else "other"
    kind = parse_kind(kind)
    captured = None if captured_at is None else parse_when("--captured-at", captured_at)
    command = AddEvidence(
        incident_id=incident,
        kind=kind,
        ref=ref,
        note=note,
        source=source,
        captured_at=captured,
    )
    server = remote(as_)
    if server is not None:
        recorded(_upload(server, command, path, unscanned=unscanned))
        return
    # A signal mid-read must still remove the staging file (and record nothing).
    with interruptible() as guard:
        ctx = open_store()
        try:
            identity = resolve_identity(as_, ctx.settings)
            if path is None:
                guard.hold()
                events = execute(command, identity, ctx=ctx)
            else:
                check_identity(ctx, identity)  # before a (large) file is read
                check_target(ctx, incident, identity.actor)
                limit = ctx.settings.evidence_max_bytes
                name = None if path == "-" else Path(path).name
                with (
                    _opened(path, limit=limit) as (src, regular),
                    staged_file(ctx, src, name=name, unscanned=unscanned) as file,
                ):
                    if regular is not None:
                        regular.check_unchanged()
                    guard.hold()
                    events = execute(dataclasses.replace(command, file=file), identity, ctx=ctx)
        finally:
            ctx.close()
        recorded(events)


def _upload(
    server: Server, command: AddEvidence, path: str | None, *, unscanned: bool
) -> list[Event]:
    """Client mode: the reference, or the file streamed to the server under the same limit
    and the same checks as a local add (a file that changes while it is read is refused
    before the upload ends, so the server never records it)."""
    from fireline.client.writes import send, upload
    from fireline.evidence import bounded

    if path is None:
        return send(server, command)
    limit = load().evidence_max_bytes
    name = None if path == "-" else Path(path).name
    with _opened(path, limit=limit) as (src, regular):
        source = bounded(src, limit=limit, label=name or "standard input")

        def chunks() -> Iterator[bytes]:
            while chunk := source.read(CHUNK):
                yield chunk
            if regular is not None:
                regular.check_unchanged()

        return upload(server, command, chunks(), name=name, unscanned=unscanned)


@contextmanager
def _opened(path: str, *, limit: int) -> Iterator[tuple[BinaryIO, RegularFile | None]]:
    """The evidence source: standard input for `-`, else a regular file, never a link."""
    if path == "-":
        yield sys.stdin.buffer, None
        return
    from fireline.evidence import open_regular

    with open_regular(path, limit=limit) as regular:
        yield io.BufferedReader(regular), regular


@evidence_app.command("list")
@guarded
def list_(
    incident_id: IncidentArg,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """List an incident's evidence."""
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        items = fetch(server, f"/api/v1/incidents/{wanted}/evidence")
    else:
        from fireline.reads import evidence

        with viewing(as_) as (ctx, identity):
            items = evidence.evidence_list(ctx, identity, wanted)
    if format_ is Format.json:
        emit_model(items)
        return
    show_lines([_line(item) for item in items] or ["no evidence"])


def _line(item: dict[str, Any]) -> str:
    from fireline.cli.views import utc_text

    if item["ref"] is not None:
        what = item["ref"]
    else:
        unscanned = " UNSCANNED" if not item["scanned"] else ""
        what = f"{item['name'] or 'stdin'}  {item['size']} B  {item['media_type']}{unscanned}"
        what += f"  sha256:{(item['sha256'] or '')[:12]}"
    redacted = sum(item["redacted"].values())
    notes = f"  redacted {redacted}" if redacted else ""
    if item["sensitive"]:
        notes += f"  contains {', '.join(item['sensitive'])}"
    return (
        f"{item['id']:<4} {item['kind']:<11} {what}  by {item['added_by']} "
        f"{utc_text(item['added_at'])}{notes}"
    )


@evidence_app.command("show")
@guarded
def show(
    incident_id: IncidentArg,
    evidence_id: EvidenceArg,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """Show one piece of evidence: digest, size, type, who, when, what was redacted."""
    number = parse_evidence_id(evidence_id)
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        item = fetch(server, f"/api/v1/incidents/{wanted}/evidence/{number}")
    else:
        from fireline.reads import evidence

        with viewing(as_) as (ctx, identity):
            item = evidence.evidence_show(ctx, identity, wanted, number)
    if format_ is Format.json:
        emit_model(item)
        return
    show_lines(render_item(item, wanted))


def render_item(item: dict[str, Any], incident_id: str) -> list[str]:
    from fireline.cli.views import utc_text

    rows = [
        ("Evidence", f"{item['id']} on {incident_id} (event {item['seq']})"),
        ("Kind", item["kind"]),
    ]
    if item["ref"] is not None:
        rows.append(("Reference", item["ref"]))
    else:
        rows += [
            ("File", item["name"] or "(standard input)"),
            ("SHA-256", item["sha256"] or ""),
            ("Size", f"{item['size']} bytes"),
            ("Media type", item["media_type"] or ""),
            ("Scanned", "yes" if item["scanned"] else "NO (stored unscanned: not text)"),
        ]
        redactions = ", ".join(f"{kind} ×{count}" for kind, count in item["redacted"].items())
        rows.append(("Redacted", redactions or ("nothing" if item["scanned"] else "—")))
        rows.append(("Contains", ", ".join(item["sensitive"]) or "—"))
    rows += [
        ("Source", item["source"] or "—"),
        ("Captured", utc_text(item["captured_at"])),
        ("Added", f"{utc_text(item['added_at'])} by {item['added_by']}"),
        ("Note", item["note"] or "—"),
    ]
    return [f"{label + ':':<12} {value}" for label, value in rows]


@evidence_app.command("get")
@guarded
def get(
    incident_id: IncidentArg,
    evidence_id: EvidenceArg,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write to this file instead of standard output."),
    ] = None,
    as_: AsOption = None,
) -> None:
    """Write an evidence file's bytes (as stored, redacted), after re-checking its digest.

    PII in a text file is masked unless the viewer holds the `sensitive` clearance; a file
    stored unscanned cannot be masked, so only they may get it."""
    number = parse_evidence_id(evidence_id)
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        from fireline.client.downloads import evidence_content

        with evidence_content(server, wanted, number) as download:
            label, scanned, masked, sensitive, size = download.facts
            _deliver(download.copy_to, output, label=label, scanned=scanned, incident=wanted)
    else:
        from fireline.reads import evidence

        with viewing(as_) as (ctx, identity):
            content = evidence.content(ctx, identity, wanted, number)
            item = content.item
            label, scanned, masked = item["id"], content.scanned, content.masked
            sensitive, size = item["sensitive"], item["size"]
            _deliver(content.copy_to, output, label=label, scanned=scanned, incident=wanted)
    if output is None:
        return
    how = f"with {', '.join(sensitive)} masked" if masked else f"{size} bytes"
    echo(f"{label}: {how} written to {output}")


def _deliver(
    copy_to: Callable[[BinaryIO], None],
    output: Path | None,
    *,
    label: str,
    scanned: bool,
    incident: str,
) -> None:
    """The bytes to a terminal (text only, controls escaped), standard output, or `output`
    (written beside it first, so a failed copy leaves no partial file)."""
    if output is None and sys.stdout.isatty():
        if not scanned:
            raise InvalidCommandError(
                f"{label} on {incident} is not text (stored unscanned); "
                "write it to a file with --output"
            )
        with _terminal() as screen:
            copy_to(screen)
        return
    if output is None:
        sys.stdout.flush()
        copy_to(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    partial = output.with_name(f".{output.name}.part")
    try:
        with partial.open("wb") as handle:
            copy_to(handle)
        os.replace(partial, output)
    except OSError as exc:
        raise InvalidCommandError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


class _Screen(io.RawIOBase):
    """Standard output as a binary sink that shows a text file's controls as escapes."""

    def __init__(self) -> None:
        self._renderer = FileRenderer()

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        chunk = bytes(data)
        sys.stdout.write(self._renderer.feed(chunk))
        return len(chunk)

    def finish(self) -> None:
        sys.stdout.write(self._renderer.feed(b"", final=True))
        sys.stdout.flush()


@contextmanager
def _terminal() -> Iterator[BinaryIO]:
    """A sink for evidence bytes bound for a terminal: text only, every control escaped."""
    screen = _Screen()
    with io.BufferedWriter(screen) as buffered:
        yield buffered
        buffered.flush()
        screen.finish()
