"""`/admin/exceptions`, `/admin/reviews`, `/admin/breakglass`: the governance work that spans
incidents — approving gate exceptions, the steward's review sign-off, breakglass grants with
their expiry — each listed through `reads.governance` (need-to-know, access trail) and each
action one command through the writer, its refusal shown beside the button that asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from fireline.api.auth import Principal
from fireline.commands import (
    ApproveGateException,
    GrantBreakglass,
    ReviewGovernance,
    RevokeBreakglass,
)
from fireline.domain import IncidentId, parse_duration, parse_incident_id
from fireline.errors import FirelineError
from fireline.web.pages.admin import context_of, identity, refusal, write_or_refuse
from fireline.web.render import page
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
Redisplay = Callable[[dict[str, str], int], Response]
Text = Annotated[str, Form(max_length=4000)]


def _screen(
    request: Request,
    principal: Principal,
    template: str,
    title: str,
    read: Callable[..., Any],
    **extra: Any,
) -> Redisplay:
    """The screen as a function of its refusals: what a GET shows with none, and what a
    refused POST shows again with the policy's reason beside the control."""

    def show(errors: dict[str, str], status: int) -> Response:
        more = {
            k: v(context_of(request), identity(principal)) if callable(v) else v
            for k, v in extra.items()
        }
        rows = read(context_of(request), identity(principal))
        return page(
            request, template, title=title, status_code=status, errors=errors, rows=rows, **more
        )

    return show


# Gate exceptions ---------------------------------------------------------------------------


def _exceptions(request: Request, principal: Principal) -> Redisplay:
    from fireline.reads.governance import gate_exceptions

    return _screen(request, principal, "admin/exceptions.html", "Gate exceptions", gate_exceptions)


@router.get("/admin/exceptions")
def exceptions(request: Request, principal: Viewer) -> Response:
    return _exceptions(request, principal)({}, 200)


@router.post("/admin/exceptions/{incident_id}/{seq}/approve")
def approve(
    request: Request, principal: Viewer, _csrf: CsrfChecked, incident_id: str, seq: int
) -> Response:
    wanted = parse_incident_id(incident_id)
    return write_or_refuse(
        request,
        principal,
        ApproveGateException(incident_id=wanted, exception_seq=seq),
        field=f"approve-{wanted}-{seq}",
        redisplay=_exceptions(request, principal),
        done="/admin/exceptions",
    )


# Governance reviews ------------------------------------------------------------------------


def _reviews(request: Request, principal: Principal, typed: dict[str, str]) -> Redisplay:
    from fireline.reads.governance import reviews

    return _screen(
        request, principal, "admin/reviews.html", "Governance reviews", reviews, typed=typed
    )


@router.get("/admin/reviews")
def review_list(request: Request, principal: Viewer) -> Response:
    return _reviews(request, principal, {})({}, 200)


@router.post("/admin/reviews/{incident_id}")
def sign_off(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    outcome: Text = "",
) -> Response:
    """The steward's sign-off: the outcome goes on the incident's record."""
    wanted = parse_incident_id(incident_id)
    return write_or_refuse(
        request,
        principal,
        ReviewGovernance(incident_id=wanted, outcome=outcome),
        field=f"review-{wanted}",
        redisplay=_reviews(request, principal, {wanted: outcome}),
        done="/admin/reviews",
    )


# Breakglass --------------------------------------------------------------------------------


def _breakglass(request: Request, principal: Principal, typed: dict[str, str]) -> Redisplay:
    from fireline.reads.governance import breakglass_grants, open_incident_choices

    return _screen(
        request,
        principal,
        "admin/breakglass.html",
        "Breakglass",
        breakglass_grants,
        choices=open_incident_choices,  # read when shown
        typed=typed,
    )


@router.get("/admin/breakglass")
def breakglass(request: Request, principal: Viewer) -> Response:
    return _breakglass(request, principal, {})({}, 200)


@router.post("/admin/breakglass")
def grant(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident: Annotated[str, Form(max_length=64)] = "",
    to: Annotated[str, Form(max_length=64)] = "",
    scope: Annotated[str, Form(max_length=500)] = "",
    why: Text = "",
    expires: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Grant expiring access on one incident (its IC only; at most 7 days)."""
    typed = {"incident": incident, "to": to, "scope": scope, "why": why, "expires": expires}
    show = _breakglass(request, principal, typed)
    try:
        wanted = parse_incident_id(incident)
    except FirelineError as exc:
        return refusal(exc, field="incident", redisplay=show)
    try:
        lifetime = parse_duration("expires", expires)
    except FirelineError as exc:
        return refusal(exc, field="expires", redisplay=show)
    command = GrantBreakglass(
        incident_id=IncidentId(wanted), to=to, scope=scope, why=why, expires_in=lifetime
    )
    return write_or_refuse(
        request, principal, command, field="grant", redisplay=show, done="/admin/breakglass"
    )


@router.post("/admin/breakglass/{incident_id}/{seq}/revoke")
def revoke(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    seq: int,
    reason: Text = "",
) -> Response:
    wanted = parse_incident_id(incident_id)
    return write_or_refuse(
        request,
        principal,
        RevokeBreakglass(incident_id=wanted, grant_seq=seq, reason=reason),
        field=f"revoke-{wanted}-{seq}",
        redisplay=_breakglass(request, principal, {}),
        done="/admin/breakglass",
    )
