"""The incident room's obligations panel (next-update countdown, every deadline and how it
ended) and its one form: record an obligation met, with evidence.

The panel reads the incident's read model as the room gives it (`reads.incidents.get_incident`
carries `next_update_due` and `obligations`), so it adds no read of its own. Countdowns are
text rendered on the server (`in 12m`, `overdue by 4m`), which `fireline.js` keeps ticking;
status is a word, never only a colour.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.requests import Request as StarletteRequest
from starlette.responses import RedirectResponse, Response

from fireline.api.auth import Principal
from fireline.domain import parse_incident_id
from fireline.web.filters import duration, parse_ts
from fireline.web.forms import submit
from fireline.web.room import PANELS, RoomPanel
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)


def countdown(due: str, now: datetime) -> dict[str, Any]:
    """`{"due", "text", "overdue"}` for a template: `in 12m` or `overdue by 4m`."""
    left = (parse_ts(due) - now).total_seconds()
    text = f"in {duration(left)}" if left >= 0 else f"overdue by {duration(left)}"
    return {"due": due, "text": text, "overdue": left < 0}


def panel_context(
    request: StarletteRequest, principal: Principal, incident: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The panel's variables; hidden when the incident has neither a next update nor
    obligations."""
    rows = incident.get("obligations") or []
    due = incident.get("next_update_due")
    if not rows and not due:
        return None
    now = datetime.now(UTC)
    return {
        "next_update": None if due is None else countdown(due, now),
        "obligations": [
            {**row, "countdown": countdown(row["due_at"], now) if row["status"] == "open" else None}
            for row in rows
        ],
    }


PANELS.append(RoomPanel("obligations", "obligations/panel.html", panel_context, order=35))


@router.post("/incidents/{incident_id}/obligations/{name}/meet")
def meet(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    name: str,
    evidence: Annotated[str, Form()] = "",
) -> Response:
    """Record the obligation met as the viewer, then back to the room's panel. A refusal is
    the error page with its 4xx status and one line (a hidden incident's is the not-found
    page, word for word a missing one's)."""
    from fireline.commands import MeetObligation

    wanted = parse_incident_id(incident_id)
    submit(request, principal, MeetObligation(incident_id=wanted, name=name, evidence=evidence))
    return RedirectResponse(f"/incidents/{wanted}#panel-obligations", status_code=303)
