"""`/incidents`: the board (open first, worst severity first; filters, title search, the closed
view with paging) and `/incidents/new`, the declare form. Reads through `reads.board`, writes
through `forms.submit`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from fireline.domain import SeverityLevel, Status, iso_utc
from fireline.errors import FirelineError
from fireline.reads.board import BoardQuery, board
from fireline.service import Context, Identity
from fireline.web import declaring, filters, forms
from fireline.web.render import page
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=200)]


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def due_text(due: str | None, now: datetime) -> tuple[str, bool]:
    """The next update as text, and whether it is overdue (shown in words, not only red)."""
    if not due:
        return "", False
    left = (filters.parse_ts(due) - now).total_seconds()
    if left < 0:
        return f"overdue by {filters.duration(left)}", True
    return f"in {filters.duration(left)}", False


@router.get("/incidents")
def incident_list(
    request: Request,
    principal: Viewer,
    view: Annotated[str, Query(pattern="^(open|closed)$")] = "open",
    status: Text = "",
    severity: Text = "",
    label: Text = "",
    drill: Annotated[str, Query(pattern="^(|only|hide)$")] = "",
    mine: bool = False,
    q: Text = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    ctx = _ctx(request)
    query = BoardQuery(
        view=view,
        status=status,
        severity=severity,
        label=label,
        drill=drill,
        mine=mine,
        q=q.strip(),
        page=page_number,
        per_page=per_page,
    )
    found = board(ctx, Identity(principal.actor), query)
    now = ctx.clock()
    rows = []
    for row in found["incidents"]:
        text, overdue = due_text(row["next_update_due"], now)
        age = filters.duration((now - filters.parse_ts(row["declared_at"])).total_seconds())
        rows.append({**row, "due_text": text, "overdue": overdue, "age": age})
    statuses = [s.value for s in Status]
    return page(
        request,
        "incidents/list.html",
        title="Closed incidents" if view == "closed" else "Incidents",
        incidents=rows,
        found=found,
        query=query,
        statuses=statuses,
        levels=ctx.settings.ladder.ordered(),
        labels=ctx.settings.labels,
        paging=_paging(request, found),
    )


def _paging(request: Request, found: dict[str, Any]) -> dict[str, str | None]:
    def at(number: int) -> str:
        url = request.url.include_query_params(page=number)
        return f"{url.path}?{url.query}"

    return {
        "previous": at(found["page"] - 1) if found["page"] > 1 else None,
        "next": at(found["page"] + 1) if found["page"] < found["pages"] else None,
    }


def _levels(ctx: Context) -> list[SeverityLevel]:
    return list(ctx.settings.ladder.ordered())


def _form_context(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "levels": _levels(ctx),
        "roster": ctx.settings.roster,
        "labels": ctx.settings.labels,
        "flags": ctx.settings.policy_flags,
        "values": values,
        "block": declaring.declaration_block(values, now=iso_utc(ctx.clock())),
    }


@router.get("/incidents/new")
def declare_form(request: Request, principal: Viewer) -> Response:
    ctx = _ctx(request)
    values = declaring.blank(principal.actor)
    return page(
        request, "incidents/new.html", title="Declare an incident", **_form_context(ctx, values)
    )


@router.post("/incidents/new")
def declare(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    title: Annotated[str, Form(max_length=2000)] = "",
    severity: Annotated[str, Form(max_length=64)] = "",
    impact: Annotated[str, Form(max_length=10_000)] = "",
    systems: Annotated[str, Form(max_length=2000)] = "",
    datasets: Annotated[str, Form(max_length=2000)] = "",
    labels: Annotated[list[str] | None, Form()] = None,
    flags: Annotated[list[str] | None, Form()] = None,
    ic: Annotated[str, Form(max_length=200)] = "",
    drill: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Declare through the writer; a refusal is shown beside the field it is about."""
    ctx = _ctx(request)
    values = {
        "title": title,
        "severity": severity,
        "impact": impact,
        "systems": systems,
        "datasets": datasets,
        "labels": labels or [],
        "flags": flags or [],
        "ic": ic,
        "drill": bool(drill),
    }
    try:
        command = declaring.command(values)
        events = forms.submit(request, principal, command)
    except FirelineError as exc:
        return forms.refused(
            request,
            "incidents/new.html",
            exc,
            field=declaring.field_of(exc),
            title="Declare an incident",
            **_form_context(ctx, values),
        )
    return RedirectResponse(f"/incidents/{events[0].incident_id}", status_code=303)
