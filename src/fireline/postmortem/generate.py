"""A postmortem draft written from the record: each template section filled from the events.

Facts and hypotheses stay apart: root-cause sections list only `root_cause` entries (partial
ones marked), never a hypothesis; hypotheses have a section of their own that says they are
not causes. Times are UTC. The external audience gets no names, refs or datasets (the
sanitiser strips what text still holds). Pure: renders only values of the record.
"""

from __future__ import annotations

from collections.abc import Callable

from fireline.export.model import Entry, Record
from fireline.export.views import cell, duration, one_line, utc_minute, utc_second
from fireline.postmortem.templates import TITLES, get_template

TODO = "_To be written._"
Filler = Callable[[Record, bool], str]
MILESTONE_KINDS = ("incident.declared", "severity.changed", "status.changed")
TIMELINE_ENTRIES = ("detection", "fact", "decision", "mitigation", "root_cause")


def draft(record: Record, template: str, *, external: bool = False) -> list[tuple[str, str]]:
    """(section name, markdown text) for every section of `template` the audience gets."""
    return [
        (s.name, FILLERS[s.fill](record, external))
        for s in get_template(template)
        if s.external or not external
    ]


def title(record: Record, template: str) -> str:
    return f"{TITLES[template]} — {record.incident_id} — {one_line(record.title)}"


def _live(record: Record, kind: str) -> list[Entry]:
    return sorted(
        (e for e in record.entries.values() if e.kind == kind and not e.erased),
        key=lambda e: (e.when, e.seq),
    )


