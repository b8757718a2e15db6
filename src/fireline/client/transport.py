"""The one HTTP door of client mode: which server, with which token, and how its answers map
back to the local CLI's lines and exit codes.

A problem body (RFC 9457) carries the FirelineError class name and exit code, so a refusal
prints the same `fireline: error: …` line and exits with the same code as in local mode.
Whatever else can go wrong on the way (no server, a bad URL, TLS, a proxy's HTML page, a token
the server no longer takes) is one line too, and nothing is written locally.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from fireline.errors import AuthenticationError, ConfigError, FirelineError, StoreError

if TYPE_CHECKING:
    import httpx

URL_ENV = "FIRELINE_URL"
TOKEN_ENV = "FIRELINE_TOKEN"
TIMEOUT_S = 30.0
PROBLEM_TYPE = "application/problem+json"


E = TypeVar("E", bound=FirelineError)


def own(exc: E) -> E:
    """`exc`, marked as quoting only the user's own settings (a URL): shown unmasked."""
    exc.unmasked = True
    return exc


class RemoteError(FirelineError):
    """A refusal the server answered with: its detail and the exit code it carries."""

    def __init__(
        self, message: str, *, exit_code: int, http_status: int, error: str | None = None
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.http_status = http_status
        self.error = error  # the FirelineError class name the server named, if any


@dataclass(frozen=True)
class Server:
    """A fireline server and the bearer token to call it with (None: unauthenticated).

    `user` is who the stored login belongs to, for the `fireline login` hint after a 401.
    """

    url: str
    token: str | None
    user: str | None = None

    def endpoint(self, path: str) -> str:
        return self.url + path

    def relogin_hint(self) -> str:
        user = f" --user {self.user}" if self.user else ""
        return f"run `fireline login {self.url}{user}` again"


def server_url(text: str) -> str:
    """A server URL as fireline stores and compares it: http(s), a host, no credentials, no
    query or fragment, no trailing slash. ConfigError (one line) otherwise."""
    raw = text.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError as exc:
        raise own(ConfigError(f"bad fireline server URL {raw!r}: {exc}")) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise own(
            ConfigError(f"bad fireline server URL {raw!r}: it must start with http:// or https://")
        )
    if not parts.hostname:
        raise own(ConfigError(f"bad fireline server URL {raw!r}: it names no host"))
    if parts.username is not None or parts.password is not None:
        raise own(
            ConfigError(
                f"bad fireline server URL {parts.scheme}://…@{parts.hostname}: "
                "credentials do not belong in the URL (use `fireline login`)"
            )
        )
    if parts.query or parts.fragment:
        raise own(ConfigError(f"bad fireline server URL {raw!r}: no query or fragment, please"))
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def configured(env: Mapping[str, str] | None = None) -> Server | None:
    """The server this process talks to, or None (local mode).

    FIRELINE_URL and FIRELINE_TOKEN win over the stored login (`fireline login`). With
    FIRELINE_URL set and no FIRELINE_TOKEN, the stored token is used only when it was issued by
    that same server (a token is never sent to another one). FIRELINE_URL set but empty forces
    local mode despite a stored login. FIRELINE_TOKEN without FIRELINE_URL is refused: it would
    otherwise be ignored (local mode) or sent to whichever server the stored login names.
    """
    from fireline.client import credentials

    environ = os.environ if env is None else env
    url = environ.get(URL_ENV)
    token = environ.get(TOKEN_ENV) or None
    if url is not None and not url.strip():
        return None
    if url is None and token is not None:
        raise own(ConfigError(f"{TOKEN_ENV} is set without {URL_ENV}: set {URL_ENV} to its server"))
    if url is not None and token is not None:
        return Server(server_url(url), token)
    stored = credentials.load()
    if url is None:
        if stored is None:
            return None
        stored.check_unexpired()
        return Server(server_url(stored.url), stored.token, stored.user)
    wanted = server_url(url)
    if stored is not None and server_url(stored.url) == wanted:
        stored.check_unexpired()
        return Server(wanted, stored.token, stored.user)
    return Server(wanted, None)


def call(
    server: Server,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    content: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    relogin: bool = True,
) -> httpx.Response:
    """One request; a problem answer becomes RemoteError, an unreachable server StoreError.

    A 401 becomes AuthenticationError (exit 8) telling to log in again, unless `relogin` is
    False (`fireline login` itself, whose 401 is a wrong password).
    """
    _load_httpx()
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
        raise own(
            StoreError(f"cannot reach the fireline server at {server.url}: {_why(exc)}")
        ) from None
    if response.status_code == 401 and relogin:
        what = "no login for it" if server.token is None else "it refused the token"
        raise own(
            AuthenticationError(
                f"not logged in to the fireline server at {server.url} ({what}): "
                + server.relogin_hint()
            )
        )
    if not response.is_success:
        error = refusal(response, server)
        if (
            isinstance(error, RemoteError)
            and error.error == "HTTPError"
            and error.http_status
            in (
                404,
                405,
            )
        ):
            # The route itself is missing (not a missing incident: that is NotFoundError).
            error = own(
                RemoteError(
                    f"the fireline server at {server.url} has no {method} {path.split('?')[0]} "
                    "(is it another fireline version?)",
                    exit_code=error.exit_code,
                    http_status=error.http_status,
                    error=error.error,
                )
            )
        raise error
    return response


def _load_httpx() -> None:
    """Import httpx without its command-line tool: `httpx/__init__` loads `httpx._main`
    (click and rich, a third of its import time) only to offer `httpx.main`, which client
    mode never calls. A None entry makes that one import fail the way httpx expects when the
    tool's extras are missing; it is removed again so a later explicit import still works."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx  # noqa: F401
    finally:
        if sys.modules.get("httpx._main", False) is None:
            del sys.modules["httpx._main"]


def _why(exc: Exception) -> str:
    """The cause of a failed request in a few words: TLS named as such, never a traceback."""
    cause: BaseException | None = exc
    import ssl

    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed ({cause.reason or cause})"
        cause = cause.__cause__ or cause.__context__
    text = re.sub(r"^\[Errno -?\d+\] ", "", " ".join(str(exc).split())) or type(exc).__name__
    if "SSL" in text or "TLS" in text:
        return f"TLS failed ({text})"
    return text


def refusal(response: httpx.Response, server: Server | None = None) -> FirelineError:
    """The FirelineError a non-2xx answer stands for."""
    body = _problem(response)
    status = response.status_code
    if body is not None:
        code = body.get("exit_code")
        error = body.get("error")
        return RemoteError(
            " ".join(body["detail"].split()),
            exit_code=code if isinstance(code, int) and 0 < code < 256 else 1,
            http_status=status,
            error=error if isinstance(error, str) else None,
        )
    where = f" at {server.url}" if server is not None else ""
    if 300 <= status < 400:
        to = response.headers.get("location", "")
        return own(
            ConfigError(
                f"the fireline server{where} answered HTTP {status} (a redirect"
                + (f" to {to}" if to else "")
                + "): use the URL it redirects to"
            )
        )
    phrase = response.reason_phrase or "error"
    message = f"the fireline server{where} answered HTTP {status} ({phrase}) without a problem body"
    if status >= 500:
        return own(StoreError(message))
    return own(RemoteError(message, exit_code=1, http_status=status))


def _problem(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body
    return None


def json_body(response: httpx.Response, server: Server) -> Any:
    """The JSON a 2xx answer carries; StoreError (one line) when it is not JSON at all, as
    when the URL names a web page rather than a fireline server."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise own(
            StoreError(
                f"{server.url} did not answer like a fireline server (HTTP "
                f"{response.status_code}, {kind.split(';')[0]}, not JSON)"
            )
        ) from None
