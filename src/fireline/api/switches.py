"""Switch reads for services: `/api/v1/switches` (ETag, long-poll) and OFREP.

Services obey switches by reading them, so these answers are cheap and standard:
- `GET /api/v1/switches[/{name}]` sends a strong ETag; `If-None-Match` with it answers 304,
  and with `?wait=SECONDS` (at most 30) the request is held until the switch changes (then 200
  with the new state) or the wait ends (304). Changes are noticed by polling the store's
  switch fingerprint every 50 ms (`reads.switches.fingerprint`: one aggregate over the switch
  rows and the freeze record's version), so a flip written by any server process reaches
  every waiting reader on every process within a second.
- OFREP (OpenFeature Remote Evaluation Protocol): `POST /ofrep/v1/evaluate/flags/{key}` and
  the bulk `POST /ofrep/v1/evaluate/flags` (ETag, 304), so any OpenFeature SDK's OFREP
  provider reads switches as flags. Failures answer in OFREP's own shape (`errorCode`).
Every route authenticates (a read-scope token is enough).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from fireline.api import problems
from fireline.api.app import context_of
from fireline.api.auth import Reader
from fireline.api.openapi import OWN_SHAPE
from fireline.errors import NotFoundError
from fireline.reads import Model
from fireline.reads import switches as reads

router = APIRouter(tags=["switches"])
POLL_SECONDS = 0.05
MAX_WAIT = 30
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the state has the ETag sent"}
}

NamePath = Annotated[
    str, PathParam(description="A switch name, or quarantine:ID:VERSION.", max_length=200)
]
IncidentPath = Annotated[
    str, PathParam(description="An incident id like INC-20261123-001.", max_length=64)
]
WaitQuery = Annotated[
    float,
    Query(ge=0, le=MAX_WAIT, description="With If-None-Match: hold until changed (seconds)."),
]
IfNoneMatch = Annotated[str | None, Header(description="An ETag from an earlier answer.")]


def _matches(header: str | None, tag: str) -> bool:
    if header is None:
        return False
    sent = {part.strip().removeprefix("W/") for part in header.split(",")}
    return tag in sent or "*" in sent


async def _answer(
    request: Request, read: Callable[[], Model], if_none_match: str | None, wait: float
) -> Response:
    """200 with the model and its ETag, or 304 while it still has the ETag sent (held up to
    `wait` seconds, re-read whenever the store's switch fingerprint moves)."""
    ctx = context_of(request)
    # The fingerprint is taken before the read, so a flip committed between the two still
    # moves it and wakes the wait below (taken after, that flip would be missed until `wait`).
    seen = await run_in_threadpool(reads.fingerprint, ctx) if wait > 0 else None
    model = await run_in_threadpool(read)
    tag = reads.etag(model)
    if _matches(if_none_match, tag) and wait > 0:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            now = await run_in_threadpool(reads.fingerprint, ctx)
            if now == seen:
                continue
            seen = now
            model = await run_in_threadpool(read)
            tag = reads.etag(model)
            if not _matches(if_none_match, tag):
                break
    if _matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return JSONResponse(model, headers={"ETag": tag, "Cache-Control": "no-cache"})


@router.get(
    "/api/v1/switches",
    summary="Every governed switch's state (ETag; long-poll with If-None-Match and ?wait=)",
    responses={**NOT_MODIFIED, **problems.responses(401, 403)},
)
async def list_switches(
    request: Request,
    principal: Reader,
    wait: WaitQuery = 0,
    if_none_match: IfNoneMatch = None,
) -> Response:
    ctx = context_of(request)
    return await _answer(
        request, lambda: reads.list_switches(ctx, principal.actor), if_none_match, wait
    )


@router.get(
    "/api/v1/switches/{name}",
    summary="One switch's state (ETag; long-poll with If-None-Match and ?wait=)",
    responses={**NOT_MODIFIED, **problems.responses(401, 403, 404)},
)
async def get_switch(
    request: Request,
    principal: Reader,
    name: NamePath,
    wait: WaitQuery = 0,
    if_none_match: IfNoneMatch = None,
) -> Response:
    ctx = context_of(request)
    return await _answer(
        request, lambda: reads.get_switch(ctx, principal.actor, name), if_none_match, wait
    )


# -- OFREP ----------------------------------------------------------------------------------

# OFREP's failure members on fireline's problem body: an OFREP provider reads `errorCode`,
# everything else reads the problem (RFC 9457) like every other refusal.
_OFREP_FAILURE = {
    **problems.Problem.model_json_schema(),
    "properties": {
        **problems.Problem.model_json_schema()["properties"],
        "key": {"type": "string"},
        "errorCode": {"type": "string"},
        "errorDetails": {"type": "string"},
    },
}
_OFREP_FAILURE["required"] = [*_OFREP_FAILURE.get("required", []), "errorCode"]
OFREP_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Bad evaluation request",
        "content": {problems.PROBLEM_TYPE: {"schema": _OFREP_FAILURE}},
        OWN_SHAPE: True,
    },
    404: {
        "description": "Flag not found",
        "content": {problems.PROBLEM_TYPE: {"schema": _OFREP_FAILURE}},
        OWN_SHAPE: True,
    },
    **problems.responses(401, 403),
}


