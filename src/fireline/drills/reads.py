"""The drill programme as a read model: each kind's periods, what was done in them, and the
outcomes and findings recorded (the `drills` projection), for the CLI, the API and the web.

Names no drill incident's title: the model gives ids, kinds, outcomes and finding counts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.config import Settings
from fireline.db import action_items, drills
from fireline.drills.programme import DrillKind, Slot, plan


def list_done(conn: Connection) -> list[dict[str, Any]]:
    """Every drill exercise recorded, oldest first, with its findings' action-item states."""
    rows = conn.execute(sa.select(drills).order_by(drills.c.completed_at)).all()
    states = {
        (r.incident_id, r.number): r.status
        for r in conn.execute(
            sa.select(action_items.c.incident_id, action_items.c.number, action_items.c.status)
        )
    }
    return [
        {
            "incident_id": row.incident_id,
            "seq": row.seq,
            "kind": row.kind,
            "completed_at": row.completed_at,
            "completed_by": row.completed_by,
            "outcome": row.outcome,
            "findings": [
                {"number": n, "status": states.get((row.incident_id, n), "open")}
                for n in row.findings
            ],
        }
        for row in rows
    ]


def _slot(slot: Slot, today: date) -> dict[str, Any]:
    return {
        "kind": slot.kind.key,
        "title": slot.kind.title,
        "every": slot.kind.every,
        "source": slot.kind.source,
        "period": slot.period.name,
        "start": slot.period.start.isoformat(),
        "end": slot.period.end.isoformat(),
        "status": slot.status(today),
        "done": list(slot.done),
    }


def _kind(kind: DrillKind) -> dict[str, Any]:
    return {
        "kind": kind.key,
        "title": kind.title,
        "every": kind.every,
        "severity": kind.severity,
        "source": kind.source,
    }


def programme(conn: Connection, settings: Settings, *, year: int, today: date) -> dict[str, Any]:
    """The year's programme: kinds, every slot with its status, and the exercises done."""
    done = list_done(conn)
    exercises = [
        (d["kind"], date.fromisoformat(d["completed_at"][:10]), d["incident_id"]) for d in done
    ]
    slots = plan(
        settings.drill_programme, exercises, start=date(year, 1, 1), end=date(year, 12, 31)
    )
    return {
        "year": year,
        "today": today.isoformat(),
        "kinds": [_kind(kind) for kind in settings.drill_programme],
        "slots": [_slot(slot, today) for slot in slots],
        "done": [d for d in done if d["completed_at"].startswith(str(year))],
    }


def due(conn: Connection, settings: Settings, *, today: date) -> dict[str, Any]:
    """What is due now (the running period of each kind, undone) and what the last period
    of each kind missed."""
    done = list_done(conn)
    exercises = [
        (d["kind"], date.fromisoformat(d["completed_at"][:10]), d["incident_id"]) for d in done
    ]
    slots = plan(settings.drill_programme, exercises, start=date(today.year - 1, 1, 1), end=today)
    current = [s for s in slots if s.period.start <= today < s.period.end]
    previous = {}
    for slot in slots:
        if slot.period.end <= today:
            previous[slot.kind.key] = slot  # the latest ended period of each kind
    return {
        "today": today.isoformat(),
        "due": [_slot(s, today) for s in current if not s.done],
        "done": [_slot(s, today) for s in current if s.done],
        "missed": [_slot(s, today) for s in previous.values() if not s.done],
    }
