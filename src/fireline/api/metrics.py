"""Prometheus metrics for `fireline serve`: requests, latency, writes, denials, batches, verify.

Each app owns its own CollectorRegistry (never prometheus-client's global one), so tests and
several apps in one process never collide. Labels are bounded vocabularies only — route
templates, methods, status classes, event kinds — never an incident id, title or user.

Other parts of the server record through the module functions (`count_write`, `count_denial`,
`observe_batch`, `record_verify`): they reach the Metrics of the app serving the current
request, or, outside a request (the writer thread), the app started last in this process.
"""

from __future__ import annotations

import os
import re
import time
from contextvars import ContextVar
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from fireline import __version__

UNMATCHED = "<unmatched>"  # the route label of a request no route matched: raw paths never
_KIND = re.compile(r"[a-z][a-z0-9_.]{0,63}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def multiprocess_dir() -> Path | None:
    """prometheus-client's own switch: with several workers, PROMETHEUS_MULTIPROC_DIR names an
    empty folder they all write their samples to, and /metrics adds them up."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(folder) if folder else None


class Metrics:
    """The series one app exposes at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.collectors: list[Collector] = []
        registry = self.registry
        self.requests = Counter(
            "fireline_http_requests",
            "HTTP requests answered, by route template, method and status class.",
            ("route", "method", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "fireline_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route template.",
            ("route", "method"),
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.writes = Counter(
            "fireline_writes", "Events written, by kind.", ("kind",), registry=registry
        )
        self.denials = Counter(
            "fireline_policy_denials", "Writes the policy refused.", registry=registry
        )
        self.batches = Histogram(
            "fireline_write_batch_size",
            "Commands per group-commit batch.",
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.verify_ok = Gauge(
            "fireline_verify_last_ok",
            "1 if the last verify found the record intact, 0 if it did not.",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.verify_time = Gauge(
            "fireline_verify_last_timestamp_seconds",
            "When the last verify finished (Unix time).",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.intake_alerts = Counter(
            "fireline_intake_alerts",
            "Alert state changes recorded by the intake, by source kind.",
            ("kind",),
            registry=registry,
        )
        self.intake_undecided = Counter(
            "fireline_intake_routing_undecidable",
            "Alert groups the routing rule could not decide (recorded only, nothing opened).",
            registry=registry,
        )
        self.verify_ok.set(float("nan"))  # no verify yet: neither intact nor broken
        info = Gauge(
            "fireline_build_info",
            "The fireline version serving.",
            ("version",),
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        info.labels(version=__version__).set(1)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        shown = method if method in _METHODS else "OTHER"
        self.requests.labels(route=route, method=shown, status=f"{status // 100}xx").inc()
        self.latency.labels(route=route, method=shown).observe(seconds)

    def count_write(self, kind: str) -> None:
        self.writes.labels(kind=kind if _KIND.fullmatch(kind) else "other").inc()

    def count_denial(self) -> None:
        self.denials.inc()

    def observe_batch(self, size: int) -> None:
        self.batches.observe(size)

    def count_alerts(self, kind: str, count: int) -> None:
        self.intake_alerts.labels(kind=kind if _KIND.fullmatch(kind) else "other").inc(count)

    def count_undecided(self) -> None:
        self.intake_undecided.inc()

    def record_verify(self, ok: bool) -> None:
        self.verify_ok.set(1 if ok else 0)
        self.verify_time.set(time.time())

    def add_collector(self, collector: Collector) -> None:
        """A collector computed at scrape time (the response gauges), in every mode."""
        self.registry.register(collector)
        self.collectors.append(collector)

    def exposition(self) -> tuple[bytes, str]:
        """The text format and its content type; all workers' samples in multiprocess mode."""
        folder = multiprocess_dir()
        if folder is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=str(folder))  # type: ignore[no-untyped-call]
        for collector in self.collectors:
            merged.register(collector)
        return generate_latest(merged), CONTENT_TYPE_LATEST


_CURRENT: ContextVar[Metrics | None] = ContextVar("fireline_metrics", default=None)
_LAST_STARTED: list[Metrics] = []


def activate(metrics: Metrics) -> None:
    """Make `metrics` the process's fallback (called when an app starts serving)."""
    _LAST_STARTED[:] = [metrics]


def bind(metrics: Metrics) -> None:
    """Route this context's recordings (one request, and threads it hands work to) to `metrics`."""
    _CURRENT.set(metrics)


def current() -> Metrics | None:
    return _CURRENT.get() or (_LAST_STARTED[0] if _LAST_STARTED else None)


def count_write(kind: str) -> None:
    """One event of `kind` written (call after its batch is durable)."""
    if (metrics := current()) is not None:
        metrics.count_write(kind)


def count_denial() -> None:
    """One write refused by the policy."""
    if (metrics := current()) is not None:
        metrics.count_denial()


def observe_batch(size: int) -> None:
    """One group-commit batch of `size` commands committed."""
    if (metrics := current()) is not None:
        metrics.observe_batch(size)


def record_verify(ok: bool) -> None:
    """A verify finished: whether the record was intact, stamped now."""
    if (metrics := current()) is not None:
        metrics.record_verify(ok)


def count_alerts(kind: str, count: int) -> None:
    """`count` alert state changes from a source of `kind` recorded (after the commit)."""
    if (metrics := current()) is not None:
        metrics.count_alerts(kind, count)


def count_undecided() -> None:
    """One alert group the routing rule could not decide."""
    if (metrics := current()) is not None:
        metrics.count_undecided()
