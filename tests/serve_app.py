"""Test-only launcher: the real app under Uvicorn, as `fireline serve` runs it, on the store
FIRELINE_* names — with one extra: until the accounts lane's token store is on main, a bearer
token given in FIRELINE_TEST_TOKEN authenticates as an admin through FastAPI's
dependency_overrides. No such door exists in the production code.

    python tests/serve_app.py PORT
"""

from __future__ import annotations

import hmac
import sys

import uvicorn
from fastapi import Request

from fireline.api.app import create_app
from fireline.api.auth import Principal, authenticated
from fireline.api.serving import uvicorn_options
from fireline.config import load_settings
from fireline.domain import ActorId
from fireline.errors import AuthenticationError


def main(port: int, token: str) -> None:
    settings = load_settings()
    app = create_app(settings)

    def test_token(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        if not hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
            raise AuthenticationError("authentication required")
        return Principal(ActorId("alice"), "admin", "test-token")

    app.dependency_overrides[authenticated] = test_token
    uvicorn.run(app, host="127.0.0.1", port=port, **uvicorn_options(settings))


if __name__ == "__main__":
    import os

    main(int(sys.argv[1]), os.environ["FIRELINE_TEST_TOKEN"])
