"""`fireline metrics` in local mode, answered by the launcher before Typer loads.

The options are read here by hand (a handful, all `--name VALUE`); anything else — `--help`,
an unknown option, a stray argument — returns None so the Typer command answers it with its
usual usage line. Same output, errors and exit codes as the Typer command.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime

OPTIONS = ("--since", "--until", "--by", "--format", "--chart")


def parse(argv: Sequence[str]) -> dict[str, str] | None:
    """The options of `metrics …` (argv after the command), or None when Typer should answer."""
    found: dict[str, str] = {}
    items = list(argv)
    while items:
        item = items.pop(0)
        name, eq, value = item.partition("=")
        if name not in OPTIONS or name in found:
            return None
        if not eq:
            if not items:
                return None
            value = items.pop(0)
        found[name] = value
    return found


def main(options: dict[str, str]) -> int:
    import os

    from fireline.config import load_settings
    from fireline.errors import DEBUG_ENV, INTERNAL_ERROR_EXIT, FirelineError, internal_error_line
    from fireline.metrics.command import build, check_output, output, parse_query, write_chart
    from fireline.metrics.store import driver
    from fireline.terminal import render_line

    today = datetime.now(UTC).date()
    try:
        query = parse_query(
            options.get("--since"),
            options.get("--until"),
            options.get("--by", "severity"),
            today=today,
        )
        fmt = options.get("--format", "text")
        chart = check_output(fmt, options.get("--chart"))
        settings = load_settings()
        with driver(settings.database_url) as run:
            report = build(run, query, today=today)
        lines = output(report, fmt)
        if chart is not None:
            lines.append(write_chart(report, chart))
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
    return 0
