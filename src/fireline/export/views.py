"""The human-readable files of an export, rendered from a `Record`: byte-for-byte reproducible.

incident.yaml follows the seeds' incident-record template; the markdown files follow the
workspace layout and the blameless postmortem outline. Only values from the record appear —
never the export's own clock — so rendering the same events always gives the same bytes, and
`fireline verify` can re-render them offline and compare. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fireline.export.record import Entry, Record

KEY_KINDS = frozenset(
    {
        "incident.declared",
        "severity.changed",
        "status.changed",
        "entry.detection",
        "entry.decision",
        "entry.mitigation",
        "entry.root_cause",
        "update.published",
    }
)
ROLE_KEYS = ("ic", "tech_lead", "scribe", "comms", "governance_steward", "security_lead")
ROLLBACK_WORDS = ("roll back", "rollback", "rolled back", "revert", "restore", "undo")


@dataclass(frozen=True)
class Params:
    """How an export was rendered; signed into its seal so verify renders it the same way."""

    masked: bool
    timezone: str
    coordinate_precision: float


def parse_ts(iso: str) -> datetime:
    """An event timestamp (or a user-given ISO time) as an aware UTC datetime."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_second(iso: str | None) -> str | None:
    return None if iso is None else parse_ts(iso).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_minute(iso: str) -> str:
    return parse_ts(iso).strftime("%Y-%m-%d %H:%MZ")


