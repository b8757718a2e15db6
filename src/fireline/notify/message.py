"""What a notification says, before any medium: built from the event and the incident.

The wording follows the seed templates: the internal status update (000 A2, 001: "[SEV1]
<name> — Update <#>", time, status, impact, what we know — facts —, the current hypothesis
apart, what we are doing, next steps, next update) and, for customers and the status page,
004's line ("We are investigating an issue impacting <service>. … Next update in X minutes.").
Facts and hypotheses are never mixed. Every string was redacted when it was recorded; here it
is masked too (PII, precise coordinates) and stripped of characters that draw nothing or steer
a display, so no receiver ever gets what a fireline view would not show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fireline.domain import is_non_printing
from fireline.ledger.chain import Event
from fireline.projections.summaries import SUMMARIES
from fireline.redaction.pii import mask

TEXT_LIMIT = 3000


@dataclass(frozen=True)
class Message:
    """One notification, medium-neutral; `render` turns it into each channel's payload."""

    notification_id: str
    incident_id: str
    event_seq: int
    event_kind: str
    title: str  # "[SEV1] Catalog API 5xx spike — Update 2"
    headline: str  # what this event says, one line
    time: str  # the event's time, "2026-11-23 14:02Z"
    severity: str
    status: str
    impact: str = ""
    facts: list[str] = field(default_factory=list)
    hypotheses: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    next_update: str | None = None
    notice: str = ""  # the customer / status-page line (004)
    drill: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "incident_id": self.incident_id,
            "event": {"seq": self.event_seq, "kind": self.event_kind},
            "title": self.title,
            "headline": self.headline,
            "time": self.time,
            "severity": self.severity,
            "status": self.status,
            "impact": self.impact,
            "facts": self.facts,
            "hypotheses": self.hypotheses,
            "actions": self.actions,
            "next_steps": self.next_steps,
            "next_update": self.next_update,
            "notice": self.notice,
            "drill": self.drill,
        }


def clean(text: str, *, precision: float) -> str:
    """Masked, printable, bounded: the only form of text that leaves fireline."""
    shown = "".join(
        " " if is_non_printing(ch) else ch for ch in mask(text, coordinate_precision=precision)
    )
    shown = " ".join(shown.split()) if "\n" not in text else shown
    return shown if len(shown) <= TEXT_LIMIT else shown[: TEXT_LIMIT - 1] + "…"


def short_time(ts: str | None) -> str | None:
    if ts is None:
        return None
    moment = datetime.fromisoformat(ts.removesuffix("Z"))
    return moment.strftime("%Y-%m-%d %H:%MZ")


def compose(nid: str, event: Event, row: Any, *, precision: float) -> Message:
    """A message from an event and its incident's current row (pure: the build's second half)."""
    p = event.payload or {}

    def c(text: str) -> str:
        return clean(text, precision=precision)

    def cl(values: list[str]) -> list[str]:
        return [c(v) for v in values]

    facts: list[str] = []
    hypotheses: list[str] = []
    actions: list[str] = []
    next_steps: list[str] = []
    impact = c(row.impact)
    kind = event.kind
    headline = c(SUMMARIES[kind](p)) if kind in SUMMARIES else kind
    suffix = headline
    next_update = short_time(row.next_update_due)
    if kind == "update.published":
        facts, hypotheses = cl(p["facts"]), cl(p["hypotheses"])
        actions, next_steps = cl(p["actions"]), cl(p["next_steps"])
        impact = c(p["impact"]) or impact
        next_update = short_time(p.get("next_update_at")) or next_update
        suffix = f"Update {p['number']}"
    elif kind in ("entry.fact", "entry.detection", "entry.root_cause"):
        facts = [c(p["text"])]
    elif kind == "entry.hypothesis":
        hypotheses = [c(p["text"])]
        headline = "New hypothesis (not established)"
    elif kind in ("entry.mitigation", "entry.decision"):
        actions = [c(p["text"])]
    elif kind == "incident.declared":
        suffix = "Declared"
    severity = c(row.severity)
    title = f"[{severity}] {c(row.title)} — {suffix}"
    drill = bool(row.drill)
    if drill:
        title = f"[DRILL] {title}"
    systems = ", ".join(c(s) for s in row.systems) or "our service"
    notice = f"We are investigating an issue impacting {systems}."
    if row.status in ("mitigating", "mitigated"):
        notice += " Mitigation is in progress."
    if row.status in ("resolved", "closed"):
        notice = f"The issue impacting {systems} has been resolved."
    elif next_update is not None:
        notice += f" Next update at {next_update}."
    return Message(
        notification_id=nid,
        incident_id=event.incident_id,
        event_seq=event.seq,
        event_kind=kind,
        title=title,
        headline=headline,
        time=short_time(event.ts) or "",
        severity=severity,
        status=row.status,
        impact=impact,
        facts=facts,
        hypotheses=hypotheses,
        actions=actions,
        next_steps=next_steps,
        next_update=next_update,
        notice=notice,
        drill=drill,
    )
