"""00_meta/: incident.yaml in the seeds' incident-record shape, and timeline.md.

Rendered from a `Record` only (never the export's clock), so verify can re-render them. Pure.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fireline.export.model import Record
from fireline.export.views import (
    GENERATED,
    ROLE_KEYS,
    Params,
    cell,
    key_moments,
    live,
    local,
    one_line,
    render_lines,
    utc_minute,
    utc_second,
)

# -- 00_meta/incident.yaml -------------------------------------------------------------


def incident_record(
    record: Record, params: Params, evidence_paths: dict[int, str]
) -> dict[str, Any]:
    """The seeds' incident-record template, key for key, filled from the record."""
    latest = record.updates[-1] if record.updates else None
    mitigations = sorted(live(record.entries_of("mitigation")), key=lambda e: (e.when, e.seq))
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
        "hypotheses": [e.text for e in live(record.entries_of("hypothesis"))],
        "mitigations_applied": [
            {"at_utc": utc_second(e.when), "action": e.text, "ref": ", ".join(e.refs) or None}
            for e in mitigations
        ],
        "evidence_refs": [_evidence_ref(item, evidence_paths) for item in record.evidence],
        "timeline_utc": key_moments(record),
        "next_steps": next_steps,
        "notes_redaction": notes_redaction(record, params),
    }


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
    head = f"# {record.incident_id} — {one_line(record.title)}\n# {GENERATED}\n"
    return (head + body).encode()


# -- 00_meta/timeline.md ---------------------------------------------------------------


def timeline_md(record: Record, params: Params) -> bytes:
    tz = ZoneInfo(params.timezone)
    out = [
        f"# Timeline — {record.incident_id} — {one_line(record.title)}",
        "",
        f"Every event of the ledger, in UTC and in the local zone {params.timezone}. {GENERATED}",
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
    return render_lines(out)
