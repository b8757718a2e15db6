"""`/api/v1/login`, `/api/v1/password` and `/api/v1/tokens*`: passwords in, tokens out.

Login and the password change authenticate by password (under the login throttle), so they
take no token; every token route does. A token is shown once, in the answer that creates it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from fireline import accounts
from fireline.accounts.tokens import TokenView
from fireline.api import problems
from fireline.api.auth import Principal, Reader, Writer, client_address
from fireline.api.writing import context, serialised
from fireline.commands import ChangeTokenExpiry, RevokeToken
from fireline.domain import parse_duration
from fireline.errors import PolicyDeniedError
from fireline.service import Context, execute

router = APIRouter(prefix="/api/v1", tags=["accounts"])
TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="A token id: 12 hex digits.")]
Duration = Annotated[str, Field(min_length=2, max_length=32, examples=["90d", "12h"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Strict):
    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    host: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
        description="Names the token `login-<host>`; the client address when left out.",
    )
    scope: Literal["read", "write", "admin"] = Field(
        default="write",
        description="The token's scope; admin needs the registry role admin.",
    )


class LoginAnswer(BaseModel):
    token: str
    id: str
    expires_at: str
    user: str


class PasswordBody(Strict):
    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class PasswordAnswer(BaseModel):
    user: str
    changed: bool


class TokenBody(Strict):
    name: str = Field(min_length=1, max_length=64)
    scope: Literal["read", "write", "admin"]
    expires_in: Duration | None = Field(default=None, description="Like 90d; token_default_expiry.")
    password: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description="Your password: needed for a token above the scope of the calling credential.",
    )


class ExpiryBody(Strict):
    expires_in: Duration


class TokenAnswer(BaseModel):
    token: str
    id: str
    name: str
    scope: str
    expires_at: str


class TokenRecord(BaseModel):
    id: str
    user: str
    name: str
    scope: str
    created_at: str
    created_by: str
    expires_at: str
    revoked_at: str | None
    last_used_at: str | None
    state: Literal["active", "expired", "revoked"]


class TokenList(BaseModel):
    tokens: list[TokenRecord]


@router.post("/login", responses=problems.responses(401, 403, 422, 429))
def login(body: LoginBody, request: Request) -> LoginAnswer:
    """Exchange a user's password for a fresh token (`login-<host>`), write scope unless the
    body asks for another."""
    ctx = context(request)
    address = client_address(request, ctx.settings)
    issued = serialised(
        lambda: accounts.login(
            ctx,
            body.user,
            body.password,
            address=address,
            host=body.host or address,
            scope=body.scope,
        )
    )
    return LoginAnswer(
        token=issued.text, id=issued.id, expires_at=issued.expires_at, user=issued.user
    )


@router.post("/password", responses=problems.responses(401, 403, 422, 429))
def change_password(body: PasswordBody, request: Request) -> PasswordAnswer:
    """Replace a password, proven by the current one: how a one-time password is replaced."""
    ctx = context(request)
    address = client_address(request, ctx.settings)
    name = serialised(
        lambda: accounts.change_password(
            ctx, body.user, body.password, body.new_password, address=address
        )
    )
    return PasswordAnswer(user=name, changed=True)


def _lifetime(text: str | None, default: timedelta) -> timedelta:
    return default if text is None else parse_duration("expires_in", text)


@router.post("/tokens", status_code=201, responses=problems.responses(401, 403, 404, 422, 429))
def create_token(body: TokenBody, request: Request, principal: Writer) -> TokenAnswer:
    """Make a token for yourself, at most your own credential's scope; shown once."""
    ctx = context(request)
    if not principal.allows(body.scope):
        # Above the caller's scope only on proof of the password (a stolen login token cannot
        # mint itself an admin token); the scope still needs the registry role (the handler).
        if body.password is None:
            raise PolicyDeniedError(
                f"a {principal.scope}-scope credential cannot make a {body.scope}-scope token "
                "without your password (give it as password)"
            )
        address = client_address(request, ctx.settings)
        password = body.password
        serialised(
            lambda: accounts.verify_password(ctx, principal.actor, password, address=address)
        )
    lifetime = _lifetime(body.expires_in, ctx.settings.token_default_expiry)
    issued = serialised(
        lambda: accounts.issue_token(
            ctx,
            principal.actor,
            user=principal.actor,
            name=body.name,
            scope=body.scope,
            expires_in=lifetime,
        )
    )
    return TokenAnswer(
        token=issued.text,
        id=issued.id,
        name=issued.name,
        scope=issued.scope,
        expires_at=issued.expires_at,
    )


def _record(view: TokenView) -> TokenRecord:
    return TokenRecord.model_validate(view.to_json())


@router.get("/tokens", responses=problems.responses(401, 403))
def tokens(request: Request, principal: Reader) -> TokenList:
    """Your tokens (never their text); an admin-scope credential sees everyone's."""
    from fireline.reads import accounts as account_reads

    found = account_reads.tokens(
        context(request), principal.actor, admin_credential=principal.allows("admin")
    )
    return TokenList(tokens=[TokenRecord.model_validate(t) for t in found["tokens"]])


def _own_token(ctx: Context, principal: Principal, token_id: str) -> TokenView:
    """The token, if the caller may manage it: theirs, or anyone's with an admin credential
    (a token of someone else answers like a missing one)."""
    from fireline.reads.accounts import manageable_token

    return manageable_token(
        ctx, principal.actor, token_id, admin_credential=principal.allows("admin")
    )


@router.delete("/tokens/{token_id}", responses=problems.responses(401, 403, 404, 422))
def revoke_token(token_id: TokenId, request: Request, principal: Writer) -> TokenRecord:
    """Revoke a token: from now on it is refused (401)."""
    ctx = context(request)
    _own_token(ctx, principal, token_id)
    serialised(lambda: execute(RevokeToken(token_id=token_id), principal.actor, ctx=ctx))
    return _record(_own_token(ctx, principal, token_id))


@router.patch("/tokens/{token_id}", responses=problems.responses(401, 403, 404, 422))
def change_expiry(
    token_id: TokenId, body: ExpiryBody, request: Request, principal: Writer
) -> TokenRecord:
    """Give a live token a new expiry, counted from now (at most token_max_expiry)."""
    ctx = context(request)
    _own_token(ctx, principal, token_id)
    lifetime = parse_duration("expires_in", body.expires_in)
    command = ChangeTokenExpiry(token_id=token_id, expires_in=lifetime)
    serialised(lambda: execute(command, principal.actor, ctx=ctx))
    return _record(_own_token(ctx, principal, token_id))
