"""The only code that writes state tables: `apply(conn, event)` per event kind, and `rebuild`.

Projections are pure functions of the events, so dropping them and replaying the ledger gives the
identical state. They never read configuration or the clock: whatever they need is in the event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import (
    PROJECTION_TABLES,
    DriverStatement,
    action_items,
    breakglass,
    checklist_items,
    checklists,
    evidence,
    gate_exceptions,
    incidents,
    role_assignments,
    timeline,
    updates,
    users,
)
from fireline.domain import SENSITIVE_LOCATION
from fireline.ledger import store
from fireline.ledger.chain import Event

Payload = Mapping[str, Any]
_INSERT_TIMELINE = DriverStatement(timeline.insert())


def apply(conn: Connection, event: Event) -> None:
    """Fold one event into the state tables (the event's own transaction)."""
    p = event.payload
    summary = None if p is None else _SUMMARIES[event.kind](p)
    detail = None if p is None else _detail(p)
    _INSERT_TIMELINE.execute(
        conn,
        {
            "incident_id": event.incident_id,
            "seq": event.seq,
            "ts": event.ts,
            "at": None if p is None else p.get("at"),
            "actor": event.actor,
            "kind": event.kind,
            "summary": summary,
            "detail": None if detail is None else json.dumps(detail),  # as the JSON type would
            "corrects_seq": None,
            "corrected_by_seq": None,
            "erased_by_seq": None,
        },
    )
    handler = _HANDLERS.get(event.kind)
    if handler is not None and p is not None:
        handler(conn, event, p)
    if p is not None and "coordinates" in p.get("sensitive", ()):
        _flag(conn, event.incident_id, SENSITIVE_LOCATION)


def _flag(conn: Connection, incident_id: str, flag: str) -> None:
    """Add `flag` to the incident's flags once (registry events have no incident row)."""
    flags = conn.execute(sa.select(incidents.c.flags).where(incidents.c.id == incident_id)).scalar()
    if flags is not None and flag not in flags:
        _incident_values(conn, incident_id, {"flags": [*flags, flag]})


def rebuild(conn: Connection) -> int:
    """Empty every state table and replay all events in order; return how many were replayed."""
    for table in reversed(PROJECTION_TABLES):
        conn.execute(table.delete())
    count = 0
    for incident_id in store.list_chains(conn):
        for event in store.read_events(conn, incident_id):
            apply(conn, event)
            count += 1
    return count


def _detail(p: Payload) -> dict[str, Any] | None:
    keys = ("refs", "why", "approver", "reason", "redacted", "sensitive")
    detail = {key: p[key] for key in keys if p.get(key)}
    return detail or None


def _incident(conn: Connection, event: Event, values: dict[str, Any]) -> None:
    _incident_values(conn, event.incident_id, values)


def _incident_values(conn: Connection, incident_id: str, values: dict[str, Any]) -> None:
    conn.execute(incidents.update().where(incidents.c.id == incident_id).values(**values))


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
        },
    )
    for checklist in p.get("checklists", ()):
        _attach(conn, event, checklist)


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
    _incident(
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
        _attach(conn, event, checklist)


_STATUS_STAMPS = {"mitigated": "mitigated_at", "resolved": "resolved_at", "closed": "closed_at"}


def _status_changed(conn: Connection, event: Event, p: Payload) -> None:
    values: dict[str, Any] = {"status": p["to_status"]}
    stamp = _STATUS_STAMPS.get(p["to_status"])
    if stamp is not None:
        values[stamp] = event.ts
    if p["to_status"] in ("resolved", "closed"):
        values["next_update_due"] = None  # the cadence ends with the response
    _incident(conn, event, values)


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
    _incident(conn, event, {"last_update_at": event.ts, "next_update_due": p["next_update_at"]})


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
        },
    )


def _action_completed(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        action_items.update()
        .where(
            action_items.c.incident_id == event.incident_id, action_items.c.number == p["number"]
        )
        .values(status="done", completed_at=event.ts, completed_by=event.actor, note=p["note"])
    )


def _user_added(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        users.insert(),
        {
            "name": p["name"],
            "roles": p["roles"],
            "clearances": p["clearances"],
            "added_at": event.ts,
            "added_by": event.actor,
            "updated_at": event.ts,
        },
    )


def _user_updated(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        users.update()
        .where(users.c.name == p["name"])
        .values(roles=p["roles"], clearances=p["clearances"], updated_at=event.ts)
    )


def _postmortem_scheduled(conn: Connection, event: Event, p: Payload) -> None:
    _incident(conn, event, {"postmortem_due": p["due"], "postmortem_owner": p["owner"]})


def _postmortem_completed(conn: Connection, event: Event, p: Payload) -> None:
    _incident(conn, event, {"postmortem_done_at": event.ts})


