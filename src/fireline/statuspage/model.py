"""The public status page's one model: components, current and recent public incidents, uptime.

What may appear is decided here and nowhere else: an incident is public only when it is not a
drill, the policy shows it to an anonymous viewer (`PUBLIC_VIEWER`, view `status page`: never a
restricted incident), and someone published at least one update `--public` on it. Of such an
incident the page shows only what was published for the public: the status of each public
update, the impact line its author (IC or comms lead) wrote, and the next update time — in the
004 status-page wording. Never the title, facts, hypotheses, names or any other internal text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.config import Settings
from fireline.db import incidents, milestones, public_updates
from fireline.domain import iso_utc
from fireline.policy import PolicyEngine
from fireline.statuspage.components import Component

# No user can be named this (names may not hold a colon): the anonymous reader of /status.
PUBLIC_VIEWER = "public:status-page"
VIEW = "status page"
WINDOW = timedelta(days=90)
# The policy is asked about this many incidents at a time: rego-cpp's evaluation of one query
# grows faster than linearly with the incidents in its input (2,000 at once: ~10× the CPU of
# forty queries of 50), and each incident's answer is its own.
POLICY_CHUNK = 50
IMPACTS = ("none", "minor", "major", "critical")  # Statuspage's incident impact, by rank
COMPONENT_STATUS = {
    "none": "degraded_performance",
    "minor": "degraded_performance",
    "major": "partial_outage",
    "critical": "major_outage",
}
INDICATOR_TEXT = {
    "none": "All Systems Operational",
    "minor": "Minor Service Disruption",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}
# fireline status → Statuspage incident status.
PUBLIC_STATUS = {
    "declared": "investigating",
    "investigating": "investigating",
    "identified": "identified",
    "mitigating": "identified",
    "mitigated": "monitoring",
    "resolved": "resolved",
    "closed": "resolved",
}


@dataclass(frozen=True)
class PublicUpdate:
    number: int
    status: str  # Statuspage's
    body: str
    at: str


@dataclass(frozen=True)
class PublicIncident:
    id: str
    name: str
    status: str
    impact: str
    started_at: str
    created_at: str
    updated_at: str
    monitoring_at: str | None
    resolved_at: str | None
    components: tuple[str, ...]
    updates: tuple[PublicUpdate, ...]

    @property
    def current(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class ComponentState:
    component: Component
    status: str
    uptime: float  # share of the last 90 days without an incident affecting it
    days: tuple[str, ...]  # the last 90 UTC days, oldest first: an impact name or "operational"


@dataclass(frozen=True)
class StatusPage:
    title: str
    generated_at: str
    components: list[ComponentState]
    incidents: list[PublicIncident] = field(default_factory=list)

    @property
    def indicator(self) -> str:
        current = [i.impact for i in self.incidents if i.current]
        return max(current, key=IMPACTS.index) if current else "none"

    @property
    def description(self) -> str:
        if self.indicator == "none" and any(i.current for i in self.incidents):
            return "Minor Service Disruption"  # a current incident at the lowest levels
        return INDICATOR_TEXT[self.indicator]


def _names(components: tuple[Component, ...], keys: tuple[str, ...]) -> str:
    named = [c.name for c in components if c.key in keys]
    return ", ".join(named) if named else "our service"


def wording(status: str, service: str, impact: str, next_in: int | None) -> str:
    """The 004 status-page wording of one public update."""
    opening = {
        "investigating": f"We are investigating an issue impacting {service}.",
        "identified": (
            f"We are investigating an issue impacting {service}. Mitigation is in progress."
        ),
        "monitoring": (
            f"A fix has been applied for the issue impacting {service}; "
            "we are monitoring the results."
        ),
        "resolved": f"The issue impacting {service} has been resolved.",
    }[status]
    parts = [opening]
    if impact:
        parts.append(impact if impact.endswith((".", "!", "?")) else f"{impact}.")
    if next_in is not None and status != "resolved":
        parts.append(f"Next update in {next_in} minutes.")
    return " ".join(parts)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _impact(settings: Settings, ladder: str, severity: str) -> str:
    level_names = [level.name for level in settings.ladders[ladder].ordered()]
    position = level_names.index(severity) if severity in level_names else len(level_names)
    return ("critical", "major", "minor")[position] if position < 3 else "none"


def build(
    conn: Connection, settings: Settings, engine: PolicyEngine, *, now: datetime
) -> StatusPage:
    """The page as of `now`: public incidents current or resolved in the last 90 days."""
    from fireline import governance

    since = iso_utc(now - WINDOW)
    rows = conn.execute(
        sa.select(
            incidents.c.id,
            incidents.c.status,
            incidents.c.severity,
            incidents.c.ladder,
            incidents.c.systems,
            incidents.c.resolved_at,
            incidents.c.mitigated_at,
            milestones.c.started_at,
            milestones.c.detected_at,
            milestones.c.declared_at,
        )
        .join(milestones, milestones.c.incident_id == incidents.c.id)
        .where(
            milestones.c.drill.is_(sa.false()),
            sa.or_(incidents.c.resolved_at.is_(None), incidents.c.resolved_at >= since),
            sa.exists().where(public_updates.c.incident_id == incidents.c.id),
        )
    ).all()
    shown: set[str] = set()
    ids = [r.id for r in rows]
    for start in range(0, len(ids), POLICY_CHUNK):
        access = governance.access(
            engine, conn, PUBLIC_VIEWER, ids[start : start + POLICY_CHUNK], view=VIEW
        )
        shown |= access.visible - access.recorded  # nothing the public reads may be on a trail
    rows = [r for r in rows if r.id in shown]
    updates: dict[str, list[sa.Row[tuple[object, ...]]]] = {r.id: [] for r in rows}
    if rows:
        for u in conn.execute(
            sa.select(public_updates)
            .where(public_updates.c.incident_id.in_(list(updates)))
            .order_by(public_updates.c.incident_id, public_updates.c.number)
        ):
            updates[u.incident_id].append(u)
    components = settings.components
    found = []
    for r in rows:
        systems = set(r.systems)
        keys = tuple(c.key for c in components if systems & set(c.systems))
        service = _names(components, keys)
        published = []
        for u in updates[r.id]:
            status = PUBLIC_STATUS[u.status]
            next_in = (
                None
                if u.next_update_at is None
                else max(1, round((_moment(u.next_update_at) - _moment(u.ts)).total_seconds() / 60))
            )
            published.append(
                PublicUpdate(u.number, status, wording(status, service, u.impact, next_in), u.ts)
            )
        resolved = r.resolved_at
        if resolved is not None and published[-1].status != "resolved":
            # Resolved internally before a public resolution was written: say only that.
            published.append(
                PublicUpdate(0, "resolved", wording("resolved", service, "", None), resolved)
            )
        started = r.started_at or r.detected_at or r.declared_at
        found.append(
            PublicIncident(
                id=r.id,
                name=f"Issue impacting {service}",
                status=published[-1].status,
                impact=_impact(settings, r.ladder, r.severity),
                started_at=started,
                created_at=published[0].at,
                updated_at=published[-1].at,
                monitoring_at=next((u.at for u in published if u.status == "monitoring"), None),
                resolved_at=resolved,
                components=keys,
                updates=tuple(reversed(published)),  # newest first, as status pages show them
            )
        )
    found.sort(key=lambda i: i.created_at, reverse=True)
    return StatusPage(
        title=settings.status_page_title,
        generated_at=iso_utc(now),
        components=[_component(c, found, now) for c in components],
        incidents=found,
    )


def _component(component: Component, found: list[PublicIncident], now: datetime) -> ComponentState:
    start = now - WINDOW
    spans = []
    for incident in found:
        if component.key not in incident.components:
            continue
        begin = max(_moment(incident.started_at), start)
        end = now if incident.resolved_at is None else min(_moment(incident.resolved_at), now)
        if end > begin:
            spans.append((begin, end, incident.impact))
    covered = timedelta(0)
    reach = start
    for begin, end, _ in sorted(spans):
        if end > reach:
            covered += end - max(begin, reach)
            reach = end
    days = []
    first = datetime(start.year, start.month, start.day, tzinfo=now.tzinfo) + timedelta(days=1)
    for n in range(90):
        day_start = first + timedelta(days=n)
        day_end = day_start + timedelta(days=1)
        hit = [impact for begin, end, impact in spans if begin < day_end and end > day_start]
        days.append(max(hit, key=IMPACTS.index) if hit else "operational")
    current = [i.impact for i in found if i.current and component.key in i.components]
    status = COMPONENT_STATUS[max(current, key=IMPACTS.index)] if current else "operational"
    return ComponentState(component, status, 1 - covered / WINDOW, tuple(days))
