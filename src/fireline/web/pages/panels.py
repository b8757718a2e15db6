"""What the room panels of this package share: the standalone panel page a refused form
comes back to (the panel alone, the policy's reason beside the control, a link back to the
room), so a refusal needs no script and no knowledge of the room's own layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fireline.api.auth import Principal
from fireline.errors import FirelineError, NotFoundError
from fireline.service import Context, Identity
from fireline.web import forms
from fireline.web.render import page
from fireline.web.room import RoomPanel


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def read_incident(request: Request, principal: Principal, incident_id: str) -> Any:
    """The incident as the room reads it (need-to-know, trail, masking)."""
    from fireline.reads.incidents import get_incident

    return get_incident(context_of(request), Identity(principal.actor), incident_id)


def refused_panel(
    request: Request,
    principal: Principal,
    panel: RoomPanel,
    incident_id: str,
    exc: FirelineError,
    *,
    field: str,
    typed: Mapping[str, str] | None = None,
) -> Response:
    """The panel on a page of its own with `exc`'s line beside `field`, at its 4xx status. A
    hidden incident's refusal is raised as it is: the not-found page, like a missing one's."""
    if isinstance(exc, NotFoundError) and str(exc).startswith("no incident "):
        raise exc
    incident = read_incident(request, principal, incident_id)
    variables = dict(panel.context(request, principal, incident) or {})
    variables["typed"] = dict(typed or {})
    status = exc.http_status if 400 <= exc.http_status < 500 else 422
    return page(
        request,
        "panels/page.html",
        title=f"{incident['id']}: {panel.name.replace('_', ' ')}",
        status_code=status,
        errors={field: forms.message_of(exc)},
        incident=incident,
        panel=panel,
        **variables,
    )