def _governance_reviewed(conn: Connection, event: Event, p: Payload) -> None:
    _incident(
        conn, event, {"governance_reviewed_at": event.ts, "governance_reviewed_by": event.actor}
    )


def _gate_exception(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        gate_exceptions.insert(),
        {
            "incident_id": event.incident_id,
            "seq": event.seq,
            "gate": p["gate"],
            "justification": p["justification"],
            "requested_at": event.ts,
            "approvals": [{"actor": event.actor, "as_role": p["as_role"]}],
        },
    )


def _gate_approved(conn: Connection, event: Event, p: Payload) -> None:
    where = (
        gate_exceptions.c.incident_id == event.incident_id,
        gate_exceptions.c.seq == p["exception_seq"],
    )
    approvals = conn.execute(sa.select(gate_exceptions.c.approvals).where(*where)).scalar_one()
    approvals = [*approvals, {"actor": event.actor, "as_role": p["as_role"]}]
    conn.execute(gate_exceptions.update().where(*where).values(approvals=approvals))


def _breakglass_granted(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        breakglass.insert(),
        {
            "incident_id": event.incident_id,
            "seq": event.seq,
            "grantee": p["to"],
            "scope": p["scope"],
            "why": p["why"],
            "granted_at": event.ts,
            "granted_by": event.actor,
            "expires_at": p["expires_at"],
        },
    )


def _breakglass_revoked(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        breakglass.update()
        .where(breakglass.c.incident_id == event.incident_id, breakglass.c.seq == p["grant_seq"])
        .values(revoked_at=event.ts, revoked_by=event.actor)
    )


def _freeze_lifted(conn: Connection, event: Event, p: Payload) -> None:
    _incident(conn, event, {"freeze_lifted_at": event.ts})


def _attach(conn: Connection, event: Event, p: Payload) -> None:
    """A checklist attached by `event`: by `runbook.attached`, or inside a declaration or a
    severity change (the built-in stage checklists)."""
    conn.execute(
        checklists.insert(),
        {
            "incident_id": event.incident_id,
            "checklist": p["checklist"],
            "seq": event.seq,
            "title": p["title"],
            "path": p["path"],
            "builtin": p["builtin"],
            "sha256": p["sha256"],
            "git_blob": p["git_blob"],
            "git_commit": p["git_commit"],
            "attached_at": event.ts,
            "attached_by": event.actor,
            "total": len(p["items"]),
        },
    )
    if p["items"]:
        conn.execute(
            checklist_items.insert(),
            [
                {
                    "incident_id": event.incident_id,
                    "checklist": p["checklist"],
                    "number": item["number"],
                    "section": item["section"],
                    "text": item["text"],
                    "depth": item["depth"],
                    "line": item["line"],
                    "checked": False,
                    "changed_at": None,
                    "changed_by": None,
                    "changed_seq": None,
                    "note": "",
                }
                for item in p["items"]
            ],
        )


def _mark(checked: bool) -> Callable[[Connection, Event, Payload], None]:
    def apply_mark(conn: Connection, event: Event, p: Payload) -> None:
        conn.execute(
            checklist_items.update()
            .where(
                checklist_items.c.incident_id == event.incident_id,
                checklist_items.c.checklist == p["checklist"],
                checklist_items.c.number == p["number"],
            )
            .values(
                checked=checked,
                changed_at=event.ts,
                changed_by=event.actor,
                changed_seq=event.seq,
                note=p["note"],
            )
        )

    return apply_mark


def _evidence_added(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        evidence.insert(),
        {
            "incident_id": event.incident_id,
            "number": p["number"],
            "seq": event.seq,
            "kind": p["kind"],
            "ref": p["ref"],
            "sha256": p["sha256"],
            "size": p["size"],
            "media_type": p["media_type"],
            "name": p["name"],
            "source": p["source"],
            "captured_at": p["captured_at"],
            "note": p["note"],
            "scanned": p["scanned"],
            # Keys sorted as in the stored canonical JSON, so live and replayed rows are equal.
            "redacted": dict(sorted(p.get("redacted", {}).items())),
            "sensitive": p.get("sensitive", []),
            "added_at": event.ts,
            "added_by": event.actor,
        },
    )


_HANDLERS: dict[str, Callable[[Connection, Event, Payload], None]] = {
    "incident.declared": _declared,
    "role.assigned": _role_assigned,
    "role.released": _role_released,
    "severity.changed": _severity_changed,
    "status.changed": _status_changed,
    "entry.corrected": _corrected,
    "entry.erased": _erased,
    "update.published": _update_published,
    "action_item.added": _action_added,
    "action_item.completed": _action_completed,
    "user.added": _user_added,
    "user.updated": _user_updated,
    "postmortem.scheduled": _postmortem_scheduled,
    "postmortem.completed": _postmortem_completed,
    "governance.reviewed": _governance_reviewed,
    "gate.exception": _gate_exception,
    "gate.approved": _gate_approved,
    "breakglass.granted": _breakglass_granted,
    "breakglass.revoked": _breakglass_revoked,
    "freeze.lifted": _freeze_lifted,
    "runbook.attached": _attach,
    "checklist.item_checked": _mark(True),
    "checklist.item_unchecked": _mark(False),
    "evidence.added": _evidence_added,
}


