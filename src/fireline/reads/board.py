"""The incidents board the web UI lists: every incident the viewer may see with its labels,
flags, drill mark and current role holders, filtered and paged here so the page only renders.

Need-to-know first (`sight.see` over the incidents that pass the filters, so only the ones
shown count as read and go on the access trail), then masking. A title search matches the
title as masked to the configured grid whatever the viewer's clearance, so a search can never
find what the viewer would not be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fireline.reads import Model
from fireline.reads.sight import masked, see

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.service import Context
    from fireline.service.identity import Identity

OPEN_STATUSES = ("declared", "investigating", "identified", "mitigating", "mitigated")
CLOSED_STATUSES = ("resolved", "closed")


@dataclass(frozen=True)
class BoardQuery:
    """What the list asks for: `view` open or closed, filters, and the page (closed view)."""

    view: str = "open"
    status: str = ""
    severity: str = ""
    label: str = ""
    drill: str = ""  # "", "only", "hide"
    mine: bool = False
    q: str = ""
    page: int = 1
    per_page: int = 50


def _rows(conn: Connection, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from fireline import queries
    from fireline.db import incidents, role_assignments

    summaries = queries.list_incidents(conn, statuses=statuses)
    if not summaries:
        return []
    ids = [s.id for s in summaries]
    columns = [incidents.c.id, incidents.c.labels, incidents.c.flags]
    if "drill" in incidents.c:
        columns.append(incidents.c.drill)
    extra = {
        row.id: row._mapping
        for row in conn.execute(sa.select(*columns).where(incidents.c.id.in_(ids)))
    }
    holders: dict[str, dict[str, list[str]]] = {}
    current = sa.select(
        role_assignments.c.incident_id, role_assignments.c.role, role_assignments.c.holder
    ).where(role_assignments.c.incident_id.in_(ids), role_assignments.c.released_at.is_(None))
    for row in conn.execute(current):
        holders.setdefault(row.incident_id, {}).setdefault(row.role, []).append(row.holder)
    found = []
    for summary in summaries:
        more = extra[summary.id]
        found.append(
            {
                **summary.as_dict(),
                "labels": list(more["labels"] or []),
                "flags": list(more["flags"] or []),
                "drill": bool(more.get("drill", False)),
                "roles": holders.get(summary.id, {}),
            }
        )
    return found


def _passes(row: dict[str, Any], query: BoardQuery, viewer: str, grid: float) -> bool:
    if query.status and row["status"] != query.status:
        return False
    if query.severity and row["severity"].upper() != query.severity.upper():
        return False
    if query.label and query.label not in row["labels"]:
        return False
    if query.drill == "only" and not row["drill"]:
        return False
    if query.drill == "hide" and row["drill"]:
        return False
    if query.mine and not any(viewer in held for held in row["roles"].values()):
        return False
    if query.q:
        title = str(masked(row["title"], grid))
        if query.q.casefold() not in title.casefold():
            return False
    return True


def board(ctx: Context, identity: Identity, query: BoardQuery) -> Model:
    """`{"incidents": [...], "total": n, "page": p, "pages": k}`: the page of matching
    incidents the viewer may see (open view worst severity first, closed view newest first).
    Hidden incidents are dropped before anything is counted, so totals and pages say nothing
    of them; only the page shown is recorded as read."""
    from fireline import governance
    from fireline.db import read_only
    from fireline.service import check_identity

    check_identity(ctx, identity)
    statuses = OPEN_STATUSES if query.view != "closed" else CLOSED_STATUSES
    grid = ctx.settings.coordinate_precision
    with read_only(ctx.engine) as conn:
        rows = _rows(conn, statuses)
        ids = [row["id"] for row in rows]
        allowed = governance.access(ctx.policy, conn, identity.actor, ids, view="list").visible
    chosen = [
        row for row in rows if row["id"] in allowed and _passes(row, query, identity.actor, grid)
    ]
    if query.view == "closed":
        chosen.sort(key=lambda row: row["declared_at"], reverse=True)
    per_page = max(1, min(query.per_page, 200))
    pages = max(1, -(-len(chosen) // per_page))
    page = max(1, min(query.page, pages))
    window = chosen[(page - 1) * per_page : page * per_page]
    shown = sorted(row["id"] for row in window)
    sight = see(ctx, identity, "list", among=lambda _conn: shown)
    visible = [row for row in window if row["id"] in sight.visible]
    return {"incidents": sight.mask(visible), "total": len(chosen), "page": page, "pages": pages}
