"""A test server: the real app, with `authenticated` answered by an `X-Test-Actor` header.

Only for tests that need a real Uvicorn process before they have real tokens to send; run as
`uvicorn tests.served:app --factory` from the repository root.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

from fireline.api.app import from_environment
from fireline.api.auth import Principal, authenticated
from fireline.domain import ActorId


def app() -> FastAPI:
    served = from_environment()

    def header_principal(request: Request) -> Principal:
        return Principal(ActorId(request.headers.get("x-test-actor", "alice")), "admin")

    served.dependency_overrides[authenticated] = header_principal
    return served
