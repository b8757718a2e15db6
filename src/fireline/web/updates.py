"""The status-update composer's prefill and the seed's update text: facts and hypotheses kept
apart, the next update time from the level's cadence. Pure: the caller passes now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fireline.domain import Ladder


def prefill(
    incident: dict[str, Any], entries: list[dict[str, Any]], ladder: Ladder, now: datetime
) -> dict[str, str]:
    """Field values for a new update: the incident's status and impact, the facts,
    hypotheses and mitigations logged since the last update, and the next update one
    cadence from now (UTC, as a datetime-local value)."""
    latest = incident.get("latest_update")
    since = latest["ts"] if latest else ""
    fresh = [e for e in entries if e["ts"] > since and not e.get("erased_by_seq")]

    def lines(kind: str) -> str:
        return "\n".join(str(e["summary"] or "") for e in fresh if e["kind"] == f"entry.{kind}")

    level = next(
        (lv for lv in ladder.levels if lv.name.upper() == str(incident["severity"]).upper()),
        None,
    )
    cadence = level.update_cadence_minutes if level is not None else None
    due = (now + timedelta(minutes=cadence)) if cadence else None
    return {
        "status": str(incident["status"]),
        "impact": str(incident.get("impact", "")),
        "facts": lines("fact"),
        "hypotheses": lines("hypothesis"),
        "actions": lines("mitigation"),
        "next_steps": "",
        "next_update_at": due.strftime("%Y-%m-%dT%H:%M") if due else "",
        "cadence": str(cadence or ""),
    }


def seed_text(incident: dict[str, Any], update: dict[str, Any] | None) -> str:
    """The latest update in the seed runbook's internal template (000 A2), ready to paste."""
    summary = incident
    if update is None:
        return ""
    body = update.get("body") or {}

    def bullets(name: str) -> str:
        values = body.get(name) or []
        return "\n".join(f"- {v}" for v in values) if values else "- (none)"

    return "\n".join(
        (
            f"[{summary['severity']}] {summary['title']} — Update {update['number']}",
            "",
            f"Time (UTC): {update['ts'][:16].replace('T', ' ')}",
            f"Status: {update['status']}",
            f"Impact: {body.get('impact') or incident.get('impact', '')}",
            "What we know (facts):",
            bullets("facts"),
            "Current hypotheses:",
            bullets("hypotheses"),
            "What we did since last update:",
            bullets("actions"),
            "Next steps (with owners):",
            bullets("next_steps"),
            f"Next update: {(update.get('next_update_at') or 'TBD')[:16].replace('T', ' ')}",
        )
    )
