"""Response metrics as Prometheus gauges on `/metrics`, computed at scrape time.

The last 30 days by severity (drills excluded): incidents, open incidents, the median and p90
of each time to detect/acknowledge/mitigate/resolve, and each on-time share. Labels are the
ladder's severities and fixed measure names only, never an incident. Cached per store state
(the transparency log's size) and minute, so frequent scrapes cost one small query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from fireline.db import read_only
from fireline.errors import NotFoundError
from fireline.metrics.command import Query, build
from fireline.metrics.compute import Report
from fireline.metrics.store import on_connection
from fireline.service.context import Context
from fireline.statuspage.cache import last_event

WINDOW_DAYS = 30


class ResponseGauges(Collector):
    """A collector over the store of the app serving (`context()`; None before start-up)."""

    def __init__(self, context: Callable[[], Context | None]) -> None:
        self._context = context
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._report: Report | None = None

    def _current(self, ctx: Context) -> Report | None:
        now = ctx.clock().astimezone(UTC)
        today = now.date()
        with read_only(ctx.engine) as conn:
            key = (last_event(conn), now.strftime("%Y-%m-%dT%H:%M"))
            with self._lock:
                if key != self._key:
                    query = Query(
                        today - timedelta(days=WINDOW_DAYS), today + timedelta(days=1), "severity"
                    )
                    try:
                        self._report = build(on_connection(conn), query, today=today)
                    except NotFoundError:
                        self._report = None
                    self._key = key
                return self._report

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ctx = self._context()
        report = None if ctx is None else self._current(ctx)
        incidents = GaugeMetricFamily(
            "fireline_incidents_30d",
            "Incidents declared in the last 30 days (no drills).",
            labels=("severity",),
        )
        open_ = GaugeMetricFamily(
            "fireline_incidents_open_30d", "Of those, not yet resolved.", labels=("severity",)
        )
        seconds = GaugeMetricFamily(
            "fireline_response_seconds_30d",
            "Time to detect/acknowledge/mitigate/resolve over the last 30 days, by quantile.",
            labels=("severity", "measure", "quantile"),
        )
        on_time = GaugeMetricFamily(
            "fireline_on_time_ratio_30d",
            "Share on time: updates, obligations, postmortems, action items (decided only).",
            labels=("severity", "measure"),
        )
        for group in [] if report is None else report.groups:
            incidents.add_metric([group.key], group.incidents)
            open_.add_metric([group.key], group.open)
            for name, spread in group.durations.items():
                for quantile, value in (("0.5", spread.median), ("0.9", spread.p90)):
                    if value is not None:
                        seconds.add_metric([group.key, name, quantile], value)
            for name, rate in group.rates.items():
                if rate.share is not None:
                    on_time.add_metric([group.key, name], rate.share)
        yield from (incidents, open_, seconds, on_time)
