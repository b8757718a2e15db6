"""`fireline metrics` and `fireline milestone`: response measured from the record.

In local mode the launcher answers `metrics` itself before Typer loads (`metrics/fast.py`);
this command is what answers `--help`, client mode and anything the fast path leaves to it,
with the same output and errors.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fireline.cli import (
    AsOption,
    IncidentArg,
    app,
    fetch,
    guarded,
    recorded,
    remote,
    show_lines,
    write,
)
from fireline.domain import parse_incident_id, parse_when


@app.command()
@guarded
def metrics(
    since: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD, UTC; default 90 days ago).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Day after the last (exclusive; default: tomorrow).")
    ] = None,
    by: Annotated[str, typer.Option(help="Group by severity, label or month.")] = "severity",
    format_: Annotated[str, typer.Option("--format", help="text, json or csv.")] = "text",
    chart: Annotated[
        str | None, typer.Option(help="Also draw the response times as a PNG here.")
    ] = None,
) -> None:
    """Time to detect, acknowledge, mitigate, resolve (median, p90) and on-time rates.

    Counts incidents declared in [--since, --until); drills are never counted.
    """
    from datetime import UTC, datetime

    from fireline.metrics.command import (
        build,
        check_output,
        from_document,
        output,
        parse_query,
        write_chart,
    )

    today = datetime.now(UTC).date()
    query = parse_query(since, until, by, today=today)
    path = check_output(format_, chart)
    server = remote()
    if server is not None:
        params = {"since": query.since.isoformat(), "until": query.until.isoformat(), "by": by}
        report = from_document(fetch(server, "/api/v1/metrics", params))
    else:
        from fireline.cli import load
        from fireline.metrics.store import driver

        with driver(load().database_url) as run:
            report = build(run, query, today=today)
    lines = output(report, format_)
    if path is not None:
        lines.append(write_chart(report, path))
    show_lines(lines)


@app.command()
@guarded
def milestone(
    incident_id: IncidentArg,
    name: Annotated[str, typer.Argument(help="started (impact began), detected or acknowledged.")],
    at: Annotated[str, typer.Option(help="When (ISO 8601; naive means UTC).")],
    note: Annotated[str, typer.Option(help="How you know.")] = "",
    as_: AsOption = None,
) -> None:
    """Record when impact began, or when it was detected or acknowledged, for the metrics."""
    from fireline.commands import RecordMilestone

    recorded(
        write(
            RecordMilestone(
                incident_id=parse_incident_id(incident_id),
                milestone=name,
                at=parse_when("--at", at),
                note=note,
            ),
            as_,
        )
    )
