"""The incident room as one read: everything its page shows behind a single `sight.see` (one
`access.read` per view of a restricted incident, not one per panel), from one snapshot.

Also the room's two other reads: `follow` (what the live stream sends: need-to-know checked
again before every batch, without recording each poll — the stream's opening was the read on
the trail) and `ledger` (the raw chain page the verify badge links to: hashes, links, policy
digests and actors, no payloads).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from fireline.domain import iso_utc
from fireline.reads import Model
from fireline.reads.incidents import _masked_entries
from fireline.reads.sight import Sight, as_json, see

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.service import Context
    from fireline.service.identity import Identity

WINDOW = 50  # timeline entries the room shows at once; older ones are a page away


def room(ctx: Context, identity: Identity, incident_id: str, *, after: int | None = None) -> Model:
    """`{"incident", "timeline", "items", "evidence", "actions", "breakglass", "head_seq"}`;
    the timeline is the last WINDOW entries, or WINDOW entries after seq `after` (an earlier
    page). The gates and the verify badge are not here: deciding the gates replays the
    incident's projections from its verified chain, and the badge re-hashes the chain, both
    growing with the incident, so the room asks for them apart (`gates`, `verification`)."""
    from fireline import governance, progress, queries
    from fireline.db import read_only
    from fireline.deadlines.state import list_obligations

    sight = see(ctx, identity, "room", incident_id)
    now = iso_utc(ctx.clock())
    with read_only(ctx.engine) as conn:
        detail = queries.get_incident(conn, incident_id, ladders=ctx.settings.ladders)
        grants = governance.list_breakglass(conn, incident_id)
        attached = progress.list_checklists(conn, incident_id)
        items = progress.list_items(conn, incident_id)
        if after is None:
            page = queries.timeline_page(conn, incident_id, last=WINDOW)
        else:
            page = queries.timeline_page(conn, incident_id, after_seq=after, limit=WINDOW)
        state = queries.get_state(conn, incident_id)
        evidence = queries.list_evidence(conn, incident_id)
        actions = queries.list_action_items(conn, incident_id)
        owed = list_obligations(conn, incident_id)
        head = _head(conn, incident_id)
    return {
        "incident": sight.mask(
            as_json(
                {
                    **detail.as_dict(),
                    "drill": bool(getattr(state, "drill", False)),
                    "checklists": [c.as_dict() for c in attached],
                    "obligations": [o.as_dict() for o in owed],
                }
            )
        ),
        "timeline": {
            "entries": _masked_entries(page.entries, sight),
            "folded": page.folded,
            "next_after_seq": page.next_after_seq,
            "first_seq": page.entries[0].seq if page.entries else None,
        },
        "items": sight.mask(as_json([item.as_dict() for item in items])),
        "evidence": sight.mask(as_json([item.as_dict() for item in evidence])),
        "actions": sight.mask(as_json([asdict(item) for item in actions])),
        "breakglass": sight.mask(
            as_json([{**asdict(g), "active": g.is_active(now)} for g in grants])
        ),
        "head_seq": head,
        "now": now,
    }


def gates(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """What `mitigated` and `resolved` still need, and the exception trail:
    `{"unmet": {gate: [need]}, "exceptions": [...]}`."""
    from fireline import governance
    from fireline.reads import incidents

    decided = incidents.gates(ctx, identity, incident_id)
    from fireline.db import read_only

    with read_only(ctx.engine) as conn:
        trail = governance.list_gate_exceptions(conn, incident_id)
    return {
        "unmet": decided["unmet"],
        "excepted": decided["excepted"],
        "exceptions": [{**asdict(e), "approved": e.approved} for e in trail],
    }


def _head(conn: Connection, incident_id: str) -> int:
    import sqlalchemy as sa

    from fireline.db import heads

    seq = conn.execute(sa.select(heads.c.seq).where(heads.c.incident_id == incident_id)).scalar()
    return int(seq or 0)


def verification(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """The verify badge on its own: `{"ok", "events", "head_seq", "policy", "broken"}`."""
    from fireline.db import read_only
    from fireline.reads.fresh import shared

    see(ctx, identity, "verify badge", incident_id)
    with read_only(ctx.engine) as conn:
        store = ctx.settings.database_url
        badge: Model = shared(
            "badge", store, conn, incident_id, lambda: _badge(conn, ctx, incident_id)
        )
        return badge


def _badge(conn: Connection, ctx: Context, incident_id: str) -> Model:
    """The verify badge: the chain re-hashed and its signed checkpoint checked now, the head
    event's number and the digest of the policy that allowed it."""
    import sqlalchemy as sa

    from fireline.db import events
    from fireline.integrity import verify_store

    report = verify_store(conn, ctx.signer.public_key, incident_ids=[incident_id], processes=1)
    head = conn.execute(
        sa.select(events.c.seq, events.c.policy)
        .where(events.c.incident_id == incident_id)
        .order_by(events.c.seq.desc())
        .limit(1)
    ).first()
    return {
        "ok": report.ok,
        "events": report.events,
        "head_seq": head.seq if head is not None else 0,
        "policy": head.policy if head is not None else None,
        "broken": [str(b) for b in report.breaks],
    }


