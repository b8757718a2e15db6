"""The fireline CLI: a Typer root, the one error boundary, the one output seam, shared helpers.

Command modules parse input, build a command, call `service.execute` (or a query) and render.
Everything they print goes through `echo` or `emit_json`, which mask PII and coordinates unless
`seeing` established that the viewer holds the `sensitive` clearance (masked by default: fail
closed), and which show every control or invisible character as an escape (`fireline.terminal`),
as does the error boundary. Heavy modules (SQLAlchemy, pydantic, cryptography) are imported
inside functions so that `import fireline.cli` stays light.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from fireline.domain import plural
from fireline.errors import FirelineError
from fireline.terminal import render_json, render_line

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.commands import Command
    from fireline.config import Settings
    from fireline.ledger.chain import Event
    from fireline.service import Context

app = typer.Typer(
    name="fireline",
    help="Governed, evidence-first incident response with a tamper-evident record.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

P = ParamSpec("P")
R = TypeVar("R")


class Format(StrEnum):
    table = "table"
    json = "json"


AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act as this person: registry admins only, recorded as asserted by you "
        "(default: FIRELINE_ACTOR, then the OS user).",
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]
IncidentArg = Annotated[
    str, typer.Argument(metavar="INCIDENT", help="An id like INC-20261123-001.")
]


# The viewer's coordinate grid when output must be masked, or None once `seeing` has found
# that they hold the `sensitive` clearance. Every command starts masked.
_MASKING: ContextVar[float | None] = ContextVar("fireline_masking", default=0.1)


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """The CLI's one error boundary: a FirelineError becomes one stderr line and its exit code.

    The line is redacted (messages quote input) and masked, whoever is asking.
    """
    return _boundary(fn, None)


def guarded_exiting(code: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The same boundary for a command whose contract gives every refusal one exit code.

    `runbook lint` promises CI 0 clean, 1 findings, 2 unusable input, whatever the cause
    (a missing path, a file that is not UTF-8, a bad fireline.toml).
    """
    return lambda fn: _boundary(fn, code)


def _boundary(fn: Callable[P, R], code: int | None) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _MASKING.set(0.1)
        try:
            return fn(*args, **kwargs)
        except FirelineError as exc:
            from fireline.redaction import Redactor, mask

            message = mask(Redactor().redact(exc.message).text)
            typer.echo(render_line(f"fireline: error: {message}"), err=True)
            raise typer.Exit(exc.exit_code if code is None else code) from None
        finally:
            _MASKING.reset(token)

    return wrapper


def echo(text: str = "", *, masked: bool = True) -> None:
    """Print one line of output, masked unless the viewer holds the `sensitive` clearance.

    The line is printed through `render_line`: a newline, ESC or bidi control inside `text` is
    shown as an escape, so stored text can never steer the terminal. `masked=False` is for
    lines that carry no incident data (store paths, policy modules, runbook files, lint findings).
    """
    precision = _MASKING.get()
    if masked and precision is not None:
        from fireline.redaction import mask

        text = mask(text, coordinate_precision=precision)
    typer.echo(render_line(text))


def masking() -> float | None:
    """The coordinate grid output is masked to, or None when the viewer holds the `sensitive`
    clearance: for output that cannot pass through `echo` (evidence bytes)."""
    return _MASKING.get()


def emit_json(data: Any, *, masked: bool = True) -> None:
    """Print `data` as JSON, every string in it masked as `echo` masks text (unless `masked`
    is False), every control or invisible character in it written as a `\\u` escape."""
    precision = _MASKING.get()
    if masked and precision is not None:
        from fireline.redaction import mask_data

        data = mask_data(data, coordinate_precision=precision)
    sys.stdout.write(render_json(data) + "\n")


def load() -> Settings:
    from fireline.config import load_settings

    return load_settings()


def open_store() -> Context:
    """The write context for the loaded settings, saying on stderr which store files it
    tightened to owner-only modes (a store made before fireline created them so)."""
    from fireline.service import open_context

    ctx = open_context(load())
    report_tightened(ctx.tightened)
    return ctx


def report_tightened(changes: Iterable[str]) -> None:
    for change in changes:
        typer.echo(render_line(f"fireline: note: {change}"), err=True)


def write(command: Command, as_: str | None) -> list[Event]:
    """Run one command through the service as the resolved actor."""
    from fireline.service import execute, resolve_identity

    ctx = open_store()
    try:
        return execute(command, resolve_identity(as_, ctx.settings), ctx=ctx)
    finally:
        ctx.close()


@contextmanager
def reading() -> Iterator[tuple[Connection, Settings]]:
    """A read-only connection to an initialised store, with the settings."""
    from fireline.db import check_schema, make_engine, read_only, sqlite_path
    from fireline.permissions import secure_store

    settings = load()
    engine = make_engine(settings.database_url)
    try:
        report_tightened(secure_store(settings, sqlite_path(settings.database_url)))
        check_schema(engine)
        with read_only(engine) as conn:
            yield conn, settings
    finally:
        engine.dispose()


@contextmanager
def seeing(
    as_: str | None,
    view: str,
    incident_id: str | None = None,
    *,
    among: Callable[[Connection], list[str]] | None = None,
) -> Iterator[tuple[Connection, Context, frozenset[str]]]:
    """A read connection for the acting user, with the incident ids they may see.

    Need-to-know comes from the policy: an incident they may not see is "not found", never a
    leak; each read of a restricted incident goes on its chain first (the access trail). The
    incidents read are `incident_id`, or those `among` selects (a listing). What the command
    prints afterwards is masked unless the actor holds the `sensitive` clearance.
    """
    from fireline import governance
    from fireline.commands import RecordAccess
    from fireline.db import read_only
    from fireline.domain import IncidentId
    from fireline.errors import NotFoundError
    from fireline.service import check_identity, execute, resolve_identity

    ctx = open_store()
    try:
        identity = resolve_identity(as_, ctx.settings)
        check_identity(ctx, identity)
        actor = identity.actor
        with read_only(ctx.engine) as conn:
            wanted = [incident_id] if incident_id is not None else among(conn) if among else []
            access = governance.access(ctx.policy, conn, actor, wanted, view=view)
            cleared = governance.sees_sensitive(conn, actor, ctx.settings)
        _MASKING.set(None if cleared else ctx.settings.coordinate_precision)
        if incident_id is not None and incident_id not in access.visible:
            raise NotFoundError(f"no incident {incident_id}")
        for seen in sorted(access.recorded):
            execute(RecordAccess(incident_id=IncidentId(seen), view=view), identity, ctx=ctx)
        with read_only(ctx.engine) as conn:
            yield conn, ctx, access.visible
    finally:
        ctx.close()


def recorded(events: list[Event]) -> None:
    """Confirm a write: one line per new event."""
    for event in events:
        echo(f"{event.incident_id} event {event.seq}: {event.kind}")


def main() -> None:
    """Console entry point."""
    app()


from fireline.cli import (  # noqa: E402
    action,
    admin,
    breakglass,
    checklist,
    closure,
    evidence,
    export,
    freeze,
    incident,
    policy,
    role,
    runbook,
    suggest,
    users,
    views,
)

__all__ = [
    "action",
    "admin",
    "app",
    "breakglass",
    "checklist",
    "closure",
    "evidence",
    "export",
    "freeze",
    "incident",
    "main",
    "plural",
    "policy",
    "role",
    "runbook",
    "suggest",
    "users",
    "views",
]
