"""`/reports/metrics` (response metrics with an SVG chart) and `/drills` (the programme, what is
due, what was done, and a form to record a drill's outcome). `/metrics` itself is Prometheus's.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from fireline.errors import FirelineError, NotFoundError
from fireline.metrics.compute import Report
from fireline.web.render import page
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)

Day = Annotated[str | None, Query(max_length=10)]
By = Annotated[str, Query(max_length=16)]


def _today(request: Request) -> date:
    now = request.app.state.context.clock()
    return now.astimezone(UTC).date()  # type: ignore[no-any-return]


def _report(request: Request, since: str | None, until: str | None, by: str) -> Report:
    from fireline.metrics import command, reads

    today = _today(request)
    query = command.parse_query(since or None, until or None, by, today=today)
    return reads.report(request.app.state.context, query, today=today)


@router.get("/reports/metrics")
def metrics_page(
    request: Request, principal: Viewer, since: Day = None, until: Day = None, by: By = "severity"
) -> Response:
    from fireline.metrics.render import DURATION_NAMES, RATE_NAMES, span

    errors: dict[str, str] = {}
    report = None
    try:
        report = _report(request, since, until, by)
    except NotFoundError as exc:
        errors["range"] = exc.message
    except FirelineError as exc:
        errors["query"] = exc.message
    params = {"since": since or "", "until": until or "", "by": by}
    return page(
        request,
        "learning/metrics.html",
        title="Metrics",
        status_code=422 if "query" in errors else 200,
        report=report,
        params=params,
        errors=errors,
        durations=DURATION_NAMES,
        rates=RATE_NAMES,
        span=span,
    )


@router.get("/reports/metrics/chart.svg")
def metrics_chart(
    request: Request, principal: Viewer, since: Day = None, until: Day = None, by: By = "severity"
) -> Response:
    from fireline.metrics.charts import svg

    return Response(svg(_report(request, since, until, by)), media_type="image/svg+xml")


def _drills_page(
    request: Request, principal: Viewer, *, errors: dict[str, str], status_code: int = 200
) -> Response:
    from fireline.db import read_only
    from fireline.drills import reads

    ctx = request.app.state.context
    today = _today(request)
    with read_only(ctx.engine) as conn:
        programme = reads.programme(conn, ctx.settings, year=today.year, today=today)
        due = reads.due(conn, ctx.settings, today=today)
    return page(
        request,
        "learning/drills.html",
        title="Drills",
        status_code=status_code,
        programme=programme,
        due=due,
        errors=errors,
    )


@router.get("/drills")
def drills_page(request: Request, principal: Viewer) -> Response:
    return _drills_page(request, principal, errors={})


@router.post("/drills")
def record_drill(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident: Annotated[str, Form(max_length=64)],
    kind: Annotated[str, Form(max_length=64)],
    outcome: Annotated[str, Form(max_length=5000)],
    findings: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    from fireline.commands import RecordDrill
    from fireline.domain import parse_incident_id
    from fireline.web.forms import message_of, submit

    try:
        command = RecordDrill(
            incident_id=parse_incident_id(incident),
            kind=kind,
            outcome=outcome,
            findings=tuple(line.strip() for line in findings.splitlines() if line.strip()),
        )
        submit(request, principal, command)
    except FirelineError as exc:
        field = "incident" if isinstance(exc, NotFoundError) else "outcome"
        return _drills_page(
            request, principal, errors={field: message_of(exc)}, status_code=exc.http_status
        )
    return RedirectResponse("/drills", status_code=303)
