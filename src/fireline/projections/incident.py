"""Incidents, roles, timeline corrections, status updates and action items."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import action_items, incidents, role_assignments, timeline, updates
from fireline.ledger.chain import Event
from fireline.projections.checklists import attach
from fireline.projections.kinds import Applier, Payload


def set_incident(conn: Connection, event: Event, values: dict[str, Any]) -> None:
    set_incident_values(conn, event.incident_id, values)


def set_incident_values(conn: Connection, incident_id: str, values: dict[str, Any]) -> None:
    conn.execute(incidents.update().where(incidents.c.id == incident_id).values(**values))


def add_flag(conn: Connection, incident_id: str, flag: str) -> None:
    """Add `flag` to the incident's flags once (registry events have no incident row)."""
    flags = conn.execute(sa.select(incidents.c.flags).where(incidents.c.id == incident_id)).scalar()
    if flags is not None and flag not in flags:
        set_incident_values(conn, incident_id, {"flags": [*flags, flag]})


def _declared(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        incidents.insert(),
        {
            "id": event.incident_id,
            "title": p["title"],
            "severity": p["severity"],
            "severity_rank": p["severity_rank"],
            "ladder": p["ladder"],
            "status": "declared",
            "impact": p["impact"],
            "systems": p["systems"],
            "datasets": p["datasets"],
            "labels": p["labels"],
            "flags": p["flags"],
            "declared_at": event.ts,
            "declared_by": event.actor,
            "detected_at": p["detected_at"],
            "next_update_due": p["next_update_at"],
            "freeze": p.get("freeze", False),
            "drill": p.get("drill", False),
        },
    )
    for checklist in p.get("checklists", ()):
        attach(conn, event, checklist)


def _role_assigned(conn: Connection, event: Event, p: Payload) -> None:
    if p["replaces"] is not None:
        _release(conn, event, p["role"], p["replaces"])
    conn.execute(
        role_assignments.insert(),
        {
            "incident_id": event.incident_id,
            "seq": event.seq,
            "role": p["role"],
            "holder": p["holder"],
            "assigned_at": event.ts,
            "assigned_by": event.actor,
        },
    )


def _role_released(conn: Connection, event: Event, p: Payload) -> None:
    _release(conn, event, p["role"], p["holder"])


def _release(conn: Connection, event: Event, role: str, holder: str) -> None:
    conn.execute(
        role_assignments.update()
        .where(
            role_assignments.c.incident_id == event.incident_id,
            role_assignments.c.role == role,
            role_assignments.c.holder == holder,
            role_assignments.c.released_at.is_(None),
        )
        .values(released_at=event.ts, released_seq=event.seq)
    )


def _severity_changed(conn: Connection, event: Event, p: Payload) -> None:
    set_incident(
        conn,
        event,
        {
            "severity": p["to_severity"],
            "severity_rank": p["to_rank"],
            "next_update_due": p["next_update_at"],
            "freeze": p.get("freeze", False),
            "freeze_lifted_at": None,  # a new level decides the freeze afresh
        },
    )
    for checklist in p.get("checklists", ()):
        attach(conn, event, checklist)


_STATUS_STAMPS = {"mitigated": "mitigated_at", "resolved": "resolved_at", "closed": "closed_at"}


def _status_changed(conn: Connection, event: Event, p: Payload) -> None:
    values: dict[str, Any] = {"status": p["to_status"]}
    stamp = _STATUS_STAMPS.get(p["to_status"])
    if stamp is not None:
        values[stamp] = event.ts
    if p["to_status"] in ("resolved", "closed"):
        values["next_update_due"] = None  # the cadence ends with the response
    set_incident(conn, event, values)


def _corrected(conn: Connection, event: Event, p: Payload) -> None:
    _timeline(conn, event.incident_id, event.seq, corrects_seq=p["target_seq"])
    _timeline(conn, event.incident_id, p["target_seq"], corrected_by_seq=event.seq)


def _erased(conn: Connection, event: Event, p: Payload) -> None:
    target = p["target_seq"]
    conn.execute(
        timeline.update()
        .where(timeline.c.incident_id == event.incident_id, timeline.c.corrected_by_seq == target)
        .values(corrected_by_seq=None)
    )
    _timeline(
        conn,
        event.incident_id,
        target,
        summary=None,
        detail=sa.null(),  # SQL NULL, as an event without a payload is inserted
        at=None,
        corrects_seq=None,
        erased_by_seq=event.seq,
    )


def _timeline(conn: Connection, incident_id: str, seq: int, **values: Any) -> None:
    conn.execute(
        timeline.update()
        .where(timeline.c.incident_id == incident_id, timeline.c.seq == seq)
        .values(**values)
    )


def _update_published(conn: Connection, event: Event, p: Payload) -> None:
    body = {key: p[key] for key in ("impact", "facts", "hypotheses", "actions", "next_steps")}
    conn.execute(
        updates.insert(),
        {
            "incident_id": event.incident_id,
            "number": p["number"],
            "seq": event.seq,
            "ts": event.ts,
            "actor": event.actor,
            "status": p["status"],
            "body": body,
            "next_update_at": p["next_update_at"],
        },
    )
    set_incident(conn, event, {"last_update_at": event.ts, "next_update_due": p["next_update_at"]})


def _action_added(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        action_items.insert(),
        {
            "incident_id": event.incident_id,
            "number": p["number"],
            "seq": event.seq,
            "title": p["title"],
            "owner": p["owner"],
            "due": p["due"],
            "priority": p["priority"],
            "status": "open",
            "created_at": event.ts,
            "created_by": event.actor,
            "note": "",
            "verification": p.get("verification"),
            "tracker": p.get("tracker"),
        },
    )


def _action_completed(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        action_items.update()
        .where(
            action_items.c.incident_id == event.incident_id, action_items.c.number == p["number"]
        )
        .values(
            status="done",
            completed_at=event.ts,
            completed_by=event.actor,
            note=p["note"],
            **({"verification": p["verification"]} if p.get("verification") else {}),
        )
    )


def _action_verified(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        action_items.update()
        .where(
            action_items.c.incident_id == event.incident_id, action_items.c.number == p["number"]
        )
        .values(status="verified", verified_at=event.ts, verified_by=event.actor)
    )


HANDLERS: dict[str, Applier] = {
    "incident.declared": _declared,
    "role.assigned": _role_assigned,
    "role.overridden": _role_assigned,  # the same staffing, on an admin's recorded say-so
    "role.released": _role_released,
    "severity.changed": _severity_changed,
    "status.changed": _status_changed,
    "entry.corrected": _corrected,
    "entry.erased": _erased,
    "update.published": _update_published,
    "action_item.added": _action_added,
    "action_item.completed": _action_completed,
    "action_item.verified": _action_verified,
}
