"""`/admin/tokens`: API tokens — make one (its text shown once, on the answer that made it,
never again), list them (never their text), revoke one.

Everyone sees and manages their own; a registry admin signed in through the browser, or
calling with an admin-scope token, sees and revokes everyone's (`reads.accounts`). A token
above the scope of the calling credential (an admin one from a write-scope web session) needs
the password, as the API asks for it: a stolen session cannot mint itself an admin token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from fireline.api.auth import Principal, Scope, client_address
from fireline.api.cookies import session_text
from fireline.errors import FirelineError, InvalidCommandError, PolicyDeniedError
from fireline.web import forms
from fireline.web.pages.admin import context_of, refusal, write_or_refuse
from fireline.web.render import page
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
PATH = "/admin/tokens"
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")


def _admin_credential(request: Request, principal: Principal) -> bool:
    """A browser session counts as an admin credential here (the registry role still decides);
    an API token only when its own scope is admin."""
    return principal.allows("admin") or session_text(request) is not None


def _screen(
    request: Request,
    principal: Principal,
    errors: dict[str, str],
    status: int = 200,
    *,
    created: dict[str, Any] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    from fireline.reads import accounts

    listing = accounts.tokens(
        context_of(request), principal.actor, admin_credential=_admin_credential(request, principal)
    )
    settings = context_of(request).settings
    return page(
        request,
        "admin/tokens.html",
        title="Tokens",
        status_code=status,
        errors=errors,
        tokens=listing["tokens"],
        everyone=listing["everyone"],
        scopes=SCOPES,
        created=created,
        typed=typed or {},
        default_expiry=f"{int(settings.token_default_expiry.total_seconds() // 86400)}d",
    )


@router.get(PATH)
def tokens(request: Request, principal: Viewer) -> Response:
    return _screen(request, principal, {})


@router.post(PATH)
def create_token(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=64)] = "",
    scope: Annotated[str, Form(max_length=16)] = "read",
    expires: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Make a token for yourself; the answer is the only place its text ever appears."""
    from fireline.accounts import verify_password
    from fireline.accounts.verifiers import new_token
    from fireline.commands import CreateToken
    from fireline.domain import parse_duration

    ctx = context_of(request)
    typed = {"name": name, "scope": scope, "expires": expires}

    def again(field: str, exc: FirelineError) -> Response:
        return refusal(
            exc,
            field=field,
            redisplay=lambda errors, status: _screen(
                request, principal, errors, status, typed=typed
            ),
        )

    try:
        if scope not in SCOPES:
            raise InvalidCommandError(f"unknown scope {scope!r}; allowed: {', '.join(SCOPES)}")
        lifetime = (
            parse_duration("expires", expires)
            if expires.strip()
            else ctx.settings.token_default_expiry
        )
    except InvalidCommandError as exc:
        return again("expires" if scope in SCOPES else "scope", exc)
    if not principal.allows(scope):
        if not password:
            return again(
                "password",
                PolicyDeniedError(
                    f"a token of {scope} scope, above this {principal.scope}-scope session, "
                    "needs your password"
                ),
            )
        address = client_address(request, ctx.settings)
        try:
            forms.serialised(
                lambda: verify_password(ctx, principal.actor, password, address=address)
            )
        except FirelineError as exc:
            return again("password", exc)
    token = new_token()
    command = CreateToken(
        user=principal.actor,
        token_id=token.id,
        name=name,
        scope=scope,
        sha256=token.sha256,
        expires_in=lifetime,
    )
    try:
        (event,) = forms.submit(request, principal, command)
    except FirelineError as exc:
        return again("create", exc)
    payload = event.payload or {}
    created = {
        "text": token.text,
        "id": payload["id"],
        "name": payload["name"],
        "scope": payload["scope"],
        "expires_at": payload["expires_at"],
    }
    return _screen(request, principal, {}, 201, created=created)


@router.post(PATH + "/{token_id}/revoke")
def revoke_token(
    request: Request, principal: Viewer, _csrf: CsrfChecked, token_id: str
) -> Response:
    """Revoke a token (yours, or anyone's for an admin): refused from now on, everywhere."""
    from fireline.commands import RevokeToken
    from fireline.reads.accounts import manageable_token

    field = f"token-{token_id}"

    def redisplay(errors: dict[str, str], status: int) -> Response:
        return _screen(request, principal, errors, status)

    try:
        manageable_token(
            context_of(request),
            principal.actor,
            token_id,
            admin_credential=_admin_credential(request, principal),
        )
    except FirelineError as exc:  # not on the screen: no button to put the refusal by
        return refusal(exc, field="page", redisplay=redisplay)
    return write_or_refuse(
        request,
        principal,
        RevokeToken(token_id=token_id),
        field=field,
        redisplay=redisplay,
        done=PATH,
    )
