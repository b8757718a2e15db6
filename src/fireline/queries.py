"""Typed read models over the projections; the only way adapters read incident state."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import (
    DriverStatement,
    action_items,
    evidence,
    heads,
    incidents,
    role_assignments,
    timeline,
    updates,
)
from fireline.domain import IncidentId, Ladder, Status
from fireline.errors import NotFoundError


@dataclass(frozen=True)
class RoleTenure:
    """Who held a role from when to when (`released_at` None: still holds it)."""

    role: str
    holder: str
    assigned_at: str
    assigned_by: str
    released_at: str | None


@dataclass(frozen=True)
class ActionItem:
    number: int
    title: str
    owner: str
    due: str | None
    priority: str
    status: str
    created_at: str
    created_by: str
    completed_at: str | None
    completed_by: str | None
    note: str
    verification: str | None = None
    tracker: str | None = None
    verified_at: str | None = None
    verified_by: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    ts: str
    at: str | None
    actor: str
    kind: str
    summary: str | None
    detail: dict[str, Any] | None
    corrects_seq: int | None
    corrected_by_seq: int | None
    erased_by_seq: int | None


@dataclass(frozen=True)
class StatusUpdate:
    number: int
    ts: str
    actor: str
    status: str
    body: dict[str, Any]
    next_update_at: str | None


@dataclass(frozen=True)
class IncidentSummary:
    id: str
    title: str
    severity: str
    severity_rank: int
    status: str
    ic: str | None
    declared_at: str
    last_activity_at: str
    next_update_due: str | None
    drill: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IncidentDetail:
    summary: IncidentSummary
    ladder: str
    impact: str
    systems: list[str]
    datasets: list[dict[str, Any]]
    labels: list[str]
    flags: list[str]
    declared_by: str
    detected_at: str | None
    mitigated_at: str | None
    resolved_at: str | None
    closed_at: str | None
    event_count: int
    roles: list[RoleTenure]
    missing_roles: list[str]
    latest_update: StatusUpdate | None
    action_items: list[ActionItem]
    entry_counts: dict[str, int]
    freezes_deploys: bool
    postmortem_due: str | None
    postmortem_done_at: str | None
    governance_reviewed_by: str | None

    def current_roles(self) -> dict[str, list[str]]:
        held: dict[str, list[str]] = {}
        for tenure in self.roles:
            if tenure.released_at is None:
                held.setdefault(tenure.role, []).append(tenure.holder)
        return held

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("summary"))
        data["current_roles"] = self.current_roles()
        return data


@dataclass(frozen=True)
class IncidentState:
    """What the service needs to validate a command against an incident."""

    id: IncidentId
    status: Status
    severity: str
    severity_rank: int
    ladder: str
    next_update_due: str | None
    labels: list[str]
    flags: list[str]
    declared_by: str
    freeze: bool
    freeze_lifted_at: str | None
    # When the incident began as far as the record knows: detection, else declaration.
    started_at: str
    drill: bool = False
    declared_at: str = ""
    last_update_at: str | None = None


_IC = (
    sa.select(role_assignments.c.holder)
    .where(
        role_assignments.c.incident_id == incidents.c.id,
        role_assignments.c.role == "ic",
        role_assignments.c.released_at.is_(None),
    )
    .order_by(role_assignments.c.seq.desc())
    .limit(1)
    .scalar_subquery()
)
_SUMMARY = sa.select(
    incidents.c.id,
    incidents.c.title,
    incidents.c.severity,
    incidents.c.severity_rank,
    incidents.c.status,
    _IC.label("ic"),
    incidents.c.declared_at,
    heads.c.ts.label("last_activity_at"),
    incidents.c.next_update_due,
    incidents.c.drill,
).join(heads, heads.c.incident_id == incidents.c.id)


def list_incidents(
    conn: Connection, *, statuses: tuple[str, ...] | None = None, limit: int | None = None
) -> list[IncidentSummary]:
    """Incidents in `statuses` (default: all), worst severity first, then newest."""
    query = _SUMMARY.order_by(incidents.c.severity_rank.desc(), incidents.c.declared_at.desc())
    if statuses is not None:
        query = query.where(incidents.c.status.in_(statuses))
    if limit is not None:
        query = query.limit(limit)
    return [IncidentSummary(**row._mapping) for row in conn.execute(query)]


def get_summary(conn: Connection, incident_id: str) -> IncidentSummary:
    row = conn.execute(_SUMMARY.where(incidents.c.id == incident_id)).first()
    if row is None:
        raise NotFoundError(f"no incident {incident_id}")
    return IncidentSummary(**row._mapping)


_STATE = DriverStatement(
    sa.select(
        incidents.c.status,
        incidents.c.severity,
        incidents.c.severity_rank,
        incidents.c.ladder,
        incidents.c.next_update_due,
        incidents.c.labels,
        incidents.c.flags,
        incidents.c.declared_by,
        incidents.c.freeze,
        incidents.c.freeze_lifted_at,
        incidents.c.declared_at,
        incidents.c.detected_at,
        incidents.c.drill,
        incidents.c.last_update_at,
    ).where(incidents.c.id == sa.bindparam("incident_id"))
)
_CURRENT_ROLES = DriverStatement(
    sa.select(role_assignments.c.role, role_assignments.c.holder)
    .where(
        role_assignments.c.incident_id == sa.bindparam("incident_id"),
        role_assignments.c.released_at.is_(None),
    )
    .order_by(role_assignments.c.seq)
)


def get_state(conn: Connection, incident_id: str) -> IncidentState:
    """The incident's validation state (on every write's hot path), or NotFoundError."""
    row = _STATE.execute(conn, {"incident_id": incident_id}).fetchone()
    if row is None:
        raise NotFoundError(f"no incident {incident_id}")
    status, severity, rank, ladder, due, labels, flags, declared_by, freeze, lifted = row[:10]
    declared_at, detected_at, drill, last_update = row[10:]
    return IncidentState(
        IncidentId(incident_id),
        Status(status),
        severity,
        rank,
        ladder,
        due,
        decode_json(labels),
        decode_json(flags),
        declared_by,
        bool(freeze),
        lifted,
        min(declared_at, detected_at or declared_at),
        bool(drill),
        declared_at,
        last_update,
    )


def decode_json(value: Any) -> Any:
    """A JSON column read on the driver: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def current_roles(conn: Connection, incident_id: str) -> dict[str, list[str]]:
    """Who holds each role now, in assignment order."""
    held: dict[str, list[str]] = {}
    for role, holder in _CURRENT_ROLES.execute(conn, {"incident_id": incident_id}):
        held.setdefault(role, []).append(holder)
    return held


