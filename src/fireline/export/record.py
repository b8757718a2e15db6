"""The incident as an export sees it: a pure fold of its sealed events into one record.

Every view of an export (incident.yaml, the markdown files, PROV) is rendered from this record,
and the record from `ledger/events.jsonl` alone, so an offline verifier can rebuild each view
from the ledger and compare bytes. Pure: no I/O, no clock, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from fireline.events import TRAIL_KINDS
from fireline.export.model import (
    ActionItem,
    Checklist,
    ChecklistItem,
    Entry,
    Evidence,
    Line,
    Record,
)
from fireline.export.receipts import INTEGRITY_KINDS
from fireline.ledger.chain import Event
from fireline.postmortem.summaries import POSTMORTEM_SUMMARIES

ENTRY_PREFIX = "entry."
_Handler = Callable[[Record, Event, Mapping[str, Any]], str]


def exported_prefix(events: Sequence[Event]) -> list[Event]:
    """The events an export covers: the chain up to its last change.

    Trailing read-trail events (reads, earlier exports) are left out so that reading or
    exporting an incident does not change what the next export of it contains; trail events
    followed by real changes stay, because the chain cannot skip them.
    """
    end = len(events)
    while end > 0 and events[end - 1].kind in TRAIL_KINDS:
        end -= 1
    return list(events[:end])


def fold(incident_id: str, events: Iterable[Event]) -> Record:
    """Fold sealed events (seq order) into a Record. Unknown payload keys are ignored."""
    record = Record(incident_id)
    for event in events:
        _apply(record, event)
    return record


def _apply(record: Record, event: Event) -> None:
    record.head_seq, record.head, record.last_ts = event.seq, event.hash, event.ts
    if event.actor not in record.actors:
        record.actors.append(event.actor)
    p = event.payload
    if p is None:  # erased: the entry itself is marked by the erasure event
        record.lines.append(Line(event.seq, event.ts, event.actor, event.kind, "[erased]"))
        return
    for kind in p.get("sensitive", ()) or ():
        record.sensitive.setdefault(str(kind), []).append(event.seq)
    redacted = p.get("redacted")
    for kind, count in redacted.items() if isinstance(redacted, Mapping) else ():
        record.redactions[str(kind)] = record.redactions.get(str(kind), 0) + int(count)
    for attached in p.get("checklists", ()) or ():  # built-in stage checklists
        if isinstance(attached, Mapping):
            _attach(record, event, attached)
    handler = _HANDLERS.get(event.kind)
    text = handler(record, event, p) if handler is not None else _generic(event.kind, p)
    refs = tuple(str(r) for r in p.get("refs", ()) or ())
    record.lines.append(
        Line(event.seq, event.ts, event.actor, event.kind, text, at=p.get("at"), refs=refs)
    )


def _generic(kind: str, p: Mapping[str, Any]) -> str:
    for key in ("text", "title", "reason", "outcome", "view", "note"):
        if p.get(key):
            return f"{kind}: {p[key]}"
    return kind


def _attach(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    checklist = Checklist(str(p["checklist"]), str(p["title"]), bool(p["builtin"]), e.ts)
    for item in p.get("items", ()):
        checklist.items[int(item["number"])] = ChecklistItem(
            int(item["number"]), str(item["text"]), int(item["depth"])
        )
    r.checklists[checklist.checklist] = checklist
    kind = "Checklist" if checklist.builtin else "Runbook"
    return (
        f"{kind} {checklist.checklist} attached: {checklist.title} ({len(checklist.items)} items)"
    )


def _marker(checked: bool) -> Callable[[Record, Event, Mapping[str, Any]], str]:
    def mark(r: Record, e: Event, p: Mapping[str, Any]) -> str:
        checklist = r.checklists.get(str(p["checklist"]))
        item = None if checklist is None else checklist.items.get(int(p["number"]))
        if item is not None:
            item.checked, item.changed_at, item.changed_by = checked, e.ts, e.actor
        verb = "Checked" if checked else "Unchecked"
        note = f": {p['note']}" if p.get("note") else ""
        return f"{verb} {p['checklist']}:{p['number']}{note}"

    return mark


def _declared(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    r.title, r.opened_at, r.declared_by = str(p["title"]), e.ts, e.actor
    r.severity, r.ladder = str(p["severity"]), str(p.get("ladder", ""))
    r.impact = str(p.get("impact", ""))
    r.systems = list(p.get("systems", []))
    r.datasets = [dict(d) for d in p.get("datasets", [])]
    r.labels, r.flags = list(p.get("labels", [])), list(p.get("flags", []))
    r.detected_at = p.get("detected_at")
    r.status_times["declared"] = e.ts
    return f"Declared {p['severity']}: {p['title']}"


def _role_assigned(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    role, holder, replaces = str(p["role"]), str(p["holder"]), p.get("replaces")
    holders = r.roles.setdefault(role, [])
    if replaces and replaces in holders:
        holders.remove(replaces)
        _end_tenure(r, role, replaces, e.ts)
    if holder not in holders:
        holders.append(holder)
        r.tenures.append((role, holder, e.ts, None))
    return f"{holder} is {role}" + (f" (replacing {replaces})" if replaces else "")


def _role_released(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    role, holder = str(p["role"]), str(p["holder"])
    if holder in r.roles.get(role, []):
        r.roles[role].remove(holder)
        _end_tenure(r, role, holder, e.ts)
    return f"{holder} released {role}"


def _end_tenure(r: Record, role: str, holder: str, ts: str) -> None:
    for i, (t_role, t_holder, since, until) in enumerate(r.tenures):
        if (t_role, t_holder, until) == (role, holder, None):
            r.tenures[i] = (t_role, t_holder, since, ts)


def _reason(p: Mapping[str, Any]) -> str:
    return f": {p['reason']}" if p.get("reason") else ""


def _severity(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    r.severity = str(p["to_severity"])
    r.severity_changes.append((e.ts, str(p["from_severity"]), r.severity, str(p["reason"])))
    return f"Severity {p['from_severity']} → {p['to_severity']}{_reason(p)}"


def _status(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    r.status = str(p["to_status"])
    r.status_times.setdefault(r.status, e.ts)
    return f"Status {p['from_status']} → {p['to_status']}{_reason(p)}"


def _entry(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    text = str(p["text"])
    r.entries[e.seq] = Entry(
        seq=e.seq,
        ts=e.ts,
        actor=e.actor,
        kind=e.kind.removeprefix(ENTRY_PREFIX),
        text=text + (" (partial)" if p.get("partial") else ""),
        at=p.get("at"),
        refs=tuple(str(x) for x in p.get("refs", ())),
        why=p.get("why"),
        approver=p.get("approver"),
    )
    return r.entries[e.seq].text


def _corrected(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    target = r.entries.get(int(p["target_seq"]))
    if target is not None:
        r.entries[target.seq] = _replace(
            target, text=str(p["text"]), corrected_by=(*target.corrected_by, e.seq)
        )
    return f"{p['text']} (corrects #{p['target_seq']}{_reason(p)})"


def _erased(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    seq = int(p["target_seq"])
    target = r.entries.get(seq)
    if target is not None:
        r.entries[seq] = _replace(target, text="[erased]", erased=True, refs=())
    r.lines = [
        Line(x.seq, x.ts, x.actor, x.kind, "[erased]") if x.seq == seq else x for x in r.lines
    ]
    r.erasures.append((e.seq, seq, str(p["reason"])))
    return f"Erased event {seq}{_reason(p)}"


def _replace(entry: Entry, **changes: Any) -> Entry:
    return replace(entry, **changes)


def _update(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    r.updates.append((int(p["number"]), e.ts, e.actor, p))
    return f"Update #{p['number']} ({p['status']})" + (f": {p['impact']}" if p["impact"] else "")


def _evidence(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    item = Evidence(
        seq=e.seq,
        ts=e.ts,
        actor=e.actor,
        number=int(p["number"]),
        kind=str(p["kind"]),
        sha256=p.get("sha256"),
        ref=p.get("ref"),
        size=p.get("size"),
        name=p.get("name"),
        media_type=p.get("media_type"),
        source=str(p.get("source", "")),
        captured_at=p.get("captured_at"),
        note=str(p.get("note", "")),
        scanned=bool(p.get("scanned", False)),
        sensitive=tuple(str(s) for s in p.get("sensitive", ())),
    )
    r.evidence.append(item)
    what = item.name or item.ref or (item.sha256 or "")[:12]
    return f"Evidence #{item.number} ({item.kind}): {what}"


def _action_added(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    number = int(p["number"])
    r.action_items[number] = ActionItem(
        number,
        str(p["title"]),
        str(p["owner"]),
        p.get("due"),
        str(p["priority"]),
        e.ts,
        verification=p.get("verification"),
        tracker=p.get("tracker"),
    )
    due = f", due {p['due']}" if p.get("due") else ""
    return f"Action #{number}: {p['title']} (owner {p['owner']}{due}, {p['priority']})"


def _action_done(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    item = r.action_items.get(int(p["number"]))
    if item is not None:
        item.status, item.completed_at, item.note = "done", e.ts, str(p.get("note", ""))
        item.verification = p.get("verification") or item.verification
    return f"Action #{p['number']} done" + (f": {p['note']}" if p.get("note") else "")


def _action_verified(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    item = r.action_items.get(int(p["number"]))
    if item is not None:
        item.status, item.verified_at = "verified", e.ts
    return f"Action #{p['number']} verified" + (f": {p['note']}" if p.get("note") else "")


def _postmortem(summary: Callable[[Mapping[str, Any]], str]) -> _Handler:
    """Fold a postmortem event into the record's document (`fireline.postmortem.document`)."""

    def fold_event(r: Record, e: Event, p: Mapping[str, Any]) -> str:
        from fireline.postmortem import document

        r.postmortem = document.apply(
            r.postmortem or document.empty(), e.kind, p, actor=e.actor, ts=e.ts, seq=e.seq
        )
        return summary(p)

    return fold_event


