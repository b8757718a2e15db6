"""The `fireline` console entry point: answers `fireline freeze check` before loading Typer.

CI pipelines run `fireline freeze check` on every build, so it must start fast; the CLI
framework alone (Typer, and the pydantic it loads while parsing) costs more than the check.
Every other command goes to `fireline.cli`.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["freeze", "check"]:
        raise SystemExit(_freeze_check())
    from fireline.cli import main as cli_main

    cli_main()


def _freeze_check() -> int:
    from fireline.errors import FirelineError
    from fireline.freeze import check_as_configured, report
    from fireline.terminal import render_line

    try:
        code, lines = report(check_as_configured())
    except FirelineError as exc:  # the same one-line boundary as fireline.cli.guarded
        print(render_line(f"fireline: error: {exc.message}"), file=sys.stderr)  # noqa: T201
        return exc.exit_code
    for line in lines:
        print(render_line(line))  # noqa: T201
    return code
