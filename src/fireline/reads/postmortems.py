"""Postmortem and action-item reads: one postmortem (rendered, either version), the list of
postmortems with what is overdue, and action items across every incident the viewer may see.

Each read passes `sight.see` first (need-to-know, the access trail, masking), like every
incident read; a hidden incident answers as a missing one.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fireline.domain import iso_utc
from fireline.reads import Model
from fireline.reads.sight import as_json, see

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.export.model import Record
    from fireline.service import Context
    from fireline.service.identity import Identity


def _today(ctx: Context) -> str:
    return iso_utc(ctx.clock())[:10]


def _record(conn: Connection, incident_id: str) -> Record:
    from fireline.export.record import fold
    from fireline.ledger import store

    return fold(incident_id, store.read_events(conn, incident_id))


def postmortem(ctx: Context, identity: Identity, incident_id: str, *, external: bool) -> Model:
    """The postmortem as written so far, in the internal or the external version.

    An incident without a draft answers with its schedule and no sections (`template` null),
    so a page can offer to draft one.
    """
    from fireline.db import read_only
    from fireline.postmortem import document, render

    sight = see(ctx, identity, "postmortem", incident_id)
    with read_only(ctx.engine) as conn:
        record = _record(conn, incident_id)
    doc = record.postmortem or document.empty()
    version = doc[document.track(external)]
    model = {
        "incident_id": incident_id,
        "title": record.title,
        "external": external,
        "template": doc["template"],
        "state": version["state"],
        "internal_state": doc["internal"]["state"],
        "external_state": doc["external"]["state"],
        "due": doc["due"],
        "owner": doc["owner"],
        "overdue": document.is_overdue(doc, _today(ctx)),
        "overdue_recorded": doc["overdue"],
        "through_seq": doc["through_seq"],
        "reviewers": version["reviewers"],
        "approvals": version["approvals"],
        "authors": [] if external else version["authors"],
        "sections": [
            {
                "name": name,
                "text": text,
                "edited": _edited(version, name),
            }
            for name, text in render.sections(record, external=external)
        ],
        "markdown": render.markdown(record, external=external),
    }
    return sight.mask(as_json(model))


def postmortem_status(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """Where the postmortem stands (`_standing`), from its projection row: what the room's
    panel shows, without folding the whole record as `postmortem` must for the sections."""
    import sqlalchemy as sa

    from fireline.db import postmortems, read_only
    from fireline.postmortem import document

    sight = see(ctx, identity, "postmortem", incident_id)
    with read_only(ctx.engine) as conn:
        stored = conn.execute(
            sa.select(postmortems.c.doc).where(postmortems.c.incident_id == incident_id)
        ).scalar()
    model = {"incident_id": incident_id, **_standing(stored or document.empty(), _today(ctx))}
    return sight.mask(as_json(model))


def _standing(doc: dict[str, Any], today: str) -> dict[str, Any]:
    """A postmortem's standing from its folded document: what lists and the room show."""
    from fireline.postmortem import document

    return {
        "template": doc["template"],
        "state": doc["internal"]["state"],
        "external_state": doc["external"]["state"],
        "due": doc["due"],
        "owner": doc["owner"],
        "done": doc.get("link") is not None,
        "overdue": document.is_overdue(doc, today),
    }


def _edited(version: dict[str, Any], name: str) -> bool:
    return any(s["name"] == name and s.get("edited_by") for s in version["sections"])


def list_postmortems(ctx: Context, identity: Identity, *, overdue_only: bool = False) -> Model:
    """Every postmortem begun (scheduled or drafted) on an incident the viewer may see."""
    import sqlalchemy as sa

    from fireline.db import incidents, postmortems, read_only

    query = (
        sa.select(postmortems.c.incident_id, incidents.c.title, postmortems.c.doc)
        .join(incidents, incidents.c.id == postmortems.c.incident_id)
        .order_by(postmortems.c.due, postmortems.c.incident_id)
    )

    def listed(conn: Connection) -> list[str]:
        return [row.incident_id for row in conn.execute(query)]

    sight = see(ctx, identity, "postmortem list", among=listed)
    today = _today(ctx)
    with read_only(ctx.engine) as conn:
        rows = [r for r in conn.execute(query) if r.incident_id in sight.visible]
    out = []
    for row in rows:
        standing = _standing(row.doc, today)
        if overdue_only and not standing["overdue"]:
            continue
        out.append({"incident_id": row.incident_id, "title": row.title, **standing})
    return sight.mask(as_json(out))


def list_actions(
    ctx: Context,
    identity: Identity,
    *,
    overdue_only: bool = False,
    owner: str | None = None,
    states: tuple[str, ...] = (),
) -> Model:
    """Action items of every incident the viewer may see, due first (undated last).

    Overdue: open past its due date (done items wait only for verification, not the date).
    """
    import sqlalchemy as sa

    from fireline import queries
    from fireline.db import action_items, incidents, read_only

    query = (
        sa.select(action_items.c.incident_id, incidents.c.title)
        .join(incidents, incidents.c.id == action_items.c.incident_id)
        .distinct()
    )
    if owner is not None:
        query = query.where(action_items.c.owner == owner)

    def listed(conn: Connection) -> list[str]:
        return sorted({row.incident_id for row in conn.execute(query)})

    sight = see(ctx, identity, "action list", among=listed)
    today = _today(ctx)
    out = []
    with read_only(ctx.engine) as conn:
        titles = {r.incident_id: r.title for r in conn.execute(query)}
        for incident_id in sorted(titles):
            if incident_id not in sight.visible:
                continue
            for item in queries.list_action_items(conn, incident_id):
                overdue = item.status == "open" and item.due is not None and item.due < today
                if owner is not None and item.owner != owner:
                    continue
                if overdue_only and not overdue:
                    continue
                if states and item.status not in states:
                    continue
                out.append(
                    {
                        "incident_id": incident_id,
                        "incident_title": titles[incident_id],
                        **asdict(item),
                        "overdue": overdue,
                    }
                )
    out.sort(key=lambda i: (i["due"] is None, i["due"] or "", i["priority"], i["incident_id"]))
    return sight.mask(as_json(out))
