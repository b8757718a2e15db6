"""Metrics for the server (API route, web page, Prometheus gauges): the same report as
`fireline metrics`, read on the server's own engine."""

from __future__ import annotations

from datetime import date

from fireline.db import read_only
from fireline.metrics.command import Query, build
from fireline.metrics.compute import Report
from fireline.metrics.store import on_connection
from fireline.service.context import Context


def report(ctx: Context, query: Query, *, today: date) -> Report:
    """The report; NotFoundError over a range with no (non-drill) incident."""
    with read_only(ctx.engine) as conn:
        return build(on_connection(conn), query, today=today)
