"""Plain factories and probes shared by tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from fireline import progress
from fireline.commands import CheckItem, Command, Declare, LogEntry, SchedulePostmortem
from fireline.db import PROJECTION_TABLES, events, heads
from fireline.domain import ActorId, IncidentId
from fireline.ledger.chain import Event
from fireline.service import Context, execute


def run(ctx: Context, command: Command, actor: str = "alice") -> list[Event]:
    return execute(command, ActorId(actor), ctx=ctx)


def make_incident(ctx: Context, **overrides: Any) -> IncidentId:
    fields: dict[str, Any] = {
        "title": "Catalog API 5xx spike",
        "severity": "SEV1",
        "ic": "alice",
        "impact": "search down for most users",
    }
    fields.update(overrides)
    return IncidentId(run(ctx, Declare(**fields))[0].incident_id)


def meet_gates(ctx: Context, incident_id: IncidentId, actor: str = "alice") -> None:
    """Record what the default closure gates ask for, so a test can walk to closed."""
    for kind, text in (
        ("detection", "alert api-5xx fired"),
        ("mitigation", "rolled back to 9a1b7d"),
        ("root_cause", "deploy 4f2c1e skipped the policy check"),
    ):
        run(ctx, LogEntry(incident_id=incident_id, kind=kind, text=text), actor)
    run(
        ctx,
        SchedulePostmortem(incident_id=incident_id, due=date(2026, 12, 1), owner="carol"),
        actor,
    )
    check_definitions_of_done(ctx, incident_id, actor)


def check_definitions_of_done(ctx: Context, incident_id: IncidentId, actor: str = "alice") -> None:
    """Check every open item of the built-in `mitigated` and `resolved` checklists."""
    with ctx.engine.connect() as conn:
        items = progress.list_items(conn, incident_id)
    for item in items:
        if item.checklist in ("mitigated", "resolved") and not item.checked:
            run(ctx, CheckItem(incident_id=incident_id, items=(item.ref,)), actor)


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the ledger and state tables, sorted: equal snapshots mean nothing changed."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(repr(v) for v in row) for row in conn.execute(sa.select(table))),
            )
            for table in (events, heads, *PROJECTION_TABLES)
        }


def projection_state(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(
                tuple(repr(v) for v in row) for row in conn.execute(sa.select(table))
            )
            for table in PROJECTION_TABLES
        }


def payload_of(events: list[Event]) -> Mapping[str, Any]:
    """The payload of the first event written (never erased in a fresh write)."""
    payload = events[0].payload
    assert payload is not None
    return payload
