"""Prometheus metrics the write path reports (the [ops] lane owns the rest of this module).

Tiny functions, so the writer and the routes never touch prometheus-client themselves.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

WRITES = Counter("fireline_writes_total", "Events recorded through the API, by kind.", ["kind"])
DENIALS = Counter("fireline_policy_denials_total", "Writes the policy refused.")
BATCH_SIZE = Histogram(
    "fireline_group_commit_batch_size",
    "Commands committed together by the writer (group commit).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)


def observe_batch(size: int) -> None:
    """One group-commit batch of `size` commands was committed."""
    BATCH_SIZE.observe(size)


def count_write(kind: str) -> None:
    """One event of `kind` was recorded."""
    WRITES.labels(kind=kind).inc()


def count_denial() -> None:
    """The policy refused one write."""
    DENIALS.inc()
