"""Governance work across incidents: gate exceptions awaiting approval, governance reviews
to sign off, breakglass grants — what the web's admin screens list, each behind `sight.see`.

Each read lists only incidents the viewer may see (need-to-know from the visibility policy);
the restricted ones it shows go on their access trail, as a listing's do. Only incidents
that hold something to list are asked about, so an empty screen records nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fireline.domain import iso_utc
from fireline.reads import Model
from fireline.reads.sight import as_json, see

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.service import Context
    from fireline.service.identity import Identity

# The two parties a gate exception needs, in the order the page names them.
PARTIES = ("ic", "governance_steward")


def _open_incidents(conn: Connection, ids: set[str]) -> dict[str, Any]:
    """Title, severity and status of the open incidents among `ids`, by id."""
    import sqlalchemy as sa

    from fireline.db import incidents

    if not ids:
        return {}
    rows = conn.execute(
        sa.select(
            incidents.c.id,
            incidents.c.title,
            incidents.c.severity,
            incidents.c.status,
            incidents.c.flags,
            incidents.c.governance_reviewed_at,
            incidents.c.governance_reviewed_by,
        ).where(incidents.c.id.in_(sorted(ids)), incidents.c.status != "closed")
    )
    return {row.id: row for row in rows}


def gate_exceptions(ctx: Context, identity: Identity) -> Model:
    """Gate exceptions not yet approved by both parties, on open incidents the viewer may see:
    `[{"incident_id","title","severity","seq","gate","justification","requested_at",
    "approvals","missing"}]`, oldest request first (`missing`: the parties still to approve)."""
    import sqlalchemy as sa

    from fireline.db import gate_exceptions as table
    from fireline.db import read_only
    from fireline.governance import GateExceptionView

    def pending(conn: Connection) -> list[tuple[str, GateExceptionView]]:
        rows = conn.execute(sa.select(table).order_by(table.c.requested_at, table.c.seq))
        found = [
            (
                r.incident_id,
                GateExceptionView(r.seq, r.gate, r.justification, r.requested_at, r.approvals),
            )
            for r in rows
        ]
        return [(i, e) for i, e in found if not e.approved]

    def among(conn: Connection) -> list[str]:
        wanted = {i for i, _e in pending(conn)}
        return sorted(_open_incidents(conn, wanted))

    sight = see(ctx, identity, "gate exceptions", among=among)
    with read_only(ctx.engine) as conn:
        found = pending(conn)
        shown = _open_incidents(conn, {i for i, _e in found} & sight.visible)
    listed = []
    for incident_id, exception in found:
        row = shown.get(incident_id)
        if row is None:
            continue
        given = {a["as_role"] for a in exception.approvals}
        listed.append(
            {
                "incident_id": incident_id,
                "title": row.title,
                "severity": row.severity,
                "seq": exception.seq,
                "gate": exception.gate,
                "justification": exception.justification,
                "requested_at": exception.requested_at,
                "approvals": exception.approvals,
                "missing": [p for p in PARTIES if p not in given],
            }
        )
    return sight.mask(as_json(listed))


def reviews(ctx: Context, identity: Identity) -> Model:
    """Open incidents that carry policy flags, so need a steward's governance review to close:
    `[{"incident_id","title","severity","status","flags","reviewed_at","reviewed_by"}]`,
    those still awaiting the sign-off first."""
    from fireline.db import read_only

    def flagged(conn: Connection) -> list[str]:
        import sqlalchemy as sa

        from fireline.db import incidents

        rows = conn.execute(
            sa.select(incidents.c.id, incidents.c.flags).where(incidents.c.status != "closed")
        )
        return sorted(row.id for row in rows if row.flags)

    sight = see(ctx, identity, "reviews", among=flagged)
    with read_only(ctx.engine) as conn:
        rows = _open_incidents(conn, set(flagged(conn)) & sight.visible)
    listed = [
        {
            "incident_id": row.id,
            "title": row.title,
            "severity": row.severity,
            "status": row.status,
            "flags": row.flags,
            "reviewed_at": row.governance_reviewed_at,
            "reviewed_by": row.governance_reviewed_by,
        }
        for row in rows.values()
    ]
    listed.sort(key=lambda r: (r["reviewed_at"] is not None, r["incident_id"]))
    return sight.mask(as_json(listed))


def breakglass_grants(ctx: Context, identity: Identity) -> Model:
    """Every breakglass grant on open incidents the viewer may see, with its expiry and whether
    it is active now: `[{"incident_id","title", <Grant fields>, "active"}]`, active first,
    soonest expiry first."""
    from dataclasses import asdict

    import sqlalchemy as sa

    from fireline.db import breakglass, read_only
    from fireline.governance import list_breakglass

    def granted(conn: Connection) -> list[str]:
        rows = conn.execute(sa.select(breakglass.c.incident_id).distinct())
        return sorted(_open_incidents(conn, {row.incident_id for row in rows}))

    sight = see(ctx, identity, "breakglass list", among=granted)
    now = iso_utc(ctx.clock())
    listed: list[dict[str, Any]] = []
    with read_only(ctx.engine) as conn:
        shown = _open_incidents(conn, set(granted(conn)) & sight.visible)
        for incident_id, row in sorted(shown.items()):
            for grant in list_breakglass(conn, incident_id):
                listed.append(
                    {
                        "incident_id": incident_id,
                        "title": row.title,
                        **asdict(grant),
                        "active": grant.is_active(now),
                    }
                )
    listed.sort(key=lambda g: (not g["active"], g["expires_at"], g["incident_id"], g["seq"]))
    return sight.mask(as_json(listed))


def open_incident_choices(ctx: Context, identity: Identity) -> Model:
    """The open incidents the viewer may see, as `[{"incident_id","title","severity"}]`: the
    choices of an admin form that acts on one (a breakglass grant)."""
    from fireline.domain import Status
    from fireline.reads.incidents import list_incidents

    statuses = tuple(s.value for s in Status if s is not Status.CLOSED)
    return [
        {"incident_id": i["id"], "title": i["title"], "severity": i["severity"]}
        for i in list_incidents(ctx, identity, statuses=statuses)
    ]
