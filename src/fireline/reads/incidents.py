"""Incident reads: the listing, one incident, its timeline, checklists, action items,
breakglass grants and closure gates — each behind `sight.see`, each returned masked."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from fireline.domain import iso_utc
from fireline.queries import TimelineEntry
from fireline.reads import Model
from fireline.reads.sight import Sight, as_json, see

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.service import Context
    from fireline.service.identity import Identity

# The most timeline events one page may hold (the API's `limit`).
PAGE_LIMIT = 1000
PAGE_DEFAULT = 200
_ENTRY_FIELDS = tuple(f.name for f in fields(TimelineEntry))


def list_incidents(
    ctx: Context, identity: Identity, *, statuses: tuple[str, ...] | None = None
) -> Model:
    """The incidents in `statuses` (default: all) the viewer may see, worst severity first.

    Only the incidents this listing shows count as read (and go on the access trail).
    """
    from fireline import queries
    from fireline.db import read_only

    def listed(conn: Connection) -> list[str]:
        return [row.id for row in queries.list_incidents(conn, statuses=statuses)]

    sight = see(ctx, identity, "list", among=listed)
    with read_only(ctx.engine) as conn:
        rows = queries.list_incidents(conn, statuses=statuses)
    return sight.mask([row.as_dict() for row in rows if row.id in sight.visible])


def get_incident(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """One incident as `show` prints it: the detail, active breakglass grants, checklists.

    Reads counts and heads, never the events themselves, so a long incident costs no more."""
    from fireline import governance, progress, queries
    from fireline.db import read_only
    from fireline.deadlines.state import list_obligations

    sight = see(ctx, identity, "show", incident_id)
    with read_only(ctx.engine) as conn:
        detail = queries.get_incident(conn, incident_id, ladders=ctx.settings.ladders)
        grants = governance.list_breakglass(conn, incident_id)
        attached = progress.list_checklists(conn, incident_id)
        owed = list_obligations(conn, incident_id)
    now = iso_utc(ctx.clock())
    return sight.mask(
        as_json(
            {
                **detail.as_dict(),
                "active_breakglass": [asdict(g) for g in grants if g.is_active(now)],
                "checklists": [c.as_dict() for c in attached],
                "obligations": [o.as_dict() for o in owed],
            }
        )
    )


def timeline(
    ctx: Context,
    identity: Identity,
    incident_id: str,
    *,
    kinds: frozenset[str] = frozenset(),
    since: str | None = None,
    last: int | None = None,
    unfold: bool = False,
    after_seq: int = 0,
    limit: int | None = None,
) -> Model:
    """The timeline narrowed as `queries.timeline_page` narrows it:
    `{"entries": [...], "folded": n, "next_after_seq": seq | None}`."""
    from fireline import queries
    from fireline.db import read_only

    sight = see(ctx, identity, "timeline", incident_id)
    with read_only(ctx.engine) as conn:
        page = queries.timeline_page(
            conn,
            incident_id,
            kinds=kinds,
            since=since,
            last=last,
            unfold=unfold,
            after_seq=after_seq,
            limit=limit,
        )
    return {
        "entries": _masked_entries(page.entries, sight),
        "folded": page.folded,
        "next_after_seq": page.next_after_seq,
    }


# The fields of a timeline entry that can hold what a person wrote: the rest (seq, ts, at,
# kind, the seq links) are stamps and names fireline made, which masking leaves as they are.
_FREE_TEXT = ("actor", "summary", "detail")


def _masked_entries(entries: list[TimelineEntry], sight: Sight) -> list[dict[str, Any]]:
    """The entries as JSON, their free text masked for the viewer: one pass per distinct text
    (a page repeats its actors), never a deep copy (each entry is fresh from the store)."""
    names = _ENTRY_FIELDS
    rows = [{name: getattr(e, name) for name in names} for e in entries]
    if sight.precision is None:
        return rows
    seen: dict[str, Any] = {}
    for row in rows:
        for name in _FREE_TEXT:
            value = row[name]
            if value is None:
                continue
            key = value if isinstance(value, str) else None
            if key is not None and key in seen:
                row[name] = seen[key]
                continue
            masked_value = sight.mask(value)
            if key is not None:
                seen[key] = masked_value
            row[name] = masked_value
    return rows


def checklist_items(
    ctx: Context, identity: Identity, incident_id: str, *, only: str | None = None
) -> Model:
    """The incident's checklist items (of checklist `only`, when named; NotFoundError naming
    the attached ones if it is not attached)."""
    from fireline import progress
    from fireline.db import read_only
    from fireline.errors import NotFoundError

    sight = see(ctx, identity, "checklist", incident_id)
    with read_only(ctx.engine) as conn:
        attached = progress.list_checklists(conn, incident_id)
        items = progress.list_items(conn, incident_id, checklist=only)
    if only is not None and only not in {c.name for c in attached}:
        names = ", ".join(c.name for c in attached) or "none"
        raise NotFoundError(f"no checklist {only!r} on {incident_id}; attached: {names}")
    return sight.mask(as_json([item.as_dict() for item in items]))


def action_items(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """The incident's action items, in number order."""
    from fireline import queries
    from fireline.db import read_only

    sight = see(ctx, identity, "action list", incident_id)
    with read_only(ctx.engine) as conn:
        items = queries.list_action_items(conn, incident_id)
    return sight.mask(as_json([asdict(item) for item in items]))


def breakglass(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """The incident's breakglass grants, each with whether it is active now."""
    from fireline import governance
    from fireline.db import read_only

    now = iso_utc(ctx.clock())
    sight = see(ctx, identity, "breakglass list", incident_id)
    with read_only(ctx.engine) as conn:
        grants = governance.list_breakglass(conn, incident_id)
    return sight.mask(as_json([{**asdict(g), "active": g.is_active(now)} for g in grants]))


def gates(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """The closure gates' unmet items and the gates excepted: `{"unmet": …, "excepted": …}`."""
    from fireline import governance, queries
    from fireline.db import read_only
    from fireline.reads.fresh import shared

    sight = see(ctx, identity, "gates", incident_id)
    with read_only(ctx.engine) as conn:

        def decide() -> Model:
            state = queries.get_state(conn, incident_id)
            unmet = governance.unmet_gates(
                ctx.policy,
                conn,
                state,
                ctx.ladder(state.ladder),
                now=iso_utc(ctx.clock()),
                public_key=ctx.signer.public_key,
            )
            return as_json({"unmet": unmet, "excepted": governance.excepted_gates(conn, state.id)})

        decided = shared("gates", ctx.settings.database_url, conn, incident_id, decide)
    return sight.mask(decided)
