"""Who is calling: every route except health, readiness, metrics and login depends on
`authenticated`, which turns the request's credentials into a Principal or refuses (401).

The server never accepts `--as`: the actor is the authenticated user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from fireline.domain import ActorId
from fireline.errors import AuthenticationError, PolicyDeniedError

Scope = Literal["read", "write", "admin"]
_RANK: dict[str, int] = {"read": 0, "write": 1, "admin": 2}


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
    raise AuthenticationError("authentication required")


def requires(needed: Scope) -> object:
    """A dependency: the authenticated Principal, refused (403) if its scope is below `needed`."""

    def check(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not principal.allows(needed):
            raise PolicyDeniedError(f"this token's scope is {principal.scope}; {needed} is needed")
        return principal

    return Depends(check)


Reader = Annotated[Principal, requires("read")]
Writer = Annotated[Principal, requires("write")]
Admin = Annotated[Principal, requires("admin")]
