"""The user registry, postmortem and review state, gate exceptions, breakglass and freeze."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import breakglass, gate_exceptions, users
from fireline.ledger.chain import Event
from fireline.projections.incident import set_incident
from fireline.projections.kinds import Applier, Payload


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
    set_incident(conn, event, {"postmortem_due": p["due"], "postmortem_owner": p["owner"]})


def _postmortem_completed(conn: Connection, event: Event, p: Payload) -> None:
    set_incident(conn, event, {"postmortem_done_at": event.ts})


def _governance_reviewed(conn: Connection, event: Event, p: Payload) -> None:
    set_incident(
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
    set_incident(conn, event, {"freeze_lifted_at": event.ts})


HANDLERS: dict[str, Applier] = {
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
}
