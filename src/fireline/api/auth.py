"""Who is calling: every route except health, readiness, metrics and login depends on
`authenticated`, which turns the request's credentials into a Principal or refuses (401).

Credentials, in order: `Authorization: Bearer fl_…` (an API token, looked up by its SHA-256
and compared in constant time), else the web session cookie together with its CSRF header
(`api.cookies`: a page's own script calling the API), else the trusted reverse proxy's
`auth_proxy_header`, believed
only when the peer address is in `trusted_proxies` and naming a registered user (scope write:
an admin operation needs an admin token). Nothing else: the server never accepts `--as`, the
actor is the authenticated user. A refusal writes nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, cast

from fastapi import Depends, Request

from fireline import governance
from fireline.accounts.tokens import holder
from fireline.api.cookies import cookie_session
from fireline.config import IPNetwork, Settings
from fireline.db import read_only
from fireline.domain import ActorId, parse_actor
from fireline.errors import AuthenticationError, InvalidCommandError, PolicyDeniedError
from fireline.service.context import Context

Scope = Literal["read", "write", "admin"]
_RANK: dict[str, int] = {"read": 0, "write": 1, "admin": 2}
PROXY_SCOPE: Scope = "write"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the user they are and what their credential allows."""

    actor: ActorId
    scope: Scope
    token_id: str | None = None  # None when the caller came through the trusted proxy

    def allows(self, needed: Scope) -> bool:
        return _RANK[self.scope] >= _RANK[needed]


def authenticated(request: Request) -> Principal:
    """The caller's Principal from `Authorization: Bearer <token>` (or the trusted proxy
    header); AuthenticationError (401) when there is none that is valid."""
    ctx: Context = request.app.state.context
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise AuthenticationError("send the token as Authorization: Bearer <token>")
        token = holder(ctx.engine, credentials.strip(), ctx.clock())
        return Principal(ActorId(token.user), cast(Scope, token.scope), token.id)
    session = cookie_session(request)
    if session is not None:
        token = holder(ctx.engine, session, ctx.clock())
        return Principal(ActorId(token.user), cast(Scope, token.scope), token.id)
    proxied = proxy_user(request, ctx.settings)
    if proxied is not None:
        return _proxy_principal(ctx, proxied)
    raise AuthenticationError("authentication required: send Authorization: Bearer <token>")


def _proxy_principal(ctx: Context, name: str) -> Principal:
    try:
        actor = parse_actor(name)
    except InvalidCommandError:
        raise AuthenticationError("the proxy's user is not a registered fireline user") from None
    with read_only(ctx.engine) as conn:
        if governance.get_user(conn, actor) is None:
            raise AuthenticationError("the proxy's user is not a registered fireline user")
    return Principal(actor, PROXY_SCOPE)


def proxy_user(request: Request, settings: Settings) -> str | None:
    """The user the trusted proxy names, or None: no header configured, none sent, or a peer
    that is not a trusted proxy (then the header is ignored: anyone can send it)."""
    if settings.auth_proxy_header is None:
        return None
    value = request.headers.get(settings.auth_proxy_header)
    if value is None or not _trusted(peer_address(request), settings.trusted_proxies):
        return None
    return value.strip()


def peer_address(request: Request) -> str:
    return request.client.host if request.client is not None else ""


def client_address(request: Request, settings: Settings) -> str:
    """The address a request came from: the peer, or behind trusted proxies the right-most
    X-Forwarded-For hop that is not one of them (hops left of it are the client's to forge)."""
    peer = peer_address(request)
    if not _trusted(peer, settings.trusted_proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, settings.trusted_proxies):
            return hop
    return peer


def _trusted(address: str, networks: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def requires(needed: Scope) -> object:
    """A dependency: the authenticated Principal, refused (403) if its scope is below `needed`."""

    def check(
        request: Request, principal: Annotated[Principal, Depends(authenticated)]
    ) -> Principal:
        request.state.principal = principal  # the access log names the actor
        if not principal.allows(needed):
            raise PolicyDeniedError(f"this token's scope is {principal.scope}; {needed} is needed")
        return principal

    return Depends(check)


Reader = Annotated[Principal, requires("read")]
Writer = Annotated[Principal, requires("write")]
Admin = Annotated[Principal, requires("admin")]
