"""Alert intake routes: deliveries in (Alertmanager, Grafana, PagerDuty Events v2, generic JSON)
and the alert read routes.

A delivery authenticates with its source's secret, not a user token. The route reads the body
(bounded by `intake_max_body_size`), hands it to `intake.delivery` (415, 401, 404, 422: nothing
written), submits one `RecordAlerts` to the group-commit writer as `intake:<source>` and, once
that is durable, routes the groups it changed (`intake.routing`). A body recorded before, or
one that changes no alert, answers success and writes nothing: senders retry. PagerDuty's
route answers 202 `{"status": "success", "dedup_key": …}` as PagerDuty does.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from fireline.api import metrics, problems
from fireline.api.app import context_of
from fireline.api.auth import Reader
from fireline.api.writes import BodyTooLargeError
from fireline.db import read_only
from fireline.domain import system_actor
from fireline.errors import AuthenticationError, InvalidCommandError, NotFoundError
from fireline.intake import delivery, routing, sources
from fireline.ledger.chain import Event
from fireline.reads import alerts as queries
from fireline.reads.sight import DEFAULT_GRID, masked
from fireline.service import Identity
from fireline.service.alerts import AlreadyRecordedError, check_source_name
from fireline.service.writer import Writer

router = APIRouter(prefix="/api/v1", tags=["alerts"])
SourcePath = Annotated[str, PathParam(description="The source's name.", max_length=64)]
PROBLEMS = problems.responses(401, 404, 413, 415, 422, 503)


def health_of(request: Request) -> routing.Health:
    """The process's routing health (for /readyz), made on first use."""
    state = request.app.state
    found = getattr(state, "intake_health", None)
    if found is None:
        found = state.intake_health = routing.Health()
    return found


async def _raw_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(
            f"the delivery is {int(declared):,} bytes; "
            f"the limit is {limit:,} (intake_max_body_size)"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(
                f"the delivery is over the limit of {limit:,} bytes (intake_max_body_size)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _lookup(request: Request, name: str) -> sources.Source:
    """The source, or 401 like a wrong secret: a sender learns nothing of which sources exist."""
    try:
        check_source_name(name)
        with read_only(context_of(request).engine) as conn:
            return sources.get_source(conn, name)
    except (InvalidCommandError, NotFoundError):
        raise AuthenticationError(
            f"no alert source {name[:64]!r} takes deliveries; add it with `fireline source add`"
        ) from None


async def _receive(
    request: Request, name: str
) -> tuple[delivery.Delivery, list[Event], list[Event]]:
    ctx = context_of(request)
    settings = ctx.settings
    raw = await _raw_body(request, settings.intake_max_body_bytes)
    source = await run_in_threadpool(_lookup, request, name)
    headers = dict(request.headers)
    found = await run_in_threadpool(
        lambda: delivery.parse_delivery(source, raw, headers, settings=settings, now=ctx.clock())
    )
    writer: Writer = request.app.state.writer
    identity = Identity(system_actor("intake", source.name))

    async def submit(command: Any, who: Identity) -> list[Event]:
        events = await asyncio.wrap_future(writer.submit(command, who))
        for event in events:
            metrics.count_write(event.kind)
        return events

    try:
        recorded = await submit(found.command, identity)
    except AlreadyRecordedError:
        return found, [], []
    for event in recorded:
        metrics.count_alerts(source.kind, len((event.payload or {}).get("alerts", ())))
    routed: list[Event] = []
    for event in recorded:
        routed += await routing.route_delivery(
            ctx,
            submit,
            source=source.name,
            kind=source.kind,
            event=event,
            health=health_of(request),
            on_undecided=metrics.count_undecided,
        )
    return found, recorded, routed


def _answer(recorded: list[Event], routed: list[Event]) -> dict[str, Any]:
    payload = recorded[0].payload if recorded else None
    groups = [] if payload is None else payload["groups"]
    return {
        "status": "success",
        "recorded": 0 if payload is None else len(payload["alerts"]),
        "event": None if not recorded else recorded[0].seq,
        "groups": [
            {"id": g["id"], "status": g["status"], "previous": g["previous"], "firing": g["firing"]}
            for g in groups
        ],
        "routed": [
            {
                "group": (e.payload or {})["group_id"],
                "action": (e.payload or {})["action"],
                "incident": (e.payload or {})["incident_id"],
            }
            for e in routed
            if e.kind == "alert.routed"
        ],
    }


@router.post(
    "/intake/{source}",
    summary="Receive alerts: an Alertmanager or Grafana webhook, a PagerDuty event or JSON",
    responses={200: {"description": "Recorded (or already recorded)"}, **PROBLEMS},
)
async def receive(request: Request, source: SourcePath) -> JSONResponse:
    found, recorded, routed = await _receive(request, source)
    if found.parsed.dedup_key is not None:
        return _pagerduty_answer(found.parsed.dedup_key)
    return JSONResponse(_answer(recorded, routed))


@router.post(
    "/intake/{source}/v2/enqueue",
    summary="PagerDuty Events API v2, as PagerDuty answers it",
    status_code=202,
    responses={202: {"description": "Event processed"}, **PROBLEMS},
)
async def enqueue(request: Request, source: SourcePath) -> JSONResponse:
    found, _recorded, _routed = await _receive(request, source)
    return _pagerduty_answer(found.parsed.dedup_key or "")


def _pagerduty_answer(dedup_key: str) -> JSONResponse:
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": dedup_key},
        status_code=202,
    )


@router.get("/alerts", summary="Alert groups, firing first")
def list_alerts(
    request: Request,
    principal: Reader,
    firing: Annotated[bool, Query(description="Only groups with a firing alert.")] = False,
    source: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    del principal
    with read_only(context_of(request).engine) as conn:
        rows = queries.list_groups(conn, firing=firing, source=source)
    return JSONResponse(masked(rows, DEFAULT_GRID))


@router.get("/alerts/{group_id}", summary="One alert group: its alerts and latest records")
def show_alert(
    request: Request,
    principal: Reader,
    group_id: Annotated[str, PathParam(max_length=64)],
) -> JSONResponse:
    del principal
    with read_only(context_of(request).engine) as conn:
        group = queries.get_group(conn, group_id)
    return JSONResponse(masked(group, DEFAULT_GRID))


@router.get("/sources", summary="Alert sources (never their secrets)")
def list_sources(request: Request, principal: Reader) -> JSONResponse:
    del principal
    with read_only(context_of(request).engine) as conn:
        rows = queries.list_sources(conn)
    return JSONResponse(rows)


def readiness(request: Request) -> str:
    """The `intake_routing` check of /readyz."""
    return health_of(request).check()


__all__ = ["readiness", "router"]
