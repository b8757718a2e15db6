"""The fireline CLI: a Typer root, the one error boundary, the one output seam, shared helpers.

Command modules parse input, build a command, call `service.execute` (or a read of
`fireline.reads`, locally or, in client mode, over HTTP) and render. Need-to-know, the access
trail and masking happen in the read service: its models arrive masked for the viewer, and
`show_lines` / `emit_model` print them as they are. Every other line goes through `echo` or
`emit_json`, which mask PII and coordinates to the default grid (a belt for messages that quote
input), and everything shows every control or invisible character as an escape
(`fireline.terminal`).
Whatever goes wrong, the answer is one stderr line: a FirelineError through `guarded`, a usage
error or an unexpected exception (a bug) through the root group's `main`. Heavy modules
(SQLAlchemy, pydantic, cryptography) are imported inside functions so that `import fireline.cli`
stays light.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperGroup

from fireline.domain import NUMBER_LIMIT, plural
from fireline.errors import (
    DEBUG_ENV,
    INTERNAL_ERROR_EXIT,
    FirelineError,
    InvalidCommandError,
    internal_error_line,
)
from fireline.terminal import render_json, render_line

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.client.transport import Server
    from fireline.commands import Command
    from fireline.config import Settings
    from fireline.ledger.chain import Event
    from fireline.service import Context
    from fireline.service.identity import Identity


class RootGroup(TyperGroup):
    """The root command: its `main` is the CLI's last-resort boundary.

    A usage error (bad option, an argument out of range) becomes one `fireline: error:` line
    instead of Typer's boxed usage text; any exception outside the FirelineError tree is a bug
    and becomes one `fireline: internal error: <ExcType>: <message>` line and exit code
    INTERNAL_ERROR_EXIT, or its traceback when FIRELINE_DEBUG=1.
    """

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = functools.partial(
            super().main, args, prog_name, complete_var, False, windows_expand_args, **extra
        )
        if not standalone_mode:
            return run()
        try:
            code = run()
        except typer.TyperException as exc:  # Typer's (vendored Click's) usage errors
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already printed
                sys.exit(exc.exit_code)
            _say(f"fireline: error: {exc.format_message()}")
            sys.exit(exc.exit_code)
        except typer.Abort:
            _say("fireline: error: aborted")
            sys.exit(1)
        except Exception as exc:
            if os.environ.get(DEBUG_ENV) == "1":
                raise
            _say(internal_error_line(exc))
            sys.exit(INTERNAL_ERROR_EXIT)
        sys.exit(code if isinstance(code, int) else 0)


def _say(line: str, *, masked: bool = True) -> None:
    """One stderr line, redacted and masked (messages quote input), every control character and
    line break shown as an escape (`fireline.terminal`). `masked=False` (an error quoting only
    the user's own configuration, `FirelineError.unmasked`) still redacts.

    Fail closed: if the redactor itself fails, the message is withheld rather than shown raw.
    """
    try:
        from fireline.redaction import Redactor, mask

        line = Redactor().redact(line).text
        line = mask(line) if masked else line
    except Exception:
        line = f"{line.partition(': ')[0]}: (message withheld: it could not be redacted)"
    typer.echo(render_line(line), err=True)


app = typer.Typer(
    cls=RootGroup,
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


def number_argument(help: str) -> Any:
    """A positive event or item number, bounded so no typo reaches SQL: 1 to NUMBER_LIMIT."""
    return typer.Argument(min=1, max=NUMBER_LIMIT, help=help)


def count_option(flag: str, help: str) -> Any:
    """A positive count option (`--limit`), bounded like `number_argument`."""
    return typer.Option(flag, min=1, max=NUMBER_LIMIT, help=help)


# The grid `echo` and `emit_json` mask coordinates to (`reads.sight.DEFAULT_GRID`).
_GRID = 0.1


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """The CLI's one error boundary: a FirelineError becomes one stderr line and its exit code.

    The line is redacted (messages quote input) and masked, whoever is asking, and stays one
    line even when the input it quotes holds line breaks.
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
        try:
            return fn(*args, **kwargs)
        except FirelineError as exc:
            _say(f"fireline: error: {exc.message}", masked=not exc.unmasked)
            raise typer.Exit(exc.exit_code if code is None else code) from None
        except OSError as exc:
            if exc.errno != errno.ENAMETOOLONG:
                raise
            # Only input names a file the system cannot even look up: bad input, whichever
            # command's path it was.
            name = str(exc.filename or "")
            shown = name if len(name) <= 80 else name[:80] + "…"
            _say(f"fireline: error: file name too long for this system: {shown!r}")
            raise typer.Exit(InvalidCommandError.exit_code if code is None else code) from None

    return wrapper


def echo(text: str = "", *, masked: bool = True) -> None:
    """Print one line of output, PII and coordinates masked (unless `masked` is False).

    The line is printed through `render_line`: a newline, ESC or bidi control inside `text` is
    shown as an escape, so stored text can never steer the terminal. `masked=False` is for
    lines that carry no incident data (store paths, policy modules, runbook files, lint findings)
    and for lines rendered from a read model, which the read service masked for the viewer.
    """
    if masked:
        from fireline.redaction import mask

        text = mask(text, coordinate_precision=_GRID)
    typer.echo(render_line(text))


def emit_json(data: Any, *, masked: bool = True) -> None:
    """Print `data` as JSON, every string in it masked as `echo` masks text (unless `masked`
    is False), every control or invisible character in it written as a `\\u` escape."""
    if masked:
        from fireline.redaction import mask_data

        data = mask_data(data, coordinate_precision=_GRID)
    sys.stdout.write(render_json(data) + "\n")


def show_lines(lines: Iterable[str]) -> None:
    """Print lines rendered from a read model: masked already, for this viewer."""
    for line in lines:
        echo(line, masked=False)


def emit_model(data: Any) -> None:
    """Print a read model (or a part of it) as JSON: masked already, for this viewer."""
    emit_json(data, masked=False)


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


def remote(as_: str | None = None) -> Server | None:
    """The server this command talks to in client mode (FIRELINE_URL or `fireline login`), or
    None in local mode. In client mode `--as` is refused: the server acts as the logged-in
    user, whom no option can change."""
    from fireline.client.transport import configured

    server = configured()
    if server is not None and as_ is not None:
        raise InvalidCommandError(
            "--as is not accepted in client mode: the server acts as the logged-in user"
        )
    return server


def local_only(command: str) -> None:
    """Refuse a command that acts on a store itself (init, rebuild, demo, serve) in client
    mode, rather than run it on a local store the user did not mean."""
    if remote() is not None:
        raise InvalidCommandError(
            f"`fireline {command}` works on a local store and does not run in client mode "
            "(FIRELINE_URL or a stored login names a server); run it where the store is, "
            "or with FIRELINE_URL set empty"
        )


def write(command: Command, as_: str | None) -> list[Event]:
    """Run one command through the service as the resolved actor, or, in client mode, on the
    server as the logged-in user (the same events come back)."""
    server = remote(as_)
    if server is not None:
        from fireline.client.writes import send

        return send(server, command)
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
def viewing(as_: str | None) -> Iterator[tuple[Context, Identity]]:
    """The store and the viewer (`--as`, else the local identity) for a read of
    `fireline.reads`, which decides need-to-know and masking itself."""
    from fireline.service import resolve_identity

    ctx = open_store()
    try:
        yield ctx, resolve_identity(as_, ctx.settings)
    finally:
        ctx.close()


def read_model(
    as_: str | None,
    path: str,
    local: Callable[[Context, Identity], Any],
    params: Any = None,
) -> Any:
    """One read of `fireline.reads`: from the server (GET `path`) in client mode, else
    `local(ctx, viewer)` on the local store — the same model either way."""
    server = remote(as_)
    if server is not None:
        return fetch(server, path, params)
    with viewing(as_) as (ctx, identity):
        return local(ctx, identity)


def fetch(server: Server, path: str, params: Any = None) -> Any:
    """GET a read model from the server (`fireline.api.reads`): the same model, masked the
    same way, as the local read returns."""
    from fireline.client.transport import call, json_body

    return json_body(call(server, "GET", path, params=params), server)


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
    alerts,
    breakglass,
    channels,
    checklist,
    closure,
    drill,
    evidence,
    export,
    freeze,
    incident,
    metrics,
    obligations,
    policy,
    postmortem,
    receipts,
    role,
    runbook,
    serve,
    session,
    suggest,
    switches,
    tlog,
    tokens,
    users,
    views,
    worker,
)

__all__ = [
    "action",
    "admin",
    "alerts",
    "app",
    "breakglass",
    "channels",
    "checklist",
    "closure",
    "drill",
    "evidence",
    "export",
    "freeze",
    "incident",
    "main",
    "obligations",
    "metrics",
    "plural",
    "policy",
    "postmortem",
    "receipts",
    "role",
    "runbook",
    "serve",
    "session",
    "suggest",
    "switches",
    "tlog",
    "tokens",
    "users",
    "views",
    "worker",
]
