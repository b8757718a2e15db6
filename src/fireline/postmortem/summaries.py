"""One-line timeline summaries of the postmortem kinds, shared by the projection's timeline
and the export's record so both say the same. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _version(p: Mapping[str, Any]) -> str:
    return "external postmortem" if p.get("external") else "postmortem"


POSTMORTEM_SUMMARIES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "postmortem.drafted": lambda p: (
        f"Postmortem drafted from the record up to event {p['through_seq']} "
        f"(template {p['template']}, {len(p['sections'])} sections)"
    ),
    "postmortem.edited": lambda p: (
        f"{_version(p).capitalize()} section edited: {p['section']}"
        + (" (back to draft)" if p.get("reopened") else "")
    ),
    "postmortem.submitted": lambda p: (
        f"{_version(p).capitalize()} submitted for review by {', '.join(p['reviewers'])}"
    ),
    "postmortem.approved": lambda p: (
        f"{_version(p).capitalize()} approved" + (" (all reviewers)" if p["complete"] else "")
    ),
    "postmortem.published": lambda p: f"{_version(p).capitalize()} published",
    "postmortem.overdue": lambda p: f"Postmortem overdue: it was due {p['due']}",
}
