"""The export's tree: which file goes where, and the views rendered into it.

One place names every path of the seed's workspace layout, so the writer and the offline
verifier agree on it by construction. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fireline.export import meta, prov, receipts, views
from fireline.export.model import Evidence, Record
from fireline.export.views import Params

EVIDENCE = "10_evidence"
HASHES = f"{EVIDENCE}/hashes.sha256"
EVENTS = "ledger/events.jsonl"
CHECKPOINTS = "ledger/checkpoints.jsonl"
PUBLIC_KEY = "ledger/public_key.pem"
TLOG = "ledger/tlog.json"
# Evidence kinds with a folder of their own; every other kind goes to `other/`.
EVIDENCE_DIRS = {"logs": "logs", "log": "logs", "screenshot": "screenshots", "query": "queries"}
FOLDERS = (
    "00_meta",
    EVIDENCE,
    f"{EVIDENCE}/logs",
    f"{EVIDENCE}/screenshots",
    f"{EVIDENCE}/queries",
    f"{EVIDENCE}/other",
    "20_actions",
    "20_actions/diffs",
    "30_verification",
    "90_postmortem",
    "ledger",
    "prov",
)
VIEW_FILES = (
    "00_meta/incident.yaml",
    "00_meta/timeline.md",
    "20_actions/commands.md",
    "20_actions/rollback.md",
    "30_verification/checks.md",
    "30_verification/metrics.md",
    "90_postmortem/postmortem.md",
    "90_postmortem/postmortem.html",
    "90_postmortem/postmortem-external.md",
    "90_postmortem/postmortem-external.html",
    "90_postmortem/action_items.md",
    "prov/prov.json",
)
# Files the seal covers only indirectly: the checkpoints file holds the seal itself, and the
# hashes file is what the seal signs.
UNHASHED = (HASHES, CHECKPOINTS)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def evidence_path(item: Evidence) -> str:
    """Where an evidence file goes, relative to 10_evidence: `<folder>/<NNN>-<name>`."""
    folder = EVIDENCE_DIRS.get(item.kind, "other")
    name = _UNSAFE.sub("_", item.name or "").strip("._") or f"{(item.sha256 or '')[:12]}.bin"
    return f"{folder}/{item.number:03d}-{name[:120]}"


def is_exportable(item: Evidence, *, masked: bool) -> bool:
    """Files are exported; a masked export withholds binary (unscanned) files it cannot mask."""
    return item.sha256 is not None and (item.scanned or not masked)


def evidence_plan(record: Record, *, masked: bool) -> dict[int, str]:
    """Evidence number → path under 10_evidence, for the files this export carries."""
    return {
        item.number: evidence_path(item)
        for item in record.evidence
        if is_exportable(item, masked=masked)
    }


def render_views(record: Record, params: Params) -> dict[str, bytes]:
    """Every view file of the export, by path: what verify re-renders and compares."""
    paths = evidence_plan(record, masked=params.masked)
    return {
        "00_meta/incident.yaml": meta.incident_yaml(record, params, paths),
        "00_meta/timeline.md": meta.timeline_md(record, params),
        "20_actions/commands.md": views.commands_md(record),
        "20_actions/rollback.md": views.rollback_md(record),
        "30_verification/checks.md": views.checks_md(record),
        "30_verification/metrics.md": views.metrics_md(record),
        **_postmortem_views(record),
        "90_postmortem/action_items.md": views.action_items_md(record),
        "prov/prov.json": prov.prov_json(record),
        **receipts.diff_files(record),
    }


def _postmortem_views(record: Record) -> dict[str, bytes]:
    """The postmortem as drafted and reviewed (`fireline.postmortem.render`), both versions,
    Markdown and HTML; before a draft, the seed outline pre-filled from the record."""
    from fireline.postmortem import render

    internal = render.markdown(record) or views.postmortem_md(record).decode()
    external = render.markdown(record, external=True) or (
        f"# Postmortem — {record.incident_id} (external version)\n\n"
        "_No external version has been drafted._\n"
    )
    return {
        "90_postmortem/postmortem.md": internal.encode(),
        "90_postmortem/postmortem.html": render.html_page_of(internal).encode(),
        "90_postmortem/postmortem-external.md": external.encode(),
        "90_postmortem/postmortem-external.html": render.html_page_of(external).encode(),
    }


def hashes_file(digests: Mapping[str, str]) -> bytes:
    """GNU coreutils `sha256sum` lines, relative to 10_evidence, sorted by path.

    Evidence files appear as `logs/…`; the export's other files as `../…`, so that
    `cd 10_evidence && sha256sum -c hashes.sha256` checks the whole tree.
    """
    lines = []
    for path in sorted(digests, key=relative):
        lines.append(f"{digests[path]}  {relative(path)}\n")
    return "".join(lines).encode()


def relative(path: str) -> str:
    """A tree path as hashes.sha256 names it (relative to 10_evidence)."""
    prefix = f"{EVIDENCE}/"
    return path[len(prefix) :] if path.startswith(prefix) else f"../{path}"


def from_relative(name: str) -> str:
    """Inverse of `relative`."""
    return name[3:] if name.startswith("../") else f"{EVIDENCE}/{name}"
