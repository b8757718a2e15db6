"""The milestone projection: one compact row per incident for metrics, the public updates the
status page shows, and the drills done.

Folded beside each kind's own projection (an event can feed both), from the events alone.
What each milestone means is in docs/metrics.md; in short: `acknowledged` is the first moment a
person was in command (a person's declaration, else the first Incident Commander assigned), an
explicit `milestone.recorded` overrides what fireline saw, and `mitigated` is the first time the
incident reached mitigated (or resolved, when it skipped it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import drills, milestones, public_updates
from fireline.domain import is_system_actor
from fireline.ledger.chain import Event
from fireline.projections.kinds import Applier, Payload

_c = milestones.c
# Obligation states: a `met` after a `missed` is late, never on time.
_MET_AFTER = {"missed": "late", "late": "late"}


def _is_person(actor: str) -> bool:
    return not is_system_actor(actor)  # intake:…, notifier:…, scheduler:… are not in command


def _set(conn: Connection, event: Event, **values: Any) -> None:
    conn.execute(milestones.update().where(_c.incident_id == event.incident_id).values(**values))


def _first(column: sa.Column[Any], ts: str) -> Any:
    """Keep the earliest: a milestone already reached is never moved by a later event."""
    return sa.func.coalesce(column, ts)


def _declared(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        milestones.insert(),
        {
            "incident_id": event.incident_id,
            "severity": p["severity"],
            "severity_rank": p["severity_rank"],
            "labels": p["labels"],
            "drill": bool(p.get("drill", False)),
            "declared_at": event.ts,
            "detected_at": p["detected_at"],
            "acknowledged_at": event.ts if _is_person(event.actor) else None,
            "update_due": p["next_update_at"],
            "updates_on_time": 0,
            "updates_late": 0,
            "updates_overdue": 0,
            "obligations": {},
        },
    )


def _role(conn: Connection, event: Event, p: Payload) -> None:
    if p["role"] == "ic" and _is_person(p["holder"]):
        _set(conn, event, acknowledged_at=_first(_c.acknowledged_at, event.ts))


def _milestone(conn: Connection, event: Event, p: Payload) -> None:
    _set(conn, event, **{f"{p['milestone']}_at": p["at"]})


def _severity(conn: Connection, event: Event, p: Payload) -> None:
    _set(
        conn,
        event,
        severity=p["to_severity"],
        severity_rank=p["to_rank"],
        update_due=p["next_update_at"],
    )


def _status(conn: Connection, event: Event, p: Payload) -> None:
    to = p["to_status"]
    values: dict[str, Any] = {}
    if to in ("mitigated", "resolved"):
        values["mitigated_at"] = _first(_c.mitigated_at, event.ts)
    if to == "resolved":
        values["resolved_at"] = _first(_c.resolved_at, event.ts)
    if to == "closed":
        values["closed_at"] = _first(_c.closed_at, event.ts)
    if to in ("resolved", "closed"):
        values["update_due"] = None  # the cadence ends with the response
    if values:
        _set(conn, event, **values)


def _update(conn: Connection, event: Event, p: Payload) -> None:
    due = conn.execute(sa.select(_c.update_due).where(_c.incident_id == event.incident_id)).scalar()
    late = due is not None and event.ts > due
    counter = _c.updates_late if late else _c.updates_on_time
    _set(conn, event, **{counter.name: counter + 1, "update_due": p["next_update_at"]})
    if p.get("public"):
        conn.execute(
            public_updates.insert(),
            {
                "incident_id": event.incident_id,
                "number": p["number"],
                "seq": event.seq,
                "ts": event.ts,
                "status": p["status"],
                "impact": p["impact"],
                "next_update_at": p["next_update_at"],
            },
        )


def _overdue(conn: Connection, event: Event, p: Payload) -> None:
    _set(conn, event, updates_overdue=_c.updates_overdue + 1)


def _obligation(conn: Connection, event: Event, p: Payload) -> None:
    name = str(p.get("name") or p.get("obligation") or "")
    current = conn.execute(
        sa.select(_c.obligations).where(_c.incident_id == event.incident_id)
    ).scalar()
    if current is None or not name:
        return
    states = dict(current)
    verb = event.kind.removeprefix("obligation.")
    if verb == "opened":
        states.setdefault(name, "open")
    elif verb == "met":
        states[name] = _MET_AFTER.get(states.get(name, "open"), "met")
    elif verb == "missed" and states.get(name) != "met":
        states[name] = "missed"
    _set(conn, event, obligations=states)


def _postmortem_due(conn: Connection, event: Event, p: Payload) -> None:
    _set(conn, event, postmortem_due=p["due"])


def _postmortem_done(conn: Connection, event: Event, p: Payload) -> None:
    _set(conn, event, postmortem_done_at=_first(_c.postmortem_done_at, event.ts))


def _drill(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        drills.insert(),
        {
            "incident_id": event.incident_id,
            "seq": event.seq,
            "kind": p["kind"],
            "completed_at": event.ts,
            "completed_by": event.actor,
            "outcome": p["outcome"],
            "findings": p["findings"],
        },
    )


HANDLERS: dict[str, Applier] = {
    "incident.declared": _declared,
    "role.assigned": _role,
    "role.overridden": _role,
    "milestone.recorded": _milestone,
    "severity.changed": _severity,
    "status.changed": _status,
    "update.published": _update,
    "update.overdue": _overdue,
    "obligation.opened": _obligation,
    "obligation.met": _obligation,
    "obligation.missed": _obligation,
    "postmortem.scheduled": _postmortem_due,
    "postmortem.completed": _postmortem_done,
    "postmortem.published": _postmortem_done,
    "drill.completed": _drill,
}


def apply(conn: Connection, event: Event) -> None:
    """Fold one event into the milestone row and the drills table, when its kind feeds them."""
    handler = HANDLERS.get(event.kind)
    if handler is not None and event.payload is not None:
        handler(conn, event, event.payload)