@dataclass
class Follower:
    """One live stream's view of one incident: `poll` gives the entries after `after_seq`
    the viewer may still see (NotFoundError once they may not)."""

    ctx: Context
    identity: Identity
    incident_id: str
    sight: Sight

    def poll(self, after_seq: int, *, limit: int = WINDOW) -> list[dict[str, Any]]:
        """The entries after `after_seq`, need-to-know asked again first.

        Every stream of one viewer on one incident polls at the same moment after a write, so
        the answer is shared among them (`fireline.reads.fresh`), keyed by the incident's head,
        the registry's head and the policy: a role released, a clearance changed or a new
        policy is a new key, so no answer outlives a committed change. What only time changes
        (a breakglass grant expiring) can show up to `fresh.FRESH_FOR` late, as in the gates.
        """
        import sqlalchemy as sa

        from fireline.db import heads, read_only
        from fireline.domain import REGISTRY_CHAIN
        from fireline.errors import NotFoundError
        from fireline.reads.fresh import shared

        with read_only(self.ctx.engine) as conn:
            registry = conn.execute(
                sa.select(heads.c.seq).where(heads.c.incident_id == REGISTRY_CHAIN)
            ).scalar()
            viewer = f"{self.identity.actor} {registry} {self.ctx.policy.digest}"
            visible, entries = shared(
                f"stream {viewer} {after_seq} {limit}",
                self.ctx.settings.database_url,
                conn,
                self.incident_id,
                lambda: self._entries(conn, after_seq, limit),
            )
        if not visible:
            raise NotFoundError(f"no incident {self.incident_id}")
        return _masked_entries(entries, self.sight)

    def _entries(self, conn: Connection, after_seq: int, limit: int) -> tuple[bool, list[Any]]:
        from fireline import governance, queries

        access = governance.access(
            self.ctx.policy, conn, self.identity.actor, [self.incident_id], view="room"
        )
        if self.incident_id not in access.visible:
            return False, []
        page = queries.timeline_page(conn, self.incident_id, after_seq=after_seq, limit=limit)
        return True, page.entries


def follow(ctx: Context, identity: Identity, incident_id: str) -> Follower:
    """Open a live stream on an incident: need-to-know now (recorded, like any read of a
    restricted incident), then `Follower.poll` re-checks it before every batch."""
    sight = see(ctx, identity, "room stream", incident_id)
    return Follower(ctx, identity, incident_id, sight)


def ledger(
    ctx: Context, identity: Identity, incident_id: str, *, after: int = 0, limit: int = 200
) -> Model:
    """One page of the raw chain: `{"events": [{seq, ts, actor, kind, hash, prev, policy}],
    "next_after": seq | None, "badge": …}`; payloads stay out (the timeline shows them)."""
    import sqlalchemy as sa

    from fireline.db import events, read_only

    sight = see(ctx, identity, "ledger", incident_id)
    with read_only(ctx.engine) as conn:
        rows = conn.execute(
            sa.select(
                events.c.seq,
                events.c.ts,
                events.c.actor,
                events.c.kind,
                events.c.hash,
                events.c.prev,
                events.c.policy,
            )
            .where(events.c.incident_id == incident_id, events.c.seq > after)
            .order_by(events.c.seq)
            .limit(limit + 1)
        ).all()
        badge = _badge(conn, ctx, incident_id)
    found = [dict(row._mapping) for row in rows[:limit]]
    return {
        "events": sight.mask(as_json(found)),
        "next_after": found[-1]["seq"] if len(rows) > limit else None,
        "badge": badge,
    }
