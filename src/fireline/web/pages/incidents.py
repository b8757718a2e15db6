"""`/incidents`: the incidents the viewer may see, open ones first, worst severity first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from fireline.service import Identity
from fireline.web.render import page
from fireline.web.session import Viewer

router = APIRouter(include_in_schema=False)


@router.get("/incidents")
def incident_list(request: Request, principal: Viewer) -> Response:
    from fireline.reads import incidents

    ctx = request.app.state.context
    rows = incidents.list_incidents(ctx, Identity(principal.actor))
    return page(request, "incidents/list.html", title="Incidents", incidents=rows)