def _pm_scheduled(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    r.postmortem_due, r.postmortem_owner = str(p["due"]), str(p["owner"])
    _postmortem(lambda p: "")(r, e, p)
    return f"Postmortem due {p['due']} (owner {p['owner']})"


def _pm_done(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    r.postmortem_link = str(p["link"])
    _postmortem(lambda p: "")(r, e, p)
    return f"Postmortem done: {p['link']}"


def _reviewed(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    r.governance_review = (e.actor, str(p["outcome"]))
    return f"Governance review signed off: {p['outcome']}"


def _integrity(r: Record, e: Event, p: Mapping[str, Any]) -> str:
    from fireline.export.receipts import summary

    r.integrity.append((e.seq, e.ts, e.actor, e.kind, p))
    return summary(e.kind, p)


_HANDLERS: dict[str, _Handler] = {
    **dict.fromkeys(INTEGRITY_KINDS, _integrity),
    "incident.declared": _declared,
    "role.assigned": _role_assigned,
    "role.overridden": lambda r, e, p: f"Admin override: {_role_assigned(r, e, p)}: {p['reason']}",
    "role.released": _role_released,
    "severity.changed": _severity,
    "status.changed": _status,
    "entry.fact": _entry,
    "entry.hypothesis": _entry,
    "entry.decision": _entry,
    "entry.mitigation": _entry,
    "entry.detection": _entry,
    "entry.root_cause": _entry,
    "entry.corrected": _corrected,
    "entry.erased": _erased,
    "update.published": _update,
    "evidence.added": _evidence,
    "runbook.attached": _attach,
    "checklist.item_checked": _marker(True),
    "checklist.item_unchecked": _marker(False),
    "action_item.added": _action_added,
    "action_item.completed": _action_done,
    "action_item.verified": _action_verified,
    "postmortem.scheduled": _pm_scheduled,
    "postmortem.completed": _pm_done,
    **{kind: _postmortem(summary) for kind, summary in POSTMORTEM_SUMMARIES.items()},
    "governance.reviewed": _reviewed,
    "gate.exception": lambda r, e, p: (
        f"Exception requested for gate {p['gate']} (as {p['as_role']}): {p['justification']}"
    ),
    "gate.approved": lambda r, e, p: f"Exception {p['exception_seq']} approved as {p['as_role']}",
    "breakglass.granted": lambda r, e, p: (
        f"Breakglass for {p['to']} ({p['scope']}) until {p['expires_at']}: {p['why']}"
    ),
    "breakglass.revoked": lambda r, e, p: f"Breakglass grant {p['grant_seq']} revoked{_reason(p)}",
    "freeze.lifted": lambda r, e, p: f"Deploy freeze lifted{_reason(p)}",
    "access.read": lambda r, e, p: f"Read ({p['view']})",
    "export.created": lambda r, e, p: (
        f"Exported ({'masked' if p['masked'] else 'unmasked'}) up to event {p['seq']}"
    ),
}
