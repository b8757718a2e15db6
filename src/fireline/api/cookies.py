"""The web session as the API sees it: the cookie's name, and the CSRF token bound to it.

A browser session is an ordinary login token (`accounts`) kept in an HttpOnly, SameSite=Strict
cookie. The API believes that cookie only together with the session's CSRF token in the
`X-CSRF-Token` header (a page's script sends it; another site can neither read the token nor
set the header), so the cookie alone never authorises a call. The token is an HMAC of the
session's secret text: nothing to store, the same on every replica.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import HTTPConnection

SESSION_COOKIE = "fireline_session"
CSRF_HEADER = "x-csrf-token"
_CSRF_MESSAGE = b"fireline web csrf v1"


def session_text(request: HTTPConnection) -> str | None:
    """The session token the browser sent, or None."""
    value = request.cookies.get(SESSION_COOKIE)
    return value or None


def csrf_for(session: str) -> str:
    """The CSRF token of a session: derived from its secret, so it needs no storage."""
    return hmac.new(session.encode(), _CSRF_MESSAGE, hashlib.sha256).hexdigest()[:40]


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def cookie_session(request: HTTPConnection) -> str | None:
    """The session token when the request carries both the cookie and its CSRF header: what
    lets a page's own script (an upload, say) call the API as the signed-in user."""
    session = session_text(request)
    if session is None:
        return None
    if not csrf_matches(csrf_for(session), request.headers.get(CSRF_HEADER)):
        return None
    return session
