"""The timeline lines of the switch and integrity kinds, from their payloads alone.

Pure (no store): the projection's timeline and the export's views (`export/receipts.py`)
word these events the same way from this one table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Payload = Mapping[str, Any]

INTEGRITY_SUMMARIES: dict[str, Callable[[Payload], str]] = {
    "switch.set": lambda p: (
        f"Switch {p['switch']} {p['previous']} → {p['state']}"
        + (f" (approved by {p['approver']})" if p.get("approver") else "")
        + f": {p['reason']}"
    ),
    "switch.handed_over": lambda p: (
        f"Took over switch {p['switch']} ({p['state']}) from {p['from_incident']}: {p['reason']}"
    ),
    "dataset.marked": lambda p: (
        f"Dataset {p['dataset_id']}"
        + (f":{p['version_id']}" if p.get("version_id") else "")
        + f" {p['state']}: {p['reason']}"
    ),
    "manifest.checked": lambda p: (
        f"Manifest {p['manifest']} (sha256 {p['manifest_sha256'][:12]}): "
        f"{len(p['matched'])} matched, {len(p['mismatched'])} mismatched, "
        f"{len(p['missing'])} missing"
    ),
    "receipt.recorded": lambda p: (
        f"Rebuild receipt: {', '.join(a['name'] for a in p['inputs'])} → "
        f"{', '.join(a['name'] for a in p['outputs'])}"
        + (
            f" ({', '.join(c['name'] + '=' + c['result'] for c in p['checks'])})"
            if p["checks"]
            else ""
        )
    ),
    "step.recorded": lambda p: (
        f"Step: {p['title']} ("
        + (f"command {p['command']}" if p.get("command") else f"PR {p['pr']}")
        + ")"
    ),
}