async def _ofrep_context(request: Request) -> str | None:
    """None if the body is absent or `{"context": {...}}`; else the OFREP error detail."""
    body = await request.body()
    if not body.strip():
        return None
    from fireline.errors import InvalidCommandError
    from fireline.untrusted_json import loads

    try:
        data = loads(body.decode("utf-8", "replace"), source="the OFREP request body")
    except InvalidCommandError as exc:
        return exc.message
    if not isinstance(data, dict) or not isinstance(data.get("context", {}), dict):
        return 'expected {"context": {...}}'
    return None


def _ofrep_failure(status: int, code: str, detail: str, key: str | None) -> Response:
    """A problem body (as every refusal) that also carries OFREP's `errorCode` members."""
    import json

    from fireline.errors import InvalidCommandError, NotFoundError

    error = NotFoundError if status == 404 else InvalidCommandError
    answer = problems.problem(status, detail, error=error.__name__, exit_code=error.exit_code)
    body = json.loads(bytes(answer.body))
    body.update({"errorCode": code, "errorDetails": body["detail"]})
    if key is not None:
        body["key"] = key
    return JSONResponse(body, status_code=status, media_type=problems.PROBLEM_TYPE)


@router.post(
    "/ofrep/v1/evaluate/flags/{key}",
    summary="OFREP: evaluate one switch as a flag",
    responses=OFREP_RESPONSES,
)
async def ofrep_flag(request: Request, principal: Reader, key: NamePath) -> Response:
    problem = await _ofrep_context(request)
    if problem is not None:
        return _ofrep_failure(400, "PARSE_ERROR", problem, key)
    ctx = context_of(request)
    try:
        model = await run_in_threadpool(reads.get_switch, ctx, principal.actor, key)
    except NotFoundError as exc:
        return _ofrep_failure(404, "FLAG_NOT_FOUND", exc.message, key)
    return JSONResponse({**reads.ofrep_value(model), "cacheable": False})


@router.post(
    "/ofrep/v1/evaluate/flags",
    summary="OFREP: evaluate every switch as a flag (ETag, If-None-Match)",
    responses={**NOT_MODIFIED, **OFREP_RESPONSES},
)
async def ofrep_flags(
    request: Request, principal: Reader, if_none_match: IfNoneMatch = None
) -> Response:
    problem = await _ofrep_context(request)
    if problem is not None:
        return _ofrep_failure(400, "PARSE_ERROR", problem, None)
    ctx = context_of(request)

    def read() -> Model:
        listed = reads.list_switches(ctx, principal.actor)
        return {"flags": [reads.ofrep_value(m) for m in listed["switches"]]}

    return await _answer(request, read, if_none_match, 0)


@router.get(
    "/api/v1/incidents/{incident_id}/switches",
    summary="The switches and datasets one incident touched, and the switches it holds",
    responses=problems.responses(401, 403, 404),
)
def incident_switches(request: Request, principal: Reader, incident_id: IncidentPath) -> Model:
    from fireline.domain import parse_incident_id
    from fireline.service.identity import Identity

    return JSONResponse(
        reads.on_incident(
            context_of(request), Identity(principal.actor), parse_incident_id(incident_id)
        )
    )
