"""The metrics' reads: milestone rows of the non-drill incidents declared in a range, and their
action items — two plain statements, run through the driver (`Run`), so `fireline metrics`
answers over ten thousand incidents without the ORM or the policy engine.

Metrics are aggregates that name no incident: restricted incidents are counted like any other
(a label breakdown shows how many carry each label, never their titles); drills never are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from fireline.errors import StoreError
from fireline.metrics.compute import ActionRow, MilestoneRow

Row = tuple[Any, ...]
Run = Callable[[str, Sequence[Any]], list[Row]]

# "drill" is compared to {false}: SQLite stores 0, PostgreSQL a boolean.
_RANGE = "drill = {false} AND declared_at >= {param} AND declared_at < {param}"
MILESTONES = (
    "SELECT incident_id, severity, severity_rank, labels, declared_at, started_at, detected_at, "
    "acknowledged_at, mitigated_at, resolved_at, closed_at, updates_on_time, updates_late, "
    "updates_overdue, obligations, postmortem_due, postmortem_done_at FROM milestones "
    f"WHERE {_RANGE} ORDER BY declared_at"
)
ACTIONS = (
    "SELECT incident_id, due, completed_at FROM action_items WHERE incident_id IN "
    f"(SELECT incident_id FROM milestones WHERE {_RANGE})"
)
LAST_EVENT = "SELECT max(idx) FROM tlog_leaves"


_EMPTY: dict[str, Any] = {"[]": [], "{}": {}}


def _json(value: Any) -> Any:
    """A JSON column: text through sqlite3 (most are empty: no decoding), decoded already
    through psycopg."""
    if isinstance(value, str):
        empty = _EMPTY.get(value)
        return json.loads(value) if empty is None else empty
    return value


def bounds(since: date, until: date) -> tuple[str, str]:
    """The half-open range [since, until) as the ISO prefixes declared_at is compared with."""
    return f"{since.isoformat()}T00:00:00", f"{until.isoformat()}T00:00:00"


def read(run: Run, *, since: date, until: date) -> tuple[list[MilestoneRow], list[ActionRow]]:
    """The milestone rows and action items of non-drill incidents declared in [since, until)."""
    params = bounds(since, until)
    rows = [
        MilestoneRow(
            incident_id=r[0],
            severity=r[1],
            severity_rank=r[2],
            labels=tuple(_json(r[3])),
            declared_at=r[4],
            started_at=r[5],
            detected_at=r[6],
            acknowledged_at=r[7],
            mitigated_at=r[8],
            resolved_at=r[9],
            closed_at=r[10],
            updates_on_time=r[11],
            updates_late=r[12],
            updates_overdue=r[13],
            obligations=tuple(_json(r[14]).values()),
            postmortem_due=r[15],
            postmortem_done_at=r[16],
        )
        for r in run(MILESTONES, params)
    ]
    actions = [ActionRow(r[0], r[1], r[2]) for r in run(ACTIONS, params)] if rows else []
    return rows, actions


def _style(dialect: str) -> dict[str, str]:
    return (
        {"false": "false", "param": "%s"}
        if dialect == "postgresql"
        else {
            "false": "0",
            "param": "?",
        }
    )


@contextmanager
def driver(database_url: str) -> Iterator[Run]:
    """A read-only driver connection as a `Run` (freeze check's, placeholders filled)."""
    from fireline.freeze import connection

    dialect = "postgresql" if database_url.startswith("postgres") else "sqlite"
    style = _style(dialect)
    with connection(database_url) as run:

        def formatted(sql: str, params: Sequence[Any]) -> list[Row]:
            # freeze's Run fills {param}; {false} is filled here first.
            try:
                return run(sql.replace("{false}", style["false"]), params)
            except StoreError as exc:
                if "milestones" in exc.message:
                    raise StoreError(
                        "this store has no milestone projection yet; run `fireline init`"
                    ) from None
                raise

        yield formatted


def on_connection(conn: Any) -> Run:
    """A `Run` over a SQLAlchemy connection (the server's reads, tests)."""
    style = _style(conn.dialect.name)

    def run(sql: str, params: Sequence[Any]) -> list[Row]:
        text = sql.replace("{false}", style["false"]).replace("{param}", style["param"])
        return [tuple(row) for row in conn.exec_driver_sql(text, tuple(params))]

    return run
