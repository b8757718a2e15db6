"""`/switches`: every governed switch's state, and a form to flip one on an incident's record;
the switches panel of the incident room (`room_context`).

Reads go through `fireline.reads.switches` (the holder named only to a viewer who may see
the incident); the flip goes through the server's writer like every page write, the policy
deciding who may, its refusal shown beside the control that caused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from fireline.api.auth import Principal
from fireline.errors import FirelineError
from fireline.service import Identity
from fireline.web import forms
from fireline.web.render import page
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
TEMPLATE = "switches/page.html"
TITLE = "Switches"


def _context(request: Request, principal: Principal, **values: Any) -> dict[str, Any]:
    from fireline.reads import switches

    ctx = request.app.state.context
    listed = switches.list_switches(ctx, principal.actor)["switches"]
    settable = [s for s in listed if s["kind"] == "switch"]
    return {"switches": listed, "settable": settable, "form": values, "errors": {}}


@router.get("/switches")
def switches_page(request: Request, principal: Viewer, incident: str = "") -> Response:
    return page(request, TEMPLATE, title=TITLE, **_context(request, principal, incident=incident))


@router.post("/switches")
def flip(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=200)],
    state: Annotated[str, Form(max_length=32)],
    incident: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=10_000)],
    approver: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    from fireline.commands import SetSwitch
    from fireline.domain import parse_incident_id

    values = {
        "name": name,
        "state": state,
        "incident": incident,
        "reason": reason,
        "approver": approver,
    }
    try:
        command = SetSwitch(
            incident_id=parse_incident_id(incident),
            name=name,
            state=state,
            reason=reason,
            approver=approver or None,
        )
        forms.submit(request, principal, command)
    except FirelineError as exc:
        context = _context(request, principal, **values)
        del context["errors"]
        return forms.refused(request, TEMPLATE, exc, field="reason", title=TITLE, **context)
    return RedirectResponse("/switches", status_code=303)


def room_context(
    request: Request, principal: Principal, incident: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The room's switches panel: what the incident did to switches and datasets, and the
    switches it still holds (a closure gate for `resolved`); hidden when it touched none."""
    from fireline.reads import switches

    ctx = request.app.state.context
    model = switches.on_incident(ctx, Identity(principal.actor), str(incident["id"]))
    if not model["switches"] and not model["datasets"]:
        return None
    return {"touched": model}