def get_incident(
    conn: Connection, incident_id: str, *, ladders: Mapping[str, Ladder]
) -> IncidentDetail:
    """Everything `show` prints about one incident, or NotFoundError."""
    summary = get_summary(conn, incident_id)
    row = conn.execute(sa.select(incidents).where(incidents.c.id == incident_id)).one()
    roles = [
        RoleTenure(r.role, r.holder, r.assigned_at, r.assigned_by, r.released_at)
        for r in conn.execute(
            sa.select(role_assignments)
            .where(role_assignments.c.incident_id == incident_id)
            .order_by(role_assignments.c.seq)
        )
    ]
    held = {tenure.role for tenure in roles if tenure.released_at is None}
    ladder = ladders.get(row.ladder)
    required = ladder.level(row.severity).required_roles if ladder is not None else ()
    counts = count_kinds(conn, incident_id)
    event_count = conn.execute(
        sa.select(heads.c.seq).where(heads.c.incident_id == incident_id)
    ).scalar_one()
    return IncidentDetail(
        summary=summary,
        ladder=row.ladder,
        impact=row.impact,
        systems=row.systems,
        datasets=row.datasets,
        labels=row.labels,
        flags=row.flags,
        declared_by=row.declared_by,
        detected_at=row.detected_at,
        mitigated_at=row.mitigated_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        event_count=event_count,
        roles=roles,
        missing_roles=[role for role in required if role not in held],
        latest_update=_latest_update(conn, incident_id),
        action_items=list_action_items(conn, incident_id),
        entry_counts={
            kind.removeprefix("entry."): n
            for kind, n in counts.items()
            if kind.startswith("entry.")
        },
        freezes_deploys=bool(row.freeze)
        and row.freeze_lifted_at is None
        and row.status not in ("resolved", "closed"),
        postmortem_due=row.postmortem_due,
        postmortem_done_at=row.postmortem_done_at,
        governance_reviewed_by=row.governance_reviewed_by,
    )


