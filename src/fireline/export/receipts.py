"""The integrity work in an export: steps, switch flips, dataset marks, manifest checks and
rebuild receipts, rendered into the seed workspace's files.

- `20_actions/commands.md`: each state-changing step (who, when, the command or PR, pre/post
  checks) and each switch flip or dataset mark (who, why, approver);
- `20_actions/diffs/<seq>-<name>`: the config diff a step applied, as recorded;
- `20_actions/rollback.md`: each step's rollback, and each switch turned back;
- `30_verification/checks.md`: pre/post checks, manifest checks (matches, mismatches, the
  manifest's own digest) and rebuild receipts (digests in and out, validation results).
Pure: rendered from the folded record alone, so `fireline verify` re-renders the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fireline.export.model import Record

INTEGRITY_KINDS = (
    "switch.set",
    "switch.handed_over",
    "dataset.marked",
    "manifest.checked",
    "receipt.recorded",
    "step.recorded",
)
DIFFS = "20_actions/diffs"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def summary(kind: str, p: Mapping[str, Any]) -> str:
    """The timeline line of one integrity event (`receipts.summaries`, as the timeline)."""
    from fireline.receipts.summaries import INTEGRITY_SUMMARIES

    return INTEGRITY_SUMMARIES[kind](p)


def _cell(text: object) -> str:
    from fireline.export.views import cell

    return cell(text)


def _at(ts: str) -> str:
    from fireline.export.views import utc_second

    return str(utc_second(ts))


def _of(record: Record, *kinds: str) -> list[tuple[int, str, str, str, Mapping[str, Any]]]:
    return [item for item in record.integrity if item[3] in kinds]


def diff_path(seq: int, name: str | None) -> str:
    clean = _UNSAFE.sub("_", name or "").strip("._") or "change.diff"
    return f"{DIFFS}/{seq:04d}-{clean[:100]}"


def diff_files(record: Record) -> dict[str, bytes]:
    """Each recorded config diff, by its path under 20_actions/diffs/."""
    return {
        diff_path(seq, p.get("diff_name")): str(p["diff"]).encode()
        for seq, _ts, _actor, _kind, p in _of(record, "step.recorded")
        if p.get("diff") is not None
    }


def command_lines(record: Record) -> list[str]:
    out = ["", "## State-changing steps", ""]
    steps = _of(record, "step.recorded")
    if not steps:
        out.append("No steps recorded.")
    for seq, ts, actor, _kind, p in steps:
        what = f"command `{_cell(p['command'])}`" if p.get("command") else f"PR {_cell(p['pr'])}"
        out += [f"### #{seq} {_cell(p['title'])}", "", f"- actor: {_cell(actor)}, {_at(ts)}"]
        out.append(f"- {what}")
        out += [f"- pre: {_cell(c)}" for c in p.get("pre", ())]
        out += [f"- post: {_cell(c)}" for c in p.get("post", ())]
        if p.get("diff") is not None:
            out.append(
                f"- diff: `{diff_path(seq, p.get('diff_name')).removeprefix('20_actions/')}`"
            )
        out.append("")
    out += ["## Switches and datasets", ""]
    flips = _of(record, "switch.set", "switch.handed_over", "dataset.marked")
    if not flips:
        out.append("No switch flipped, no dataset marked.")
    else:
        out += ["| # | At (UTC) | Who | What | Approver |", "|---:|---|---|---|---|"]
        for seq, ts, actor, kind, p in flips:
            out.append(
                f"| {seq} | {_at(ts)} | {_cell(actor)} | {_cell(summary(kind, p))} "
                f"| {_cell(p.get('approver') or '')} |"
            )
    return out


def rollback_lines(record: Record) -> list[str]:
    out = ["", "## Step rollbacks and switches turned back", ""]
    rows = [
        f"- #{seq} {_cell(p['title'])}: {_cell(p['rollback'])} ({_cell(actor)}, {_at(ts)})"
        for seq, ts, actor, _kind, p in _of(record, "step.recorded")
        if p.get("rollback")
    ]
    rows += [
        f"- #{seq} {_cell(summary(kind, p))} ({_cell(actor)}, {_at(ts)})"
        for seq, ts, actor, kind, p in _of(record, "switch.set", "dataset.marked")
        if (kind == "switch.set" and p.get("normal")) or p.get("state") == "restored"
    ]
    return out + (rows or ["None recorded."])


def check_lines(record: Record) -> list[str]:
    out = ["", "## Step checks (pre / post)", ""]
    steps = [s for s in _of(record, "step.recorded") if s[4].get("pre") or s[4].get("post")]
    out += [
        f"- #{seq} {_cell(p['title'])}: pre {_cell('; '.join(p.get('pre', ())) or '—')}; "
        f"post {_cell('; '.join(p.get('post', ())) or '—')}"
        for seq, _ts, _actor, _kind, p in steps
    ] or ["None recorded."]
    out += ["", "## Manifest checks", ""]
    checks = _of(record, "manifest.checked")
    if not checks:
        out.append("None recorded.")
    for seq, ts, actor, _kind, p in checks:
        out += [
            f"### #{seq} {_cell(p['manifest'])} ({p['format']}, sha256 {p['manifest_sha256']})",
            "",
            f"{_cell(actor)}, {_at(ts)}: {len(p['matched'])} matched, "
            f"{len(p['mismatched'])} mismatched, {len(p['missing'])} missing",
            "",
        ]
        out += [
            f"- MISMATCH {_cell(m['path'])}: expected {m['expected']}, got {m['actual']}"
            for m in p["mismatched"]
        ]
        out += [f"- MISSING {_cell(path)}" for path in p["missing"]]
        out += [f"- ok {_cell(m['path'])} {m['sha256']}" for m in p["matched"]]
        out.append("")
    out += ["## Rebuild receipts", ""]
    receipts = _of(record, "receipt.recorded")
    if not receipts:
        out.append("None recorded.")
    for seq, ts, actor, _kind, p in receipts:
        out += [f"### #{seq} rebuild ({_cell(actor)}, {_at(ts)})", ""]
        out += [f"- input {_cell(a['name'])} sha256:{a['sha256']}" for a in p["inputs"]]
        out += [f"- output {_cell(a['name'])} sha256:{a['sha256']}" for a in p["outputs"]]
        out += [f"- check {_cell(c['name'])} = {_cell(c['result'])}" for c in p["checks"]]
        out += [f"- ref {_cell(r)}" for r in p.get("refs", ())]
        out.append("")
    return out
