"""The write routes: one per command class, generated from `fireline.wire.ROUTES`.

Each route is thin: read the JSON body (bounded), decode it with the wire codec (strict: an
unknown field, a wrong type, a bad time is one 422 line naming the field), build the command
with the authenticated Principal as the actor (the server never accepts `--as`, and never
sets `asserted_by`), submit it to the process's group-commit writer, and answer 201
`{"events": [...]}` once the batch holding it is durable. Refusals are problem bodies.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from fireline import untrusted_json, wire
from fireline.api import metrics, problems
from fireline.api.auth import Principal, requires
from fireline.commands import Command
from fireline.errors import InvalidCommandError, PolicyDeniedError
from fireline.ledger.chain import Event
from fireline.service import Identity
from fireline.service.writer import Writer


class BodyTooLargeError(InvalidCommandError):
    """A request body past the route's limit."""

    http_status = 413


class EventModel(BaseModel):
    """One sealed event, every column: a client can re-verify the chain from it."""

    incident_id: str
    seq: int
    ts: str
    actor: str
    kind: str
    payload: dict[str, Any] | None
    payload_salt: str | None
    payload_sha256: str | None
    policy: str | None
    prev: str
    hash: str


class Recorded(BaseModel):
    """A write's answer: the events it appended, in order."""

    events: list[EventModel]


# Every write route's refusals, documented as problem bodies.
PROBLEMS = problems.responses(401, 403, 404, 413, 422, 503)


router = APIRouter(tags=["writes"])


def writer_of(request: Request) -> Writer:
    writer: Writer = request.app.state.writer
    return writer


async def record(request: Request, command: Command, principal: Principal) -> JSONResponse:
    """Submit `command` as `principal` and answer once it is durable (or refused)."""
    events = await submit(writer_of(request), command, principal)
    return recorded(events)


async def submit(writer: Writer, command: Command, principal: Principal) -> list[Event]:
    """The command's events, from the group-commit writer; its own refusal raised as is."""
    try:
        events = await asyncio.wrap_future(writer.submit(command, Identity(principal.actor)))
    except PolicyDeniedError:
        metrics.count_denial()
        raise
    for event in events:
        metrics.count_write(event.kind)
    return events


def recorded(events: list[Event]) -> JSONResponse:
    return JSONResponse({"events": [wire.event_to_json(e) for e in events]}, status_code=201)


async def json_body(request: Request, *, limit: int | None = None) -> object:
    """The request's JSON, read up to `limit` bytes (413 past it; the `max_body_size` setting
    unless given — the server's body limit enforces the same number before this reads) and
    decoded within limits."""
    if limit is None:
        limit = int(request.app.state.settings.max_body_bytes)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(f"request body is {int(declared):,} bytes; the limit is {limit:,}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"request body is over the limit of {limit:,} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidCommandError("request body is not UTF-8 JSON") from None
    if not text.strip():
        raise InvalidCommandError("request body is empty; expected a JSON object")
    return untrusted_json.loads(text, source="request body", max_chars=limit)


def _endpoint(route: wire.Route) -> Callable[..., Awaitable[JSONResponse]]:
    async def endpoint(request: Request, principal: Principal, **_path: str) -> JSONResponse:
        body = await json_body(request)
        command = wire.command_from_json(route.command, body, request.path_params)
        return await record(request, command, principal)

    # FastAPI reads the signature: the path parameters (documented as strings; the codec
    # parses them) and the scope the route needs.
    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter(
            "principal",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Principal,
            default=requires(route.scope),
        ),
        *(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str)
            for name in route.path_fields
        ),
    ]
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = route.operation_id
    return endpoint


def _add(route: wire.Route) -> None:
    router.add_api_route(
        route.path,
        _endpoint(route),
        methods=[route.method],
        status_code=201,
        summary=route.summary,
        operation_id=route.operation_id,
        response_model=None,
        responses={201: {"model": Recorded, "description": "Recorded"}, **PROBLEMS},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": wire.body_schema(route)}},
            }
        },
    )


for _route in wire.ROUTES:
    if _route.generated:
        _add(_route)
