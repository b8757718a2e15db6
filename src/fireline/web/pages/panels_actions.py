"""The room's action items panel: the incident's follow-up work (number, title, owner, due,
priority, status) and the form that adds one (`AddActionItem`, the fields the command has
the command takes: title, owner, due, priority, and how it will be verified and where it is
tracked). Read from the room's own incident model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from fireline.api.auth import Principal
from fireline.commands import AddActionItem
from fireline.domain import PRIORITIES, parse_day, parse_incident_id
from fireline.errors import FirelineError
from fireline.web import forms
from fireline.web.pages.panels import refused_panel
from fireline.web.room import PANELS, RoomPanel
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)


def panel_context(
    request: Request, principal: Principal, incident: Mapping[str, Any]
) -> Mapping[str, Any]:
    return {"actions": incident.get("action_items", []), "priorities": PRIORITIES, "typed": {}}


PANEL = RoomPanel("actions", "panels/actions.html", panel_context, order=70)
PANELS.append(PANEL)


@router.post("/incidents/{incident_id}/actions")
def add_action_item(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    title: Annotated[str, Form(max_length=2000)] = "",
    owner: Annotated[str, Form(max_length=64)] = "",
    due: Annotated[str, Form(max_length=32)] = "",
    priority: Annotated[str, Form(max_length=8)] = "P2",
    verification: Annotated[str, Form(max_length=2000)] = "",
    tracker: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    wanted = parse_incident_id(incident_id)
    typed = {
        "title": title,
        "owner": owner,
        "due": due,
        "priority": priority,
        "verification": verification,
        "tracker": tracker,
    }
    field = "action"
    try:
        field = "action-due"
        day = parse_day("due", due) if due.strip() else None
        field = "action"
        command = AddActionItem(
            incident_id=wanted,
            title=title,
            owner=owner,
            due=day,
            priority=priority,
            verification=verification.strip() or None,
            tracker=tracker.strip() or None,
        )
        forms.submit(request, principal, command)
    except FirelineError as exc:
        return refused_panel(request, principal, PANEL, wanted, exc, field=field, typed=typed)
    return RedirectResponse(f"/incidents/{wanted}#panel-actions", status_code=303)