def local(iso: str, tz: ZoneInfo) -> str:
    return parse_ts(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def duration(start: str | None, end: str | None) -> str:
    if start is None or end is None:
        return "—"
    minutes = int((parse_ts(end) - parse_ts(start)).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def cell(text: object) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip() or "—"


def one_line(text: str) -> str:
    return " ".join(text.split())


def _lines(parts: Iterable[str]) -> bytes:
    return ("\n".join(parts).rstrip("\n") + "\n").encode()


def _live(entries: Iterable[Entry]) -> list[Entry]:
    return [e for e in entries if not e.erased]


# -- 00_meta/incident.yaml -------------------------------------------------------------


def incident_record(
    record: Record, params: Params, evidence_paths: dict[int, str]
) -> dict[str, Any]:
    """The seeds' incident-record template, key for key, filled from the record."""
    latest = record.updates[-1] if record.updates else None
    mitigations = sorted(_live(record.entries_of("mitigation")), key=lambda e: (e.when, e.seq))
    next_steps: list[dict[str, Any]] = [
        {"owner": item.owner, "task": item.title, "eta": item.due}
        for item in record.action_items.values()
        if item.status == "open"
    ]
    if latest is not None:
        next_steps += [{"owner": None, "task": s, "eta": None} for s in latest[3]["next_steps"]]
    return {
        "incident_id": record.incident_id,
        "opened_at_utc": utc_second(record.opened_at),
        "sev": record.severity,
        "status": record.status,
        **{key: _holder(record, key) for key in ROLE_KEYS},
        "systems_affected": list(record.systems),
        "datasets_affected": [
            {"dataset_id": d["dataset_id"], "version_id": d.get("version_id")}
            for d in record.datasets
        ],
        "policy_flags": list(record.flags) or ["none"],
        "external_user_impact": (latest[3]["impact"] if latest and latest[3]["impact"] else "")
        or record.impact,
        "current_status": _current_status(record),
        "hypotheses": [e.text for e in _live(record.entries_of("hypothesis"))],
        "mitigations_applied": [
            {"at_utc": utc_second(e.when), "action": e.text, "ref": ", ".join(e.refs) or None}
            for e in mitigations
        ],
        "evidence_refs": [_evidence_ref(item, evidence_paths) for item in record.evidence],
        "timeline_utc": key_moments(record),
        "next_steps": next_steps,
        "notes_redaction": notes_redaction(record, params),
    }


def key_moments(record: Record) -> list[str]:
    """Declaration, severity and status changes, detections, decisions, mitigations, updates."""
    out = []
    for line in record.lines:
        if line.kind in KEY_KINDS:
            label = line.kind.removeprefix("entry.").replace("_", " ").capitalize()
            text = f"{label}: {line.text}" if line.kind.startswith("entry.") else line.text
            out.append(f"{utc_minute(line.at or line.ts)} — {one_line(text)}")
    return out


def _holder(record: Record, role: str) -> str | None:
    holders = record.roles.get(role, [])
    if role == "ic" and not holders:
        return record.declared_by or None
    return ", ".join(holders) or None


def _current_status(record: Record) -> str:
    text = f"{record.status} at {record.severity}"
    if record.updates:
        number, ts, _actor, body = record.updates[-1]
        text += f"; latest update #{number} ({body['status']}) at {utc_minute(ts)}"
        facts = [one_line(str(f)) for f in body["facts"]]
        if facts:
            text += ": " + "; ".join(facts)
    return text


def _evidence_ref(item: Any, paths: dict[int, str]) -> dict[str, Any]:
    ref: dict[str, Any] = {"kind": item.kind}
    if item.sha256 is None:
        ref["ref"] = item.ref
    elif item.number in paths:
        ref["ref"] = f"10_evidence/{paths[item.number]}"
        ref["sha256"] = item.sha256
    else:
        ref["ref"] = f"withheld from this masked export (sha256 {item.sha256})"
    return ref


def notes_redaction(record: Record, params: Params) -> str:
    """What was removed or hidden, and why: redactions, erasures, masking."""
    notes: list[str] = []
    if record.redactions:
        found = ", ".join(f"{kind} ×{n}" for kind, n in sorted(record.redactions.items()))
        notes.append(f"Secrets replaced by typed placeholders before storage: {found}.")
    else:
        notes.append("No secrets were found by redaction before storage.")
    if record.sensitive:
        kept = "; ".join(
            f"{kind} in event{'s' if len(seqs) > 1 else ''} {', '.join(map(str, seqs))}"
            for kind, seqs in sorted(record.sensitive.items())
        )
        notes.append(f"Personal data and coordinates kept in the store: {kept}.")
    for erasure_seq, target, reason in record.erasures:
        notes.append(f"Event {target} was erased by event {erasure_seq}: {reason}.")
    if params.masked:
        notes.append(
            "This export is masked: e-mail addresses, phone numbers and IP addresses are "
            f"replaced and coordinates generalised to {params.coordinate_precision:g}°; "
            "binary evidence that cannot be masked is withheld."
        )
    else:
        notes.append("This export is unmasked: it holds personal data and precise coordinates.")
    return "\n".join(notes) + "\n"


def incident_yaml(record: Record, params: Params, evidence_paths: dict[int, str]) -> bytes:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    body = yaml.dump(
        incident_record(record, params, evidence_paths),
        Dumper=Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100_000,
    )
    head = f"# {record.incident_id} — {one_line(record.title)}\n# {_GENERATED}\n"
    return (head + body).encode()


_GENERATED = "Generated by fireline from ledger/events.jsonl; `fireline verify` re-renders it."


# -- 00_meta/timeline.md ---------------------------------------------------------------


def timeline_md(record: Record, params: Params) -> bytes:
    tz = ZoneInfo(params.timezone)
    out = [
        f"# Timeline — {record.incident_id} — {one_line(record.title)}",
        "",
        f"Every event of the ledger, in UTC and in the local zone {params.timezone}. {_GENERATED}",
        "",
        f"| # | UTC | Local ({cell(params.timezone)}) | Actor | Kind | What |",
        "|---:|---|---|---|---|---|",
    ]
    for line in record.lines:
        what = line.text
        if line.at:
            what += f" (at {utc_minute(line.at)})"
        if line.refs:
            what += f" [refs: {', '.join(line.refs)}]"
        out.append(
            f"| {line.seq} | {utc_second(line.ts)} | {local(line.ts, tz)} | {cell(line.actor)} "
            f"| {line.kind} | {cell(what)} |"
        )
    return _lines(out)


# -- 20_actions --------------------------------------------------------------------------


def _entry_rows(entries: Iterable[Entry]) -> list[str]:
    rows = ["| # | At (UTC) | Who | Kind | What | Why | Refs |", "|---:|---|---|---|---|---|---|"]
    for e in sorted(entries, key=lambda e: (e.when, e.seq)):
        rows.append(
            f"| {e.seq} | {utc_second(e.when)} | {cell(e.actor)} | {e.kind} | {cell(e.text)} "
            f"| {cell(e.why or '')} | {cell(', '.join(e.refs))} |"
        )
    return rows


def commands_md(record: Record) -> bytes:
    acted = _live(e for e in record.entries.values() if e.kind in ("decision", "mitigation"))
    out = [f"# Actions — {record.incident_id}", "", "Decisions and mitigations, in order.", ""]
    out += _entry_rows(acted) if acted else ["No decisions or mitigations recorded."]
    return _lines(out)


def rollback_md(record: Record) -> bytes:
    rollbacks = [
        e
        for e in _live(record.entries.values())
        if e.kind in ("decision", "mitigation")
        and any(word in e.text.lower() for word in ROLLBACK_WORDS)
    ]
    out = [
        f"# Rollback — {record.incident_id}",
        "",
        "Recorded rollbacks, reverts and restores, with the references they point at.",
        "",
    ]
    out += _entry_rows(rollbacks) if rollbacks else ["No rollback recorded."]
    return _lines(out)


# -- 30_verification ---------------------------------------------------------------------


def checks_md(record: Record) -> bytes:
    """Evidence of stabilisation: facts logged once mitigation began, and the status gates."""
    started = record.status_times.get("mitigating") or record.status_times.get("mitigated")
    facts = _live(record.entries_of("fact") + record.entries_of("detection"))
    after = [e for e in facts if started is not None and e.when >= started]
    out = [f"# Verification checks — {record.incident_id}", "", "## Status gates", ""]
    for status in ("mitigated", "resolved", "closed"):
        stamp = record.status_times.get(status)
        out.append(
            f"- [{'x' if stamp else ' '}] {status}" + (f" at {utc_second(stamp)}" if stamp else "")
        )
    for checklist in record.checklists.values():
        done = sum(1 for item in checklist.items.values() if item.checked)
        kind = "built-in checklist" if checklist.builtin else "runbook"
        out += [
            "",
            f"## {cell(checklist.title)} ({kind} {checklist.checklist}: {done}/"
            f"{len(checklist.items)})",
            "",
        ]
        for item in checklist.items.values():
            by = f" — {item.changed_by}, {utc_second(item.changed_at)}" if item.checked else ""
            out.append(
                f"{'  ' * item.depth}- [{'x' if item.checked else ' '}] {cell(item.text)}{by}"
            )
    out += ["", "## Facts recorded since mitigation began", ""]
    out += (
        [f"- {utc_second(e.when)} {cell(e.text)} (#{e.seq}, {e.actor})" for e in after]
        if after
        else ["None recorded."]
    )
    return _lines(out)


def metrics_md(record: Record) -> bytes:
    times = record.status_times
    start = record.detected_at or record.opened_at
    out = [
        f"# Metrics — {record.incident_id}",
        "",
        "| Measure | Value |",
        "|---|---|",
        f"| Detected (UTC) | {utc_second(record.detected_at) or '—'} |",
        f"| Declared (UTC) | {utc_second(record.opened_at) or '—'} |",
        f"| Time to declare | {duration(record.detected_at, record.opened_at)} |",
        f"| Time to mitigate | {duration(start, times.get('mitigated'))} |",
        f"| Time to resolve | {duration(start, times.get('resolved'))} |",
        f"| Time to close | {duration(start, times.get('closed'))} |",
        f"| Severity changes | {len(record.severity_changes)} |",
        f"| Status updates published | {len(record.updates)} |",
        f"| Evidence items | {len(record.evidence)} |",
        f"| Events in the ledger | {record.head_seq} |",
    ]
    return _lines(out)


# -- 90_postmortem -----------------------------------------------------------------------


def postmortem_md(record: Record) -> bytes:
    """The seeds' blameless postmortem outline, pre-filled where the record knows the answer."""
    todo = "_To be written._"
    facts = _live(record.entries_of("fact"))
    causes = _live(record.entries_of("root_cause"))
    start = record.detected_at or record.opened_at
    times = record.status_times
    out = [
        f"# Postmortem — {record.incident_id} — {one_line(record.title)}",
        "",
        f"SEV: {record.severity} · Status: {record.status} · "
        f"Opened (UTC): {utc_second(record.opened_at)}",
        "",
        "## Summary",
        "",
        "What happened (facts):",
        *([f"- {cell(e.text)}" for e in facts] or [f"- {todo}"]),
        "",
        f"User impact: {one_line(record.impact) or todo}",
        "",
        "Data/governance impact: "
        + (", ".join(d["dataset_id"] for d in record.datasets) or "no datasets recorded"),
        "",
        "## Timeline (UTC)",
        "",
        *[f"- {moment}" for moment in key_moments(record)],
        "",
        "## Root cause(s)",
        "",
        *([f"- {cell(e.text)}" for e in causes] or [f"- {todo}"]),
        "- Contributing factors (tech + process): " + todo,
        "",
        "## Detection & response",
        "",
        "- Detection: "
        + ("; ".join(cell(e.text) for e in _live(record.entries_of("detection"))) or todo),
        f"- Time to declare: {duration(record.detected_at, record.opened_at)}",
        f"- Time to mitigate: {duration(start, times.get('mitigated'))}",
        f"- Time to resolve: {duration(start, times.get('resolved'))}",
        f"- What went well / what didn't: {todo}",
        "",
        "## Governance & safety review",
        "",
        f"- Policy flags: {', '.join(record.flags) or 'none'}",
        "- Review: "
        + (
            f"signed off by {record.governance_review[0]}: {cell(record.governance_review[1])}"
            if record.governance_review
            else "not recorded"
        ),
        "",
        "## Corrective actions",
        "",
        "| Action | Owner | Priority | Due | Verification |",
        "|---|---|---:|---|---|",
        *[
            f"| {cell(i.title)} | {cell(i.owner)} | {i.priority} | {i.due or '—'} | "
            + (f"done {utc_second(i.completed_at)}" if i.completed_at else "open")
            + " |"
            for i in record.action_items.values()
        ],
        "",
        "## Prevention / hardening",
        "",
        f"- {todo}",
    ]
    return _lines(out)


def action_items_md(record: Record) -> bytes:
    out = [f"# Action items — {record.incident_id}", ""]
    for i in record.action_items.values():
        done = f", done {utc_second(i.completed_at)}" if i.completed_at else ""
        out.append(
            f"- [{'x' if i.status == 'done' else ' '}] #{i.number} {cell(i.title)} "
            f"(Owner: {i.owner}, Due: {i.due or 'unset'}, Priority: {i.priority}{done})"
        )
    if not record.action_items:
        out.append("No action items recorded.")
    return _lines(out)
