"""Request body limits: `max_body_size` for every route, a route's own where it declares one —
`@larger_body("evidence_max_bytes")` under the route decorator names the Settings field (the
evidence upload's), or FastAPI's static per-route `max_body_size=`.

Bytes are counted as they stream, so a chunked body or a Content-Length that lies stops at the
first byte past the limit; a declared Content-Length over it is refused before a byte is read.
Either way the answer is a 413 problem body and the route never runs to a write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fireline.api import problems
from fireline.api.routetable import RouteInfo, RouteTable
from fireline.config import Settings
from fireline.domain import format_byte_size


class BodyTooLargeError(HTTPException):
    """Raised from `receive` when the body passes its limit; the problem handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {format_byte_size(limit)}")


_MARK = "__fireline_body_limit__"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def larger_body(setting: str) -> Callable[[Endpoint], Endpoint]:
    """Mark a route's endpoint as taking bodies up to the Settings field `setting` (bytes)."""
    if not isinstance(getattr(Settings, setting, None), int):
        raise TypeError(f"{setting!r} is not a byte-size field of Settings")

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _MARK, setting)
        return endpoint

    return mark


def route_limit(route: RouteInfo | None, settings: Settings) -> int:
    """A route's own limit when it declares one, else the server's `max_body_size`."""
    if route is None:
        return settings.max_body_bytes
    setting = getattr(route.endpoint, _MARK, None)
    if isinstance(setting, str):
        limit = getattr(settings, setting)
        assert isinstance(limit, int)
        return limit
    return route.max_body_size if route.max_body_size is not None else settings.max_body_bytes


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header as a number; None when absent; -1 when malformed."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() and len(text) <= 19 else -1
    return None


class BodyLimit:
    """ASGI middleware enforcing the body limits (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, settings: Settings, routes: RouteTable) -> None:
        self.app = app
        self.settings = settings
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = route_limit(self.routes.match(scope), self.settings)
        declared = declared_length(scope)
        if declared == -1:
            await problems.problem(
                400, "malformed Content-Length header", error="HTTPError", exit_code=2
            )(scope, receive, send)
            return
        if declared is not None and declared > limit:
            await problems.from_http(BodyTooLargeError(limit))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, counted, send)