def count_kinds(conn: Connection, incident_id: str) -> dict[str, int]:
    """How many events of each kind the incident has, erased entries left out."""
    rows = conn.execute(
        sa.select(timeline.c.kind, sa.func.count())
        .where(timeline.c.incident_id == incident_id, timeline.c.erased_by_seq.is_(None))
        .group_by(timeline.c.kind)
    )
    return {kind: int(n) for kind, n in rows}


def _latest_update(conn: Connection, incident_id: str) -> StatusUpdate | None:
    row = conn.execute(
        sa.select(updates)
        .where(updates.c.incident_id == incident_id)
        .order_by(updates.c.number.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return StatusUpdate(row.number, row.ts, row.actor, row.status, row.body, row.next_update_at)


def count_updates(conn: Connection, incident_id: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(updates.c.incident_id == incident_id)
        ).scalar_one()
    )


def list_action_items(conn: Connection, incident_id: str) -> list[ActionItem]:
    rows = conn.execute(
        sa.select(action_items)
        .where(action_items.c.incident_id == incident_id)
        .order_by(action_items.c.number)
    )
    return [
        ActionItem(
            r.number,
            r.title,
            r.owner,
            r.due,
            r.priority,
            r.status,
            r.created_at,
            r.created_by,
            r.completed_at,
            r.completed_by,
            r.note,
            r.verification,
            r.tracker,
            r.verified_at,
            r.verified_by,
        )
        for r in rows
    ]


def get_timeline(conn: Connection, incident_id: str) -> list[TimelineEntry]:
    """Every event of the incident as a timeline line, in order; NotFoundError if unknown."""
    get_summary(conn, incident_id)
    rows = conn.execute(
        sa.select(timeline).where(timeline.c.incident_id == incident_id).order_by(timeline.c.seq)
    )
    return [_timeline_entry(row) for row in rows]


# The reader's own trail: on the record, but folded out of a timeline unless asked for.
FOLDED_KINDS = frozenset({"access.read"})


@dataclass(frozen=True)
class TimelineView:
    """The entries a timeline shows, and how many access reads it folded out of them."""

    entries: list[TimelineEntry]
    folded: int


def select_timeline(
    entries: list[TimelineEntry],
    *,
    kinds: frozenset[str] = frozenset(),
    since: str | None = None,
    limit: int | None = None,
    unfold: bool = False,
) -> TimelineView:
    """Narrow a timeline: only `kinds` (when given), events at or after `since` (an ISO UTC
    stamp), the last `limit`. Access reads are folded out unless `unfold` or asked for by kind.
    """
    window = [e for e in entries if since is None or e.ts >= since]
    if kinds:
        shown = [e for e in window if e.kind in kinds]
        folded = 0
    elif unfold:
        shown, folded = window, 0
    else:
        shown = [e for e in window if e.kind not in FOLDED_KINDS]
        folded = len(window) - len(shown)
    if limit is not None:
        shown = shown[-limit:]
    return TimelineView(shown, folded)


@dataclass(frozen=True)
class TimelinePage:
    """One page of a narrowed timeline, how many access reads the window folded out, and the
    `after_seq` of the next page (None: this is the last)."""

    entries: list[TimelineEntry]
    folded: int
    next_after_seq: int | None


def timeline_page(
    conn: Connection,
    incident_id: str,
    *,
    kinds: frozenset[str] = frozenset(),
    since: str | None = None,
    last: int | None = None,
    unfold: bool = False,
    after_seq: int = 0,
    limit: int | None = None,
) -> TimelinePage:
    """`select_timeline` done in SQL, one page at a time, so a long incident is never loaded
    whole: the window (`since`, `kinds`, access reads folded unless `unfold`, the `last` N),
    then the events after `after_seq`, at most `limit`. NotFoundError if unknown."""
    get_summary(conn, incident_id)
    where: list[sa.ColumnElement[bool]] = [timeline.c.incident_id == incident_id]
    if since is not None:
        where.append(timeline.c.ts >= since)
    folded = 0
    if kinds:
        where.append(timeline.c.kind.in_(sorted(kinds)))
    elif not unfold:
        folded = int(
            conn.execute(
                sa.select(sa.func.count()).where(*where, timeline.c.kind.in_(sorted(FOLDED_KINDS)))
            ).scalar_one()
        )
        where.append(timeline.c.kind.not_in(sorted(FOLDED_KINDS)))
    if last is not None:
        floor = conn.execute(
            sa.select(timeline.c.seq)
            .where(*where)
            .order_by(timeline.c.seq.desc())
            .limit(1)
            .offset(last - 1)
        ).scalar()
        if floor is not None:
            where.append(timeline.c.seq >= floor)
    query = sa.select(timeline).where(*where, timeline.c.seq > after_seq).order_by(timeline.c.seq)
    if limit is not None:
        query = query.limit(limit + 1)
    entries = [_timeline_entry(row) for row in conn.execute(query)]
    more = limit is not None and len(entries) > limit
    if more:
        entries = entries[:limit]
    return TimelinePage(entries, folded, entries[-1].seq if more else None)


def get_timeline_entry(conn: Connection, incident_id: str, seq: int) -> TimelineEntry | None:
    row = conn.execute(
        sa.select(timeline).where(timeline.c.incident_id == incident_id, timeline.c.seq == seq)
    ).first()
    return None if row is None else _timeline_entry(row)


def _timeline_entry(row: sa.Row[Any]) -> TimelineEntry:
    mapping = row._mapping
    return TimelineEntry(**{name: mapping[name] for name in _TIMELINE_FIELDS})


_TIMELINE_FIELDS = tuple(f.name for f in fields(TimelineEntry))


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence: a stored file (`sha256` names its blob) or a reference (`ref`)."""

    number: int
    seq: int
    kind: str
    ref: str | None
    sha256: str | None
    size: int | None
    media_type: str | None
    name: str | None
    source: str
    captured_at: str | None
    note: str
    scanned: bool
    redacted: dict[str, int]
    sensitive: list[str]
    added_at: str
    added_by: str

    @property
    def label(self) -> str:
        return f"E{self.number}"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.label, **asdict(self)}


_EVIDENCE_FIELDS = tuple(f.name for f in fields(EvidenceItem))


def _evidence_item(row: sa.Row[Any]) -> EvidenceItem:
    mapping = row._mapping
    item = {name: mapping[name] for name in _EVIDENCE_FIELDS}
    item["scanned"] = bool(item["scanned"])
    return EvidenceItem(**item)


def list_evidence(conn: Connection, incident_id: str) -> list[EvidenceItem]:
    """The incident's evidence in the order it was added."""
    rows = conn.execute(
        sa.select(evidence).where(evidence.c.incident_id == incident_id).order_by(evidence.c.number)
    )
    return [_evidence_item(row) for row in rows]


def get_evidence(conn: Connection, incident_id: str, number: int) -> EvidenceItem:
    """One piece of evidence by number, or NotFoundError."""
    row = conn.execute(
        sa.select(evidence).where(
            evidence.c.incident_id == incident_id, evidence.c.number == number
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no evidence E{number} on {incident_id}")
    return _evidence_item(row)


def count_evidence(conn: Connection, incident_id: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(evidence.c.incident_id == incident_id)
        ).scalar_one()
    )
