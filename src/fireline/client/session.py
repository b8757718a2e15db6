"""Logging in and out of a fireline server: the token a password buys, and giving it back.

`login` trades a user's password for a fresh write-scope token (POST /api/v1/login) and, when
the server says the password must change first (the admin's one-time password), sets the new
one (POST /api/v1/password). `logout` revokes the stored token on the server before it forgets
it, so a logged-out token is dead, not merely mislaid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fireline.client import credentials
from fireline.client.credentials import Credentials
from fireline.client.transport import RemoteError, Server, call, json_body, server_url
from fireline.errors import AuthenticationError, InvalidCommandError, StoreError

LOGIN_PATH = "/api/v1/login"
PASSWORD_PATH = "/api/v1/password"
TOKENS_PATH = "/api/v1/tokens"

# Asks for a new password when the server demands one: returns it (already confirmed).
NewPassword = Callable[[], str]


@dataclass(frozen=True)
class LoggedOut:
    """What `logout` did: the login it removed and whether the server still knew the token."""

    url: str
    revoked: bool


def login(
    url: str, user: str, password: str, *, new_password: NewPassword, scope: str = "write"
) -> Credentials:
    """Log in and return the login to store. AuthenticationError (exit 8) on a wrong user or
    password; a password change the server demands goes through `new_password`."""
    server = Server(server_url(url), None)
    if not user.strip():
        raise InvalidCommandError("give the user to log in as: --user NAME")
    if not password:
        raise InvalidCommandError("an empty password cannot log in")
    try:
        answer = _post(server, LOGIN_PATH, _login_body(user, password, scope))
    except RemoteError as exc:
        if not _must_change(exc):
            raise
        answer = {"must_change": True}
    if answer.get("must_change") is True:
        fresh = new_password()
        if fresh == password:
            raise InvalidCommandError("the new password must differ from the one-time password")
        body = {"user": user, "password": password, "new_password": fresh}
        answer = _post(server, PASSWORD_PATH, body)
        if not isinstance(answer.get("token"), str):  # changed, but no token handed out
            answer = _post(server, LOGIN_PATH, _login_body(user, fresh, scope))
    return _credentials(server, user, answer)


def _login_body(user: str, password: str, scope: str) -> dict[str, str]:
    """The login request; `host` names the token `login-<this machine>` in `token list`
    (left out when the host name is not one the server accepts: it then uses the address)."""
    import re
    import socket

    body = {"user": user, "password": password, "scope": scope}
    host = socket.gethostname().split(".")[0]
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", host):
        body["host"] = host
    return body


def _post(server: Server, path: str, body: dict[str, str]) -> dict[str, Any]:
    response = call(server, "POST", path, json=body, relogin=False)
    answer = json_body(response, server) if response.content else {}
    if not isinstance(answer, dict):
        raise StoreError(f"{server.url} answered {path} with something other than an object")
    return answer


def _must_change(exc: RemoteError) -> bool:
    """A refusal saying the password must be changed before the account may log in."""
    return exc.error in ("PasswordChangeRequired", "PasswordChangeRequiredError")


def _credentials(server: Server, user: str, answer: dict[str, Any]) -> Credentials:
    token = answer.get("token")
    if not isinstance(token, str) or not token:
        raise StoreError(f"{server.url} answered the login without a token")
    expires = answer.get("expires_at")
    token_id = answer.get("id", answer.get("token_id"))
    named = answer.get("user")
    return Credentials(
        url=server.url,
        user=named if isinstance(named, str) and named else user,
        token=token,
        expires_at=expires if isinstance(expires, str) else None,
        token_id=str(token_id) if isinstance(token_id, str | int) else None,
    )


def logout(*, forget: bool = False) -> LoggedOut | None:
    """Revoke the stored token on its server, then delete the stored login; None when there
    is none. A server that cannot be reached keeps the login stored (the token still works),
    unless `forget` says to delete it locally anyway."""
    stored = credentials.load()
    if stored is None:
        return None
    revoked = False
    if not forget:
        revoked = _revoke(stored)
    credentials.remove()
    return LoggedOut(url=stored.url, revoked=revoked)


def _revoke(stored: Credentials) -> bool:
    """True once the server revoked the token; False when it no longer took it anyway."""
    server = Server(server_url(stored.url), stored.token, stored.user)
    path = f"{TOKENS_PATH}/{stored.token_id}" if stored.token_id else f"{TOKENS_PATH}/current"
    try:
        call(server, "DELETE", path)
    except AuthenticationError:
        return False  # expired or already revoked: nothing left to give back
    except StoreError as exc:
        raise StoreError(
            f"{exc.message}; the token is still valid and still stored: try again, or "
            "`fireline logout --forget` to delete it here only"
        ) from None
    return True
