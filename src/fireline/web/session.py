"""Browser sessions: `/login`, `/logout`, who is viewing (`Viewer`), and CSRF (`CsrfChecked`).

A session is an ordinary login token (`accounts.verify_password` + `accounts.issue_token`,
named `web-session`, living `web_session_expiry`) held in an HttpOnly, SameSite=Strict cookie,
Secure over HTTPS or when `web_secure_cookie` is set. Every replica checks it the same way as an
API token (revoked or expired is refused), so nothing is kept in memory; logout revokes it.

CSRF: a signed-in form carries `api.cookies.csrf_for(session)` (an HMAC of the session's
secret); the login form, before any session, a random value also set in its own cookie. Every
POST route depends on `CsrfChecked`, which accepts the token from the `csrf` form field or the
`X-CSRF-Token` header. A page without a session redirects to `/login?next=…`.
"""

from __future__ import annotations

import secrets
from typing import Annotated, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from fireline import accounts
from fireline.accounts.login import WRONG
from fireline.api.auth import Principal, Scope, authenticated, client_address
from fireline.api.cookies import CSRF_HEADER, SESSION_COOKIE, csrf_for, csrf_matches, session_text
from fireline.commands import RevokeToken
from fireline.domain import ActorId
from fireline.errors import (
    AuthenticationError,
    FirelineError,
    InvalidCommandError,
    PolicyDeniedError,
)
from fireline.service import Context
from fireline.web import forms
from fireline.web.render import page

LOGIN_CSRF_COOKIE = "fireline_login_csrf"
SESSION_TOKEN_NAME = "web-session"
router = APIRouter(include_in_schema=False)


class LoginRequiredError(Exception):
    """A page asked for without a usable session: answered with a redirect to the login."""

    def __init__(self, next_path: str, reason: str = "") -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.reason = reason


class CsrfRefusedError(PolicyDeniedError):
    """A form post without the CSRF token of the session (or of the login form)."""


def _context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def safe_next(value: str | None) -> str:
    """Where to go after login: a path on this site only (never `//host` or a URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/incidents"
    if any(not char.isprintable() for char in value):
        return "/incidents"
    return value


def viewer(request: Request) -> Principal:
    """The signed-in user: the session cookie, else an API token or the trusted proxy's
    header (`api.auth`); LoginRequiredError (a redirect to /login) when there is none."""
    ctx = _context(request)
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    session = session_text(request)
    principal: Principal
    if session is not None:
        try:
            token = accounts.tokens.holder(ctx.engine, session, ctx.clock())
        except AuthenticationError:
            raise LoginRequiredError(wanted, "your session has ended; log in again") from None
        principal = Principal(ActorId(token.user), cast(Scope, token.scope), token.id)
    else:
        try:
            principal = authenticated(request)
        except AuthenticationError:
            raise LoginRequiredError(wanted) from None
    request.state.principal = principal  # the access log names the actor
    request.state.viewer = principal
    return principal


Viewer = Annotated[Principal, Depends(viewer)]


def csrf_token(request: Request) -> str:
    """The CSRF token forms on this page must carry: the session's, or the login form's."""
    session = session_text(request)
    if session is not None:
        return csrf_for(session)
    if request.url.path != "/login":
        return ""  # no session and not the login form: nothing here can be posted
    pending: str | None = getattr(request.state, "login_csrf", None)
    if pending is None:
        pending = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        request.state.login_csrf = pending
    return pending


def attach_login_csrf(request: Request, response: Response) -> None:
    """Set the login form's CSRF cookie when a page without a session made one up."""
    pending = getattr(request.state, "login_csrf", None)
    if pending is not None and request.cookies.get(LOGIN_CSRF_COOKIE) != pending:
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            pending,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/login",
        )


async def csrf_checked(request: Request) -> None:
    """Refuse (403) a POST without the right CSRF token, from the form or the header."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf")
        given = value if isinstance(value, str) else None
    session = session_text(request)
    expected = csrf_for(session) if session is not None else request.cookies.get(LOGIN_CSRF_COOKIE)
    if expected is None or not csrf_matches(expected, given):
        raise CsrfRefusedError(
            "this form is out of date or came from another site: reload the page and try again"
        )


CsrfChecked = Annotated[None, Depends(csrf_checked)]


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.web_secure_cookie) or request.url.scheme == "https"


@router.get("/login")
def login_page(request: Request, next: str = "/incidents") -> Response:
    return page(request, "session/login.html", title="Log in", next=safe_next(next), user="")


@router.post("/login")
def login(
    request: Request,
    _csrf: CsrfChecked,
    user: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/incidents",
) -> Response:
    """Check the password (under the login throttle), replace a one-time one when asked, and
    start a session."""
    ctx = _context(request)
    address = client_address(request, ctx.settings)
    target = safe_next(next)

    def again(field: str, message: str, status: int, *, change: bool = False) -> Response:
        return page(
            request,
            "session/login.html",
            title="Log in",
            status_code=status,
            next=target,
            user=user,
            change=change,
            errors={field: message},
        )

    if not user.strip() or not password:
        return again("password", WRONG, 401)
    try:
        name, must_change = forms.serialised(
            lambda: accounts.verify_password(ctx, user, password, address=address)
        )
        if must_change:
            if not new_password:
                return again(
                    "new_password",
                    "this is a one-time password: choose a new one to continue",
                    403,
                    change=True,
                )
            if new_password == password:
                raise InvalidCommandError("the new password must differ from the current one")
            forms.serialised(
                lambda: accounts.change_password(ctx, user, password, new_password, address=address)
            )
        issued = forms.serialised(
            lambda: accounts.issue_token(
                ctx,
                ActorId(name),
                user=name,
                name=SESSION_TOKEN_NAME,
                scope="write",
                expires_in=ctx.settings.web_session_expiry,
            )
        )
    except InvalidCommandError as exc:
        return again("new_password", forms.message_of(exc), exc.http_status, change=True)
    except FirelineError as exc:
        return again("password", forms.message_of(exc), exc.http_status)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.text,
        max_age=int(ctx.settings.web_session_expiry.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/logout")
def logout_page(request: Request, principal: Viewer) -> Response:
    return page(request, "session/logout.html", title="Log out")


@router.post("/logout")
def logout(request: Request, principal: Viewer, _csrf: CsrfChecked) -> Response:
    """Revoke the session's token (it is refused from now on, everywhere) and drop the cookie."""
    if principal.token_id is not None and session_text(request) is not None:
        forms.submit(request, principal, RevokeToken(token_id=principal.token_id))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def login_redirect(request: Request, exc: LoginRequiredError) -> Response:
    """The answer to a page without a session: to the login, coming back here after."""
    response = RedirectResponse(f"/login?next={quote(exc.next_path, safe='')}", status_code=303)
    if session_text(request) is not None:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response
