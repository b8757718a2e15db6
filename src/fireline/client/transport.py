"""The one HTTP door of client mode: which server, with which token, and how its answers map
back to the local CLI's lines and exit codes.

A problem body (RFC 9457) carries the FirelineError class name and exit code, so a refusal
prints the same `fireline: error: …` line and exits with the same code as in local mode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fireline.errors import FirelineError, StoreError

if TYPE_CHECKING:
    import httpx

URL_ENV = "FIRELINE_URL"
TOKEN_ENV = "FIRELINE_TOKEN"
TIMEOUT_S = 30.0


class RemoteError(FirelineError):
    """A refusal the server answered with: its detail and the exit code it carries."""

    def __init__(self, message: str, *, exit_code: int, http_status: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.http_status = http_status


@dataclass(frozen=True)
class Server:
    """A fireline server and the bearer token to call it with (None: unauthenticated)."""

    url: str
    token: str | None

    def endpoint(self, path: str) -> str:
        return self.url.rstrip("/") + path


def configured() -> Server | None:
    """The server this process talks to: FIRELINE_URL (with FIRELINE_TOKEN), else None
    (local mode)."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return None
    return Server(url, os.environ.get(TOKEN_ENV) or None)


def call(
    server: Server,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """One request; a problem answer becomes RemoteError, an unreachable server StoreError."""
    import httpx

    sent = dict(headers or {})
    if server.token:
        sent["Authorization"] = f"Bearer {server.token}"
    try:
        response = httpx.request(
            method,
            server.endpoint(path),
            json=json,
            params=params,
            content=content,
            headers=sent,
            timeout=TIMEOUT_S,
        )
    except httpx.HTTPError as exc:
        raise StoreError(f"cannot reach the fireline server at {server.url}: {exc}") from None
    if response.is_error:
        raise refusal(response)
    return response


def refusal(response: httpx.Response) -> FirelineError:
    """The FirelineError a non-2xx answer stands for."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        code = body.get("exit_code")
        return RemoteError(
            body["detail"],
            exit_code=code if isinstance(code, int) and 0 < code < 256 else 1,
            http_status=response.status_code,
        )
    return RemoteError(
        f"the fireline server answered HTTP {response.status_code}",
        exit_code=1,
        http_status=response.status_code,
    )
