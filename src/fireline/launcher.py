"""The `fireline` console entry point: answers `fireline freeze check`,
`fireline switch check NAME` and (in local mode) `fireline metrics` before loading Typer.

CI pipelines run `fireline freeze check` on every build, and scripts `switch check` before
risky steps, so they must start fast; the CLI framework alone (Typer, and the pydantic it
loads while parsing) costs more than the check. Every other command goes to `fireline.cli`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from fireline.errors import FirelineError


def main() -> None:
    args = sys.argv[1:]
    if args == ["freeze", "check"] and not _client_mode():
        raise SystemExit(_freeze_check())
    is_switch_check = len(args) == 3 and args[:2] == ["switch", "check"]
    if is_switch_check and not args[2].startswith("-") and not _client_mode():
        raise SystemExit(_switch_check(args[2]))
    if args[:1] == ["metrics"] and not _client_mode():
        from fireline.metrics import fast

        options = fast.parse(args[1:])
        if options is not None:
            raise SystemExit(_answered(lambda: fast.report(options)))
    from fireline.cli import main as cli_main

    cli_main()


def _client_mode() -> bool:
    """Whether a server is configured: then `freeze check` asks it, through the CLI."""
    from fireline.client.transport import configured

    return configured() is not None


def _freeze_check() -> int:
    from fireline.freeze import check_as_configured, report

    return _answered(lambda: report(check_as_configured()))


def _switch_check(name: str) -> int:
    """0 normal, 1 flipped; a failure's code is never 0 or 1 (`switches.check.exit_code`)."""
    from fireline.switches.check import check_as_configured, exit_code

    return _answered(lambda: check_as_configured(name), failed=exit_code)


def _answered(
    answer: Callable[[], tuple[int, list[str]]],
    *,
    failed: Callable[[FirelineError], int] = lambda exc: exc.exit_code,
) -> int:
    """Print a check's lines and return its code, behind the same one-line boundary as
    fireline.cli.guarded (and the same last resort for a bug as fireline.cli.RootGroup)."""
    import os

    from fireline.errors import DEBUG_ENV, INTERNAL_ERROR_EXIT, internal_error_line
    from fireline.terminal import render_line

    try:
        code, lines = answer()
    except FirelineError as exc:
        print(render_line(f"fireline: error: {exc.message}"), file=sys.stderr)  # noqa: T201
        return failed(exc)
    except Exception as exc:
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
