"""`fireline metrics`: the options checked, the report built and written out.

Shared by the launcher's fast path (local mode, before Typer loads: the whole process must
answer in well under a second over ten thousand incidents), the Typer command (its help, and
client mode) and the API route. Every refusal is one FirelineError line; nothing is written
before the report is complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fireline.errors import InvalidCommandError, NotFoundError
from fireline.metrics.compute import DURATIONS, GROUPINGS, RATES, Group, Rate, Report, Spread

__all__ = ["Query", "Report", "build", "check_output", "from_document", "output", "parse_query"]
from fireline.metrics.store import Run, read

FORMATS = ("text", "json", "csv")
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Query:
    since: date
    until: date  # exclusive
    by: str


def _day(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidCommandError(f"malformed {field} {text!r}; expected YYYY-MM-DD") from None


def parse_query(since: str | None, until: str | None, by: str, *, today: date) -> Query:
    """--since (default 90 days ago) and --until (exclusive, default tomorrow: today counts),
    --by severity|label|month. InvalidCommandError on a bad date, an empty or reversed range
    or an unknown grouping."""
    start = _day("--since", since) if since else today - timedelta(days=DEFAULT_DAYS)
    end = _day("--until", until) if until else today + timedelta(days=1)
    if end <= start:
        raise InvalidCommandError(
            f"--until {end.isoformat()} is not after --since {start.isoformat()}; "
            "the range is [since, until)"
        )
    if by not in GROUPINGS:
        raise InvalidCommandError(f"unknown --by {by!r}; allowed: {', '.join(GROUPINGS)}")
    return Query(start, end, by)


def check_output(fmt: str, chart: str | None) -> Path | None:
    """The format is known and the chart's folder exists and ends in .png, before any reading."""
    if fmt not in FORMATS:
        raise InvalidCommandError(f"unknown --format {fmt!r}; allowed: {', '.join(FORMATS)}")
    if chart is None:
        return None
    path = Path(chart)
    if path.suffix.lower() != ".png":
        raise InvalidCommandError(f"--chart {chart!r} must name a .png file")
    if not path.parent.is_dir():
        raise InvalidCommandError(f"--chart {chart!r}: folder {str(path.parent)!r} does not exist")
    return path


def build(run: Run, query: Query, *, today: date) -> Report:
    """The report; NotFoundError when no non-drill incident was declared in the range."""
    from fireline.metrics.compute import report

    rows, actions = read(run, since=query.since, until=query.until)
    if not rows:
        raise NotFoundError(
            f"no incidents declared from {query.since.isoformat()} to {query.until.isoformat()} "
            "(drills excluded): no metrics to show"
        )
    return report(rows, actions, by=query.by, since=query.since, until=query.until, today=today)


def from_document(doc: dict[str, Any]) -> Report:
    """A Report back from its JSON document (client mode renders what the server computed)."""
    groups = [
        Group(
            key=g["key"],
            incidents=g["incidents"],
            open=g["open"],
            durations={
                n: Spread(
                    g["durations"][n]["n"],
                    g["durations"][n]["median_s"],
                    g["durations"][n]["p90_s"],
                )
                for n in DURATIONS
            },
            rates={n: Rate(g["rates"][n]["on_time"], g["rates"][n]["late"]) for n in RATES},
        )
        for g in doc["groups"]
    ]
    return Report(
        date.fromisoformat(doc["since"]), date.fromisoformat(doc["until"]), doc["by"], groups
    )


def output(report: Report, fmt: str) -> list[str]:
    """The report as lines for stdout in `fmt`."""
    from fireline.metrics import render

    if fmt == "json":
        return json.dumps(render.document(report), indent=2, sort_keys=True).splitlines()
    if fmt == "csv":
        return render.csv_text(report).splitlines()
    return render.lines(report)


def write_chart(report: Report, path: Path) -> str:
    """Write the PNG chart (atomically: a temporary file renamed into place)."""
    from fireline.metrics.charts import png

    data = png(report)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return f"chart written to {path} ({len(data)} bytes)"
