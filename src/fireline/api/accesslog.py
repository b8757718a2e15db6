"""One JSON line per request, a request id in and out, and the request metrics.

A line names the route TEMPLATE, never the raw path or the query string (either may carry an
incident id, a title or a token), and never a header value but the request id, which is only
taken from the client when it is short and plain; otherwise a fresh one is made.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fireline.api import metrics as metrics_module
from fireline.api.metrics import UNMATCHED, Metrics
from fireline.api.routetable import RouteTable

LOGGER = "fireline.access"
REQUEST_ID_HEADER = b"x-request-id"
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_FRAMES = 8  # innermost frames a logged error names


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object; an access record's fields ride in `record.access`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update(access)
        else:
            line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            # The class and where it was raised, never its message: messages quote input.
            line["error"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])[-_FRAMES:]
            line["where"] = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in frames]
        return json.dumps(line, ensure_ascii=True, separators=(",", ":"))


def request_id_from(scope: Scope) -> str:
    """The client's X-Request-Id when well-formed (1–128 of A-Z a-z 0-9 . _ : -), else new."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _REQUEST_ID.fullmatch(value) else _fresh()
    return _fresh()


def _fresh() -> str:
    return uuid.uuid4().hex


def actor_of(scope: Scope) -> str | None:
    """The authenticated actor, which `api.auth` leaves in the request state."""
    state = scope.get("state")
    principal = state.get("principal") if isinstance(state, dict) else None
    actor = getattr(principal, "actor", None)
    return str(actor) if actor is not None else None


class AccessLog:
    """ASGI middleware: request id, one access line and the request metrics per request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, routes: RouteTable) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self.log = logging.getLogger(LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        metrics_module.bind(self.metrics)
        status = 500  # what the client gets if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", ()) if k != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            matched = self.routes.match(scope)
            route = matched.template if matched is not None else UNMATCHED
            method = str(scope.get("method", ""))
            self.metrics.observe_request(route, method, status, seconds)
            fields: dict[str, Any] = {
                "request_id": request_id,
                "method": method if method.isalpha() and len(method) <= 16 else "OTHER",
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            }
            actor = actor_of(scope)
            if actor is not None:
                fields["actor"] = actor
            client = scope.get("client")
            if client:
                fields["client"] = str(client[0])
            self.log.info("request", extra={"access": fields})