def _reason(p: Payload) -> str:
    return f": {p['reason']}" if p.get("reason") else ""


def _attached(p: Payload) -> str:
    names = [c["checklist"] for c in p.get("checklists", ())]
    return f" (checklists {', '.join(names)} attached)" if names else ""


_SUMMARIES: dict[str, Callable[[Payload], str]] = {
    "incident.declared": lambda p: f"Declared {p['severity']}: {p['title']}{_attached(p)}",
    "role.assigned": lambda p: (
        f"{p['holder']} is {p['role']}" + (f" (replacing {p['replaces']})" if p["replaces"] else "")
    ),
    "role.released": lambda p: f"{p['holder']} released {p['role']}",
    "severity.changed": lambda p: (
        f"Severity {p['from_severity']} → {p['to_severity']}{_reason(p)}{_attached(p)}"
    ),
    "status.changed": lambda p: f"Status {p['from_status']} → {p['to_status']}{_reason(p)}",
    "entry.fact": lambda p: str(p["text"]),
    "entry.hypothesis": lambda p: str(p["text"]),
    "entry.decision": lambda p: str(p["text"]),
    "entry.mitigation": lambda p: str(p["text"]),
    "entry.detection": lambda p: str(p["text"]),
    "entry.root_cause": lambda p: str(p["text"]) + (" (partial)" if p["partial"] else ""),
    "entry.corrected": lambda p: str(p["text"]),
    "entry.erased": lambda p: f"Erased event {p['target_seq']}{_reason(p)}",
    "update.published": lambda p: (
        f"Update #{p['number']} ({p['status']})" + (f": {p['impact']}" if p["impact"] else "")
    ),
    "action_item.added": lambda p: (
        f"Action #{p['number']}: {p['title']} (owner {p['owner']}"
        + (f", due {p['due']}" if p["due"] else "")
        + f", {p['priority']})"
    ),
    "action_item.completed": lambda p: (
        f"Action #{p['number']} done" + (f": {p['note']}" if p["note"] else "")
    ),
    "user.added": lambda p: f"User {p['name']} added as {', '.join(p['roles'])}",
    "user.updated": lambda p: f"User {p['name']} now {', '.join(p['roles'])}",
    "postmortem.scheduled": lambda p: f"Postmortem due {p['due']} (owner {p['owner']})",
    "postmortem.completed": lambda p: f"Postmortem done: {p['link']}",
    "governance.reviewed": lambda p: f"Governance review signed off: {p['outcome']}",
    "gate.exception": lambda p: (
        f"Exception requested for gate {p['gate']} (as {p['as_role']}): {p['justification']}"
    ),
    "gate.approved": lambda p: f"Exception {p['exception_seq']} approved as {p['as_role']}",
    "breakglass.granted": lambda p: (  # the why is the entry's detail
        f"Breakglass for {p['to']} ({p['scope']}) until {p['expires_at']}"
    ),
    "breakglass.revoked": lambda p: f"Breakglass grant {p['grant_seq']} revoked" + _reason(p),
    "freeze.lifted": lambda p: f"Deploy freeze lifted{_reason(p)}",
    "access.read": lambda p: f"Read ({p['view']})",
    "export.created": lambda p: (
        f"Exported ({'masked' if p['masked'] else 'unmasked'}) up to event {p['seq']}"
    ),
    "runbook.attached": lambda p: (
        f"{'Checklist' if p['builtin'] else 'Runbook'} {p['checklist']} attached: {p['title']} "
        f"({len(p['items'])} item{'' if len(p['items']) == 1 else 's'})"
    ),
    "checklist.item_checked": lambda p: (
        f"Checked {p['checklist']}:{p['number']}" + (f": {p['note']}" if p["note"] else "")
    ),
    "checklist.item_unchecked": lambda p: (
        f"Unchecked {p['checklist']}:{p['number']}" + (f": {p['note']}" if p["note"] else "")
    ),
    "evidence.added": lambda p: _evidence_summary(p),
}


def _evidence_summary(p: Payload) -> str:
    what = p["ref"] if p["ref"] is not None else f"{p['name'] or 'stdin'}, {p['size']} bytes"
    digest = f", sha256 {p['sha256'][:12]}" if p["sha256"] else ""
    unscanned = ", unscanned" if p["sha256"] and not p["scanned"] else ""
    note = f": {p['note']}" if p["note"] else ""
    return f"Evidence E{p['number']} ({p['kind']}) {what}{digest}{unscanned}{note}"