def _bullets(lines: list[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else empty


def _refs(entry: Entry, external: bool) -> str:
    return "" if external or not entry.refs else f" (refs: {', '.join(entry.refs)})"


def impact_start(record: Record) -> str | None:
    """When impact began: the earliest observed time of a fact or detection, if before the
    detection time; else the detection time itself."""
    seen = [e.at for e in record.entries.values() if e.at and e.kind in ("fact", "detection")]
    candidates = [t for t in (*seen, record.detected_at) if t]
    return min(candidates) if candidates else None


def _detected(record: Record) -> str:
    return record.detected_at or record.opened_at


def _end(record: Record) -> str | None:
    return record.status_times.get("resolved") or record.status_times.get("closed")


def _overview(record: Record, external: bool) -> str:
    return "\n".join(
        [
            f"- Title: {one_line(record.title)}",
            f"- Date: {(impact_start(record) or record.opened_at)[:10]}",
            f"- Incident start (UTC): {utc_second(impact_start(record) or record.opened_at)}",
            f"- Incident end (UTC): {utc_second(_end(record)) or 'not resolved'}",
            f"- SEV: {record.severity}",
        ]
    )


def _overview_kit(record: Record, external: bool) -> str:
    start = impact_start(record) or record.opened_at
    end = _end(record)
    return "\n".join(
        [
            f"**Severity:** {record.severity}",
            f"**Duration:** {utc_second(start)} → {utc_second(end) or 'not resolved'} "
            f"({duration(start, end)})",
            f"**Customer impact:** {_impact_text(record) or TODO}",
        ]
    )


def _impact_text(record: Record) -> str:
    latest = [str(u[3].get("impact")) for u in record.updates if u[3].get("impact")]
    parts = [one_line(record.impact)] if record.impact else []
    if latest and latest[-1] not in parts:
        parts.append(f"latest update: {one_line(latest[-1])}")
    return "; ".join(parts)


def _impact(record: Record, external: bool) -> str:
    return _impact_text(record) or TODO


def _summary(record: Record, external: bool) -> str:
    facts = [cell(e.text) + _refs(e, external) for e in _live(record, "fact")]
    datasets = ", ".join(d["dataset_id"] for d in record.datasets)
    lines = [
        "What happened (facts):",
        _bullets(facts, f"- {TODO}"),
        "",
        f"User impact: {_impact_text(record) or TODO}",
    ]
    if not external:
        lines += ["", f"Data/governance impact: {datasets or 'no datasets recorded'}"]
    return "\n".join(lines)


def _root_causes(record: Record, external: bool) -> str:
    causes = [cell(e.text) + _refs(e, external) for e in _live(record, "root_cause")]
    if causes:
        return _bullets(causes, "")
    return "_No root cause recorded yet._ Hypotheses are not causes; see the record."


def _root_causes_and_factors(record: Record, external: bool) -> str:
    return "\n".join(
        [
            "Primary cause(s):",
            _root_causes(record, external),
            "",
            f"Contributing factors (tech + process): {TODO}",
        ]
    )


def _trigger(record: Record, external: bool) -> str:
    causes = _live(record, "root_cause")
    return cell(causes[0].text) if causes else TODO


def _detection(record: Record, external: bool) -> str:
    found = [
        f"{utc_minute(e.when)} — {cell(e.text)}{_refs(e, external)}"
        for e in _live(record, "detection")
    ]
    return "\n".join(
        [
            _bullets(found, "- No detection entry recorded."),
            f"- Detected (UTC): {utc_second(_detected(record))}",
            f"- Time to detect: {duration(impact_start(record), _detected(record))}",
        ]
    )


def _resolution(record: Record, external: bool) -> str:
    done = [
        f"{utc_minute(e.when)} — {cell(e.text)}{_refs(e, external)}"
        for e in _live(record, "mitigation")
    ]
    return _bullets(done, "_No mitigation recorded._")


def _detection_response(record: Record, external: bool) -> str:
    start, times = impact_start(record), record.status_times
    return "\n".join(
        [
            "How detected:",
            _detection(record, external),
            "- How we *expected* to detect: " + TODO,
            "",
            f"- Time to mitigate: {duration(start, times.get('mitigated'))}",
            f"- Time to recover: {duration(start, times.get('resolved'))}",
            "",
            "Mitigations:",
            _resolution(record, external),
            "",
            f"What went well / what didn't: {TODO}",
        ]
    )


def _moments(record: Record, external: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    start = impact_start(record)
    if start is not None and start != record.opened_at:
        out.append((start, "Impact began (earliest observation)"))
    if record.detected_at is not None:
        out.append((record.detected_at, "Detected"))
    for line in record.lines:
        if line.kind in MILESTONE_KINDS or line.kind == "update.published" and not external:
            out.append((line.ts, one_line(line.text)))
    for kind in TIMELINE_ENTRIES:
        if external and kind in ("fact", "decision"):
            continue
        label = kind.replace("_", " ").capitalize()
        for e in _live(record, kind):
            out.append((e.when, f"{label}: {cell(e.text)}"))
    return sorted(out, key=lambda m: m[0])


def _timeline(record: Record, external: bool) -> str:
    return _bullets([f"{utc_minute(ts)} — {text}" for ts, text in _moments(record, external)], "")


def _timeline_table(record: Record, external: bool) -> str:
    rows = ["| Time (UTC) | Event |", "| ---------- | --------------------- |"]
    rows += [f"| {utc_minute(ts)} | {cell(text)} |" for ts, text in _moments(record, external)]
    return "\n".join(rows)


def _five_whys(record: Record, external: bool) -> str:
    causes = _live(record, "root_cause")
    first = cell(causes[0].text) if causes else TODO
    return "\n".join(
        [
            f"1. Why did it happen? {first}",
            *[f"{n}. Why? {TODO}" for n in range(2, 6)],
        ]
    )


def _decisions(record: Record, external: bool) -> str:
    made = [
        f"{utc_minute(e.when)} — {cell(e.text)} — why: {cell(e.why or '')}; "
        f"approver: {e.approver or 'not recorded'} (logged by {e.actor})"
        for e in _live(record, "decision")
    ]
    return _bullets(made, "No decisions recorded.")


def _hypotheses(record: Record, external: bool) -> str:
    held = [f"{utc_minute(e.when)} — {cell(e.text)}" for e in _live(record, "hypothesis")]
    if not held:
        return "No hypotheses recorded."
    return "Considered during the response; **not established causes**.\n\n" + _bullets(held, "")


def _updates(record: Record, external: bool) -> str:
    sent = [
        f"#{number} {utc_minute(ts)} ({body.get('status')})"
        + (f": {one_line(str(body['impact']))}" if body.get("impact") else "")
        for number, ts, _actor, body in record.updates
    ]
    return _bullets(sent, "No status updates published.")


def _corrections(record: Record, external: bool) -> str:
    fixed = [
        f"{utc_minute(line.ts)} — {one_line(line.text)} (by {line.actor})"
        for line in record.lines
        if line.kind == "entry.corrected"
    ]
    erased = [f"event {target} erased: {one_line(why)}" for _seq, target, why in record.erasures]
    return _bullets(fixed + erased, "No corrections or erasures.")


def _governance(record: Record, external: bool) -> str:
    kinds = ("breakglass.", "gate.", "obligation.", "freeze.lifted")
    facts = [
        f"{utc_minute(line.ts)} — {one_line(line.text)} ({line.kind}, {line.actor})"
        for line in record.lines
        if line.kind.startswith(kinds)
    ]
    review = (
        f"signed off by {record.governance_review[0]}: {cell(record.governance_review[1])}"
        if record.governance_review
        else "not recorded"
    )
    return "\n".join(
        [
            f"- Policy flags: {', '.join(record.flags) or 'none'}",
            f"- Labels: {', '.join(record.labels) or 'none'}",
            f"- Governance review: {review}",
            "- Breakglass use, gate exceptions, obligations:",
            *([f"  - {fact}" for fact in facts] or ["  - none recorded"]),
        ]
    )


def _state(item: object) -> str:
    status = str(getattr(item, "status", "open"))
    return status


def _actions_table(record: Record, external: bool) -> str:
    rows = [
        "| Action | Owner | Priority | Due | Verification | State |",
        "|---|---|---:|---|---|---|",
    ]
    for i in record.action_items.values():
        owner = "—" if external else cell(i.owner)
        rows.append(
            f"| {cell(i.title)} | {owner} | {i.priority} | {i.due or '—'} | "
            f"{cell(i.verification or 'missing')} | {_state(i)} |"
        )
    if not record.action_items:
        rows.append(f"| {TODO} | | | | | |")
    return "\n".join(rows)


def _actions_list(record: Record, external: bool) -> str:
    items = [
        f"[{'x' if i.status != 'open' else ' '}] {cell(i.title)} ("
        + ("" if external else f"Owner: {i.owner}, ")
        + f"Due: {i.due or 'unset'}, Priority: {i.priority}, "
        f"Verification: {cell(i.verification or 'missing')}, {i.status})"
        for i in record.action_items.values()
    ]
    return _bullets(items, f"- [ ] {TODO}")


def _to_write(record: Record, external: bool) -> str:
    return TODO


FILLERS: dict[str, Filler] = {
    "overview": _overview,
    "overview_kit": _overview_kit,
    "impact": _impact,
    "summary": _summary,
    "root_causes": _root_causes,
    "root_causes_and_factors": _root_causes_and_factors,
    "trigger": _trigger,
    "detection": _detection,
    "resolution": _resolution,
    "detection_response": _detection_response,
    "timeline": _timeline,
    "timeline_table": _timeline_table,
    "five_whys": _five_whys,
    "decisions": _decisions,
    "hypotheses": _hypotheses,
    "updates": _updates,
    "corrections": _corrections,
    "governance": _governance,
    "actions_table": _actions_table,
    "actions_list": _actions_list,
    "to_write": _to_write,
}
