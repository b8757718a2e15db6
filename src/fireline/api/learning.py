"""Read routes of the learning half: metrics (JSON, SVG chart) and the drill programme.

Metrics are aggregates naming no incident; the drill routes give ids, kinds and outcomes.
Both need a read token like every other read.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from fireline.api.app import context_of
from fireline.api.auth import Reader
from fireline.db import read_only
from fireline.drills import reads as drill_reads
from fireline.metrics import charts, command, reads, render
from fireline.metrics.compute import Report

router = APIRouter(prefix="/api/v1", tags=["learning"])

Since = Annotated[str | None, Query(description="First day, YYYY-MM-DD (UTC).", max_length=10)]
Until = Annotated[str | None, Query(description="Day after the last, YYYY-MM-DD.", max_length=10)]
By = Annotated[str, Query(description="severity, label or month.", max_length=16)]


def _report(request: Request, since: str | None, until: str | None, by: str) -> Report:
    ctx = context_of(request)
    today = ctx.clock().astimezone(UTC).date()
    return reads.report(ctx, command.parse_query(since, until, by, today=today), today=today)


@router.get("/metrics", summary="Response metrics by severity, label or month (drills excluded)")
def metrics(
    request: Request,
    principal: Reader,
    since: Since = None,
    until: Until = None,
    by: By = "severity",
) -> JSONResponse:
    found = _report(request, since, until, by)
    return JSONResponse(render.document(found))


@router.get("/metrics/chart.svg", summary="The response-time chart as SVG")
def chart(
    request: Request,
    principal: Reader,
    since: Since = None,
    until: Until = None,
    by: By = "severity",
) -> Response:
    found = _report(request, since, until, by)
    return Response(charts.svg(found), media_type="image/svg+xml")


@router.get("/drills", summary="Every drill exercise recorded, with its findings")
def drills(request: Request, principal: Reader) -> JSONResponse:
    with read_only(context_of(request).engine) as conn:
        return JSONResponse(drill_reads.list_done(conn))


@router.get("/drills/plan", summary="The year's drill programme, slot by slot")
def plan(
    request: Request,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> JSONResponse:
    ctx = context_of(request)
    today = ctx.clock().astimezone(UTC).date()
    with read_only(ctx.engine) as conn:
        return JSONResponse(
            drill_reads.programme(conn, ctx.settings, year=year or today.year, today=today)
        )


@router.get("/drills/due", summary="What the drill programme wants done now, and what it missed")
def due(request: Request, principal: Reader) -> JSONResponse:
    ctx = context_of(request)
    today = ctx.clock().astimezone(UTC).date()
    with read_only(ctx.engine) as conn:
        return JSONResponse(drill_reads.due(conn, ctx.settings, today=today))
