"""What a changed alert group means: the policy's routing rule decides, intake carries it out.

For each group a delivery turned firing (new, or firing again) the Rego rule
`data.fireline.intake.route` answers ignore, record, attach (to an open incident) or declare
(severity, labels; the IC from `[oncall]`). A flapping group is recorded, never routed. When a
rule cannot decide, the group is recorded as `undecided` and nothing opens (fail closed);
`Health` counts it for /readyz and /metrics. When the last firing group of an incident
resolves, a detection entry says so (the incident stays open). Every write is a command
through `submit` (the group-commit writer) as `intake:<source>`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from anyio import to_thread

from fireline.commands import AttachRunbook, Command, Declare, LogEntry, RecordRouting
from fireline.db import alert_groups, read_only
from fireline.domain import IncidentId, Status, system_actor
from fireline.errors import FirelineError
from fireline.ledger.chain import Event
from fireline.policy import PolicyFailure
from fireline.service import Context, Identity

ROUTE_RULE = "data.fireline.intake.route"
ACTIONS = ("ignore", "record", "attach", "declare")
# An incident alerts may still attach to: anything not closed (a resolved one may reopen).
OPEN_STATUSES = tuple(status.value for status in Status if status is not Status.CLOSED)
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
Submit = Callable[[Command, Identity], Awaitable[list[Event]]]


@dataclass
class Health:
    """How often the routing rule could not decide since the process started (for /readyz)."""

    undecided: int = 0
    last: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note(self, reason: str) -> None:
        with self._lock:
            self.undecided += 1
            self.last = reason

    def check(self) -> str:
        """`ok`, or how many groups were left undecided and the last reason."""
        if not self.undecided:
            return "ok"
        return f"undecidable: {self.undecided} alert group(s) recorded only; last: {self.last}"


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str = ""
    incident: str | None = None
    severity: str | None = None
    labels: tuple[str, ...] = ()


class _Undecidable(Exception):
    pass


async def route_delivery(
    ctx: Context,
    submit: Submit,
    *,
    source: str,
    kind: str,
    event: Event,
    health: Health,
    on_undecided: Callable[[], None] = lambda: None,
) -> list[Event]:
    """Route each group `event` (an `alert.received`) changed; the events this wrote."""
    payload = event.payload or {}
    identity = Identity(system_actor("intake", source))
    written: list[Event] = []
    for group in payload.get("groups", ()):
        if group["previous"] == group["status"]:
            continue
        records = [a for a in payload["alerts"] if a["group_id"] == group["id"]]
        if group["status"] == "firing":
            steps = _on_firing(
                ctx, submit, identity, source, kind, group, records, health, on_undecided
            )
        else:
            steps = _on_resolved(ctx, submit, identity, source, group)
        written.extend(await steps)
    return written


async def _on_firing(
    ctx: Context,
    submit: Submit,
    identity: Identity,
    source: str,
    kind: str,
    group: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    health: Health,
    on_undecided: Callable[[], None],
) -> list[Event]:
    firing = [r for r in records if r["status"] == "firing"] or list(records)
    common = _common_labels(firing) or dict(group["labels"])
    summary = _summary(firing)
    # Ranking, reads and the rule run on a worker thread: the event loop keeps serving.
    suggestions = await to_thread.run_sync(_suggestions, ctx, firing)

    def routed(decision: Decision, incident: str | None = None) -> RecordRouting:
        return RecordRouting(
            source=source,
            group_id=group["id"],
            status="firing",
            action=decision.action,
            reason=decision.reason[:500],
            incident_id=incident,
            severity=decision.severity,
            suggestions=tuple(suggestions),
        )

    if group["flapping"]:
        changes = len(group["transitions"])
        decision = Decision(
            "flapping",
            f"{changes} status changes within {ctx.settings.intake_flap_minutes} minutes",
        )
        return await submit(routed(decision), identity)
    linked, open_incidents = await to_thread.run_sync(_open_incidents, ctx, identity, group["id"])
    policy_input = {
        "source": {"name": source, "kind": kind},
        "group": {
            "id": group["id"],
            "key": group["key"],
            "labels": group["labels"],
            "common_labels": common,
            "summary": summary,
            "status": group["status"],
            "previous": group["previous"],
            "firing": group["firing"],
            "total": group["total"],
            "flapping": group["flapping"],
            "incident": linked,
        },
        "open_incidents": open_incidents,
        "ladder": [level.name for level in ctx.settings.ladder.levels],
    }
    try:
        open_ids = {i["id"] for i in open_incidents}
        decision = await to_thread.run_sync(_decide, ctx, policy_input, open_ids)
    except _Undecidable as exc:
        health.note(str(exc))
        on_undecided()
        return await submit(routed(Decision("undecided", str(exc))), identity)
    written: list[Event] = []
    title = _title(common, summary)
    if decision.action == "attach" and decision.incident is not None:
        text = f"Alert group firing from {source}: {title} ({group['firing']} firing)"
        try:
            written += await submit(
                LogEntry(incident_id=IncidentId(decision.incident), kind="detection", text=text),
                identity,
            )
        except FirelineError as exc:
            decision = Decision("record", f"could not attach: {exc.message}")
        return written + await submit(routed(decision, decision.incident), identity)
    if decision.action == "declare":
        try:
            incident, more = await _declare(
                ctx,
                submit,
                identity,
                source,
                group,
                firing,
                common,
                title,
                summary,
                decision,
                suggestions,
            )
        except FirelineError as exc:
            decision = Decision("record", f"could not declare: {exc.message}")
            return written + await submit(routed(decision), identity)
        return more + await submit(routed(decision, incident), identity)
    return await submit(routed(decision), identity)


async def _declare(
    ctx: Context,
    submit: Submit,
    identity: Identity,
    source: str,
    group: Mapping[str, Any],
    firing: Sequence[Mapping[str, Any]],
    common: Mapping[str, str],
    title: str,
    summary: str,
    decision: Decision,
    suggestions: Sequence[Mapping[str, Any]],
) -> tuple[str, list[Event]]:
    service = common.get("service", "")
    ic = ctx.settings.oncall.get(service) or ctx.settings.oncall.get("*")
    starts = sorted(r["starts_at"] for r in firing if r["starts_at"])
    detected = datetime.fromisoformat(starts[0].replace("Z", "+00:00")) if starts else None
    if detected is not None and detected > ctx.clock():
        detected = None
    labels = tuple(label for label in decision.labels if label in ctx.settings.labels)
    command = Declare(
        title=title[:300],
        severity=str(decision.severity),
        impact=summary[:2000],
        systems=(service,) if _SLUG.fullmatch(service) else (),
        labels=labels,
        ic=ic,
        detected_at=detected,
    )
    events = list(await submit(command, identity))
    incident = events[0].incident_id
    fits = [s for s in suggestions if s.get("fits")]
    attached = ""
    if fits:
        try:
            events += await _attach(ctx, submit, identity, incident, str(fits[0]["id"]))
            attached = f"; attached runbook {fits[0]['id']} (it fits)"
        except FirelineError as exc:
            attached = f"; the fitting runbook {fits[0]['id']} could not be attached: {exc.message}"
    listed = ", ".join(
        f"{s['id']} ({'fits' if s.get('fits') else 'low confidence'})" for s in suggestions
    )
    text = (
        f"Declared from alert group {group['key'][:200]} ({source}, {group['firing']} firing): "
        f"{summary or title}. Suggested runbooks: {listed or 'none'}{attached}"
    )
    events += await submit(
        LogEntry(incident_id=IncidentId(incident), kind="detection", text=text[:4000]), identity
    )
    return incident, events


async def _attach(
    ctx: Context, submit: Submit, identity: Identity, incident: str, runbook: str
) -> list[Event]:
    """Attach the runbook `runbook` (an id) names, found as `runbook attach` finds it."""
    from fireline.checklists.locate import indexed_paths, locate, read_source

    folder = ctx.settings.runbook_dir
    with read_only(ctx.engine) as conn:
        indexed = indexed_paths(conn, runbook)
    source = read_source(locate(runbook, runbook_dir=folder, indexed=indexed), runbook_dir=folder)
    command = AttachRunbook(
        incident_id=IncidentId(incident),
        path=source.path,
        content=source.content,
        git_commit=source.git_commit,
    )
    return await submit(command, identity)


async def _on_resolved(
    ctx: Context, submit: Submit, identity: Identity, source: str, group: Mapping[str, Any]
) -> list[Event]:
    with read_only(ctx.engine) as conn:
        row = conn.execute(
            sa.select(alert_groups.c.incident_id).where(alert_groups.c.id == group["id"])
        ).first()
        incident = None if row is None else row.incident_id
        if incident is None:
            return []
        still = conn.execute(
            sa.select(sa.func.count())
            .select_from(alert_groups)
            .where(alert_groups.c.incident_id == incident, alert_groups.c.status == "firing")
        ).scalar_one()
    written: list[Event] = []
    reason = "this group resolved"
    if still == 0:
        text = (
            f"All alerts resolved: every alert group linked to {incident} has resolved "
            f"(last: {group['key'][:200]} from {source}). The incident stays open until its IC "
            "moves it on."
        )
        try:
            written += await submit(
                LogEntry(incident_id=IncidentId(incident), kind="detection", text=text), identity
            )
            reason = "all alerts of the incident resolved"
        except FirelineError as exc:
            reason = f"could not note the resolution: {exc.message}"
    routed = RecordRouting(
        source=source,
        group_id=group["id"],
        status="resolved",
        action="resolved",
        reason=reason,
        incident_id=incident,
    )
    return written + await submit(routed, identity)


def _decide(ctx: Context, policy_input: Mapping[str, Any], open_ids: set[str]) -> Decision:
    """The rule's answer, checked for shape; _Undecidable with the reason otherwise."""
    try:
        answer = ctx.policy.evaluate(ROUTE_RULE, policy_input)
    except PolicyFailure as exc:
        raise _Undecidable(f"{ROUTE_RULE}: {exc}") from None
    if not isinstance(answer, dict) or answer.get("action") not in ACTIONS:
        raise _Undecidable(f"{ROUTE_RULE} answered out of shape: {json.dumps(answer)[:200]}")
    action = str(answer["action"])
    reason = str(answer.get("reason", ""))
    if action == "attach":
        incident = answer.get("incident")
        if not isinstance(incident, str) or incident not in open_ids:
            raise _Undecidable(f"{ROUTE_RULE} attaches to {incident!r}, which is not open")
        return Decision(action, reason, incident=incident)
    if action == "declare":
        severity = answer.get("severity")
        names = [level.name for level in ctx.settings.ladder.levels]
        if severity not in names:
            raise _Undecidable(f"{ROUTE_RULE} declares severity {severity!r}, not on the ladder")
        labels = answer.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise _Undecidable(f"{ROUTE_RULE} answered labels out of shape")
        return Decision(action, reason, severity=str(severity), labels=tuple(labels))
    return Decision(action, reason)


