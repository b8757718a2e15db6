"""`fireline metrics` in local mode, answered by the launcher before Typer loads.

The options are read here by hand (a handful, all `--name VALUE`); anything else — `--help`,
an unknown option, a stray argument — returns None so the Typer command answers it with its
usual usage line. Same output, errors and exit codes as the Typer command.
"""

from __future__ import annotations

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


def report(options: dict[str, str]) -> tuple[int, list[str]]:
    """Exit code 0 and the report's lines (FirelineError on any refusal, nothing written);
    `launcher._answered` prints them, or the error line."""
    from fireline.config import load_settings
    from fireline.metrics.command import build, check_output, output, parse_query, write_chart
    from fireline.metrics.store import driver

    today = datetime.now(UTC).date()
    query = parse_query(
        options.get("--since"),
        options.get("--until"),
        options.get("--by", "severity"),
        today=today,
    )
    fmt = options.get("--format", "text")
    chart = check_output(fmt, options.get("--chart"))
    with driver(load_settings().database_url) as run:
        found = build(run, query, today=today)
    lines = output(found, fmt)
    if chart is not None:
        lines.append(write_chart(found, chart))
    return 0, lines
