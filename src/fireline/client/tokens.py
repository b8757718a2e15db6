"""API tokens in client mode: `fireline token create|list|revoke|expiry` over `/api/v1/tokens`.

The server makes, lists and revokes them (`fireline.api.accounts`); a token's text is shown
once, in the answer that creates it, and never stored here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fireline.client.transport import Server, call, json_body
from fireline.errors import StoreError

TOKENS_PATH = "/api/v1/tokens"


def create_token(
    server: Server, *, name: str, scope: str, expires_in: str | None = None
) -> dict[str, Any]:
    """A new token of the logged-in user's: `{token, id, name, scope, expires_at}`."""
    body: dict[str, Any] = {"name": name, "scope": scope}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return _object(server, call(server, "POST", TOKENS_PATH, json=body))


def list_tokens(server: Server) -> list[dict[str, Any]]:
    """The caller's tokens (everyone's for an admin-scope credential), never their text."""
    answer = _object(server, call(server, "GET", TOKENS_PATH))
    tokens = answer.get("tokens")
    if not isinstance(tokens, list) or not all(isinstance(t, dict) for t in tokens):
        raise StoreError(f"{server.url} answered the token list without its tokens")
    return tokens


def revoke_token(server: Server, token_id: str) -> dict[str, Any]:
    """Revoke a token by id; the record as it now stands."""
    return _object(server, call(server, "DELETE", f"{TOKENS_PATH}/{quote(token_id, safe='')}"))


def change_expiry(server: Server, token_id: str, expires_in: str) -> dict[str, Any]:
    """A new expiry for a live token, counted from now; the record as it now stands."""
    body = {"expires_in": expires_in}
    path = f"{TOKENS_PATH}/{quote(token_id, safe='')}"
    return _object(server, call(server, "PATCH", path, json=body))


def _object(server: Server, response: Any) -> dict[str, Any]:
    body = json_body(response, server)
    if not isinstance(body, dict):
        raise StoreError(f"{server.url} answered {TOKENS_PATH} with something other than an object")
    return body