def _open_incidents(
    ctx: Context, identity: Identity, gid: str
) -> tuple[str | None, list[dict[str, Any]]]:
    """The group's linked incident if still open, and the open incidents intake may see."""
    from fireline.reads.incidents import list_incidents

    rows = list_incidents(ctx, identity, statuses=OPEN_STATUSES)
    assert isinstance(rows, list)
    incidents = [
        {
            "id": r["id"],
            "severity": r["severity"],
            "systems": list(r.get("systems", [])),
            "labels": list(r.get("labels", [])),
            "title": r["title"],
        }
        for r in rows
    ]
    with read_only(ctx.engine) as conn:
        linked = conn.execute(
            sa.select(alert_groups.c.incident_id).where(alert_groups.c.id == gid)
        ).scalar()
    ids = {i["id"] for i in incidents}
    return (linked if linked in ids else None), incidents


def _common_labels(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    if not records:
        return {}
    common = dict(records[0]["labels"])
    for record in records[1:]:
        common = {k: v for k, v in common.items() if record["labels"].get(k) == v}
    return common


def _summary(records: Sequence[Mapping[str, Any]]) -> str:
    for record in records:
        for key in ("summary", "description", "message", "title"):
            text = record["annotations"].get(key, "")
            if text.strip():
                return str(text)[:2000]
    return ""


def _title(common: Mapping[str, str], summary: str) -> str:
    name = common.get("alertname", "")
    service = common.get("service", "")
    head = " ".join(part for part in (name, f"on {service}" if service else "") if part)
    return head or summary[:200] or "alert"


def _suggestions(ctx: Context, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The runbook suggestions for the group's alerts (explicit `runbook_url` first), top 3."""
    from fireline.suggest import engine
    from fireline.suggest.alert import Alert
    from fireline.suggest.store import cached_corpus

    alerts = [
        Alert(
            name=r["labels"].get("alertname", ""),
            labels=r["labels"],
            annotations=r["annotations"],
        )
        for r in records[:10]
    ]
    try:
        with read_only(ctx.engine) as conn:
            _info, corpus = cached_corpus(conn)
        found = [
            s.as_json()
            for s in engine.suggest(
                corpus, alerts, threshold=ctx.settings.suggest_threshold, limit=3
            )
        ]
    except FirelineError:
        found = []  # no index yet
    # An explicit runbook link no indexed runbook answers to is still the first thing to read:
    # listed for a human (never attached, it is not a file fireline holds).
    links = dict.fromkeys(
        a.annotations.get(key, "").strip()
        for a in alerts
        for key in ("runbook_url", "runbook")
        if a.annotations.get(key, "").strip()
    )
    if any(float(str(s.get("score", 0))) >= 1.0 for s in found):
        return found  # the index holds the runbook the alert names (`runbook suggest` stage 1)
    extra: list[dict[str, Any]] = [
        {
            "path": link,
            "id": link[:200],
            "title": "the alert's runbook_url",
            "score": 1.0,
            "fits": False,
            "reason": "named by the alert's runbook_url; not in the runbook index",
        }
        for link in links
    ]
    return (extra + found)[:3]
