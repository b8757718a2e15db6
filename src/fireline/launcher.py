"""The `fireline` console entry point: answers `fireline freeze check` (and `fireline metrics`
in local mode) before loading Typer.

CI pipelines run `fireline freeze check` on every build, so it must start fast; the CLI
framework alone (Typer, and the pydantic it loads while parsing) costs more than the check.
Every other command goes to `fireline.cli`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def main() -> None:
    if sys.argv[1:] == ["freeze", "check"] and not _client_mode():
        raise SystemExit(_freeze_check())
    if sys.argv[1:2] == ["metrics"] and not _client_mode():
        from fireline.metrics import fast

        options = fast.parse(sys.argv[2:])
        if options is not None:
            raise SystemExit(answer(lambda: fast.report(options)))
    from fireline.cli import main as cli_main

    cli_main()


def _client_mode() -> bool:
    """Whether a server is configured: then `freeze check` asks it, through the CLI."""
    from fireline.client.transport import configured

    return configured() is not None


def _freeze_check() -> int:
    from fireline.freeze import check_as_configured, report

    return answer(lambda: report(check_as_configured()))


def answer(produce: Callable[[], tuple[int, list[str]]]) -> int:
    """Run a fast-path command: its lines on stdout and its exit code, or — like the CLI's
    boundary — a FirelineError as one stderr line and its code, any other exception as the
    internal-error line (exit 70; the traceback with FIRELINE_DEBUG=1)."""
    import os

    from fireline.errors import (
        DEBUG_ENV,
        INTERNAL_ERROR_EXIT,
        FirelineError,
        internal_error_line,
    )
    from fireline.terminal import render_line

    try:
        code, lines = produce()
    except FirelineError as exc:  # the same one-line boundary as fireline.cli.guarded
        print(render_line(f"fireline: error: {exc.message}"), file=sys.stderr)  # noqa: T201
        return exc.exit_code
    except Exception as exc:  # a bug: the same last resort as fireline.cli.RootGroup
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        print(render_line(internal_error_line(exc)), file=sys.stderr)  # noqa: T201
        return INTERNAL_ERROR_EXIT
    for line in lines:
        print(render_line(line))  # noqa: T201
    return code


def invocation() -> str:
    """How to run this fireline again from any directory, for hints a command prints.

    `fireline` when that name on PATH is this very program (or it was started by bare name);
    `<python> -m fireline` when started as a module; else the program's absolute path.
    """
    import shlex
    import shutil
    from pathlib import Path

    program = Path(sys.argv[0])
    if program.name == "__main__.py":
        return f"{shlex.quote(sys.executable)} -m fireline"
    if program.parent == Path():
        return program.name
    found = shutil.which(program.name)
    if found is not None and Path(found).resolve() == program.resolve():
        return program.name
    return shlex.quote(str(program.resolve()))
