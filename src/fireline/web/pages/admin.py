"""`/admin`: the governance screens' index, and what those screens share.

The screens themselves are `admin_users` (the registry), `admin_tokens` (API tokens) and
`admin_governance` (gate exceptions, governance reviews, breakglass). None of them decides
who may do what: every write goes through the writer and the policy's refusal is shown next
to the control that caused it; every read goes through `fireline.reads`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from fireline.api.auth import Principal
from fireline.errors import FirelineError
from fireline.service import Context, Identity
from fireline.web import forms
from fireline.web.nav import NAV, NavLink
from fireline.web.render import page
from fireline.web.session import Viewer

router = APIRouter(include_in_schema=False)
NAV.append(NavLink("Admin", "/admin", 90))

# The screens, in the order the index lists them: (path, label, what it is for).
SCREENS = (
    ("/admin/users", "Users", "who may act: registry roles and clearances"),
    ("/admin/tokens", "Tokens", "API tokens: create (shown once), list, revoke"),
    ("/admin/exceptions", "Gate exceptions", "exceptions awaiting the IC's or steward's approval"),
    ("/admin/reviews", "Governance reviews", "flagged incidents awaiting the steward's sign-off"),
    ("/admin/breakglass", "Breakglass", "expiring emergency access: grant and revoke"),
)


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def identity(principal: Principal) -> Identity:
    return Identity(principal.actor)


def back(path: str, anchor: str = "") -> Response:
    """Post/redirect/get: after a write, the screen again (at the row it changed)."""
    return RedirectResponse(path + (f"#{anchor}" if anchor else ""), status_code=303)


def write_or_refuse(
    request: Request,
    principal: Principal,
    command: Any,
    *,
    field: str,
    redisplay: Any,
    done: str,
) -> Response:
    """Submit `command`; on success redirect to `done`; on a refusal show the screen again
    (`redisplay(errors)` → Response) with the policy's reason beside `field`."""
    try:
        forms.submit(request, principal, command)
    except FirelineError as exc:
        return refusal(exc, field=field, redisplay=redisplay)
    return back(done, field)


def refusal(exc: FirelineError, *, field: str, redisplay: Any) -> Response:
    """The screen again with `exc`'s one line beside `field`, at the refusal's 4xx status (a
    hidden incident's refusal is the not-found page, as `forms.refused` does)."""
    from fireline.errors import NotFoundError

    if isinstance(exc, NotFoundError) and str(exc).startswith("no incident "):
        raise exc
    status = exc.http_status if 400 <= exc.http_status < 500 else 422
    response: Response = redisplay({field: forms.message_of(exc)}, status)
    return response


@router.get("/admin")
def admin_index(request: Request, principal: Viewer) -> Response:
    return page(request, "admin/index.html", title="Admin", screens=SCREENS)
