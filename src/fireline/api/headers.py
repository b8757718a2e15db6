"""Security headers on every response, error bodies included.

API responses are data, never a page: `default-src 'none'` and no framing. The web UI's pages
(every path outside the API's) may load only the server's own scripts, styles, images and
event streams: no inline script or style, no other origin. `/docs` (Swagger UI) loads its
script and stylesheet from jsdelivr's CDN and boots from one inline script (and sets inline
styles), so its policy allows exactly those and nothing else.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'none'; "
    "script-src https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src https://cdn.jsdelivr.net 'unsafe-inline'; "
    "img-src https://fastapi.tiangolo.com data:; "
    "connect-src 'self'; "
    "frame-ancestors 'none'"
)
PAGE_CSP = (
    "default-src 'none'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "form-action 'self'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
# The public status page: its own stylesheet, nothing else (no script, no inline style).
STATUS_CSP = (
    "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
API_PREFIXES = ("/api/", "/ofrep/", "/healthz", "/readyz", "/metrics", "/openapi.json")


def is_page(path: str) -> bool:
    """True for a path the web UI answers (a page, its static files, its event streams)."""
    return not path.startswith(API_PREFIXES) and path not in DOCS_PATHS


_FIXED: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_REPLACED = frozenset({name for name, _ in _FIXED} | {b"content-security-policy", b"server"})


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every response to `path` carries."""
    csp = (
        DOCS_CSP
        if path in DOCS_PATHS
        else STATUS_CSP
        if path == "/status"
        else PAGE_CSP
        if is_page(path)
        else API_CSP
    )
    return [*_FIXED, (b"content-security-policy", csp.encode("ascii"))]


class SecurityHeaders:
    """ASGI middleware: set the security headers on each response, replacing any the app set,
    and drop a `Server` header an inner layer may have added."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = security_headers(str(scope.get("path", "")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", ()) if k not in _REPLACED]
                message = {**message, "headers": kept + added}
            await send(message)

        await self.app(scope, receive, send_with_headers)
