"""The `postmortems` rows: each postmortem event folded into its incident's document."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import postmortems
from fireline.ledger.chain import Event
from fireline.postmortem import document
from fireline.projections.kinds import Applier, Payload


def _fold(conn: Connection, event: Event, p: Payload) -> None:
    row = conn.execute(
        sa.select(postmortems.c.doc).where(postmortems.c.incident_id == event.incident_id)
    ).first()
    before = document.empty() if row is None else row.doc
    doc = document.apply(before, event.kind, p, actor=event.actor, ts=event.ts, seq=event.seq)
    values = {
        "template": doc["template"],
        "state": doc["internal"]["state"],
        "external_state": doc["external"]["state"],
        "due": doc["due"],
        "doc": doc,
    }
    if row is None:
        conn.execute(postmortems.insert(), {"incident_id": event.incident_id, **values})
    else:
        conn.execute(
            postmortems.update()
            .where(postmortems.c.incident_id == event.incident_id)
            .values(**values)
        )


HANDLERS: dict[str, Applier] = dict.fromkeys(
    (
        "postmortem.drafted",
        "postmortem.edited",
        "postmortem.submitted",
        "postmortem.approved",
        "postmortem.published",
        "postmortem.overdue",
    ),
    _fold,
)
# Folded beside their existing projections (governance.HANDLERS keeps the incident columns).
ALSO: dict[str, Applier] = {"postmortem.scheduled": _fold, "postmortem.completed": _fold}
