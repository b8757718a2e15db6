"""`/incidents/{id}`: the incident room — header, timeline (windowed, live over Server-Sent
Events), composers for every write the room offers, checklists, gates, evidence, the verify
badge — and its ledger page. Reads through `reads.room`; writes through `forms.submit`, each
POST answering with a redirect back, or the room again with the refusal beside its form."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response, StreamingResponse

from fireline import commands as c
from fireline.api.auth import Principal
from fireline.domain import ENTRY_KINDS, EVIDENCE_KINDS, IncidentId, parse_incident_id
from fireline.errors import FirelineError, InvalidCommandError, NotFoundError
from fireline.reads import room as reads_room
from fireline.service import Context, Identity
from fireline.web import declaring, forms, updates
from fireline.web.live import HeadWatch
from fireline.web.render import page, render
from fireline.web.room import panels
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
IncidentPath = Annotated[str, Path(max_length=64)]
Line = Annotated[str, Form(max_length=10_000)]
POLL_SECONDS = 0.1  # how often the live streams' heads are read (one query for all of them)
HEARTBEAT_SECONDS = 15.0


def _head_watch(request: Request) -> HeadWatch:
    """The server's one watcher of the followed incidents' heads (made on first use)."""
    state = request.app.state
    if getattr(state, "head_watch", None) is None:
        state.head_watch = HeadWatch(_ctx(request).engine, POLL_SECONDS)
    watch: HeadWatch = state.head_watch
    return watch


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def _incident(text: str) -> IncidentId:
    return parse_incident_id(text)


def room_page(
    request: Request,
    principal: Principal,
    incident_id: IncidentId,
    *,
    after: int | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The room as a page; `errors` and `values` re-show a refused form as it was sent."""
    ctx = _ctx(request)
    model = reads_room.room(ctx, Identity(principal.actor), incident_id, after=after)
    incident = model["incident"]
    now = ctx.clock()
    ladder = ctx.ladder(incident["ladder"])
    entries = model["timeline"]["entries"]
    by_seq = {e["seq"]: e for e in entries}
    extra = []
    for panel in panels():
        variables = panel.context(request, principal, incident)
        if variables is not None:
            extra.append(
                {
                    "name": panel.name,
                    "html": render(request, panel.template, incident=incident, **variables),
                }
            )
    prefill = updates.prefill(incident, entries, ladder, now)
    return page(
        request,
        "room/room.html",
        title=f"{incident['id']} {incident['title']}",
        status_code=status_code,
        r=model,
        incident=incident,
        summary=incident,
        entries=entries,
        by_seq=by_seq,
        levels=ladder.ordered(),
        roster=ctx.settings.roster,
        entry_kinds=ENTRY_KINDS,
        evidence_kinds=EVIDENCE_KINDS,
        prefill={**prefill, **(values or {})},
        seed_update=updates.seed_text(incident, incident.get("latest_update")),
        declaration=declaring.declaration_block(
            {**incident, "ic": incident.get("ic") or ""},
            now=incident["declared_at"],
            roles=incident["current_roles"],
        ),
        panels=extra,
        errors=errors or {},
        values=values or {},
        today=now.date().isoformat(),
        upload_limit=ctx.settings.evidence_max_bytes,
    )


@router.get("/incidents/{incident_id}")
def incident_room(
    request: Request,
    principal: Viewer,
    incident_id: IncidentPath,
    after: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
) -> Response:
    return room_page(request, principal, _incident(incident_id), after=after)


def _write(
    request: Request,
    principal: Principal,
    incident_id: str,
    form: str,
    build: Callable[[IncidentId], c.Command],
    values: dict[str, Any],
) -> Response:
    """Run the command `build` makes; back to the room's `form` panel, or the room again with
    the refusal beside that form (a hidden incident answers like a missing one)."""
    incident = _incident(incident_id)
    try:
        forms.submit(request, principal, build(incident))
    except NotFoundError:
        raise
    except FirelineError as exc:
        status = exc.http_status if 400 <= exc.http_status < 500 else 422
        return room_page(
            request,
            principal,
            incident,
            errors={form: forms.message_of(exc)},
            values=values,
            status_code=status,
        )
    return RedirectResponse(f"/incidents/{incident}#{form}", status_code=303)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _when(text: str, field: str) -> datetime | None:
    """A `datetime-local` value, read as UTC (the form says so)."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidCommandError(f"{field}: not a time like 2026-11-23T14:30") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@router.post("/incidents/{incident_id}/entries")
def log_entry(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    kind: Annotated[str, Form(max_length=32)] = "fact",
    text: Line = "",
    refs: Line = "",
    why: Line = "",
    approver: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    values = {"kind": kind, "text": text, "refs": refs, "why": why, "approver": approver}
    return _write(
        request,
        principal,
        incident_id,
        "composer",
        lambda inc: c.LogEntry(
            incident_id=inc,
            kind=kind,
            text=text,
            refs=_lines(refs.replace(",", "\n")),
            why=why.strip() or None,
            approver=approver.strip() or None,
        ),
        values,
    )


@router.post("/incidents/{incident_id}/updates")
def publish_update(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    status: Annotated[str, Form(max_length=32)] = "",
    impact: Line = "",
    facts: Line = "",
    hypotheses: Line = "",
    actions: Line = "",
    next_steps: Line = "",
    next_update_at: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    values = {
        "status": status,
        "impact": impact,
        "facts": facts,
        "hypotheses": hypotheses,
        "actions": actions,
        "next_steps": next_steps,
        "next_update_at": next_update_at,
    }
    return _write(
        request,
        principal,
        incident_id,
        "update",
        lambda inc: c.PublishUpdate(
            incident_id=inc,
            status=status or None,
            impact=impact,
            facts=_lines(facts),
            hypotheses=_lines(hypotheses),
            actions=_lines(actions),
            next_steps=_lines(next_steps),
            next_update_at=_when(next_update_at, "next_update_at"),
        ),
        values,
    )


@router.post("/incidents/{incident_id}/roles")
def assign_role(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    role: Annotated[str, Form(max_length=64)] = "",
    holder: Annotated[str, Form(max_length=200)] = "",
    release: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    def build(inc: IncidentId) -> c.Command:
        if release:
            return c.ReleaseRole(incident_id=inc, role=role, holder=holder.strip() or None)
        return c.AssignRole(incident_id=inc, role=role, holder=holder.strip())

    return _write(request, principal, incident_id, "roles", build, {"role": role, "holder": holder})


@router.post("/incidents/{incident_id}/severity")
def change_severity(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    severity: Annotated[str, Form(max_length=64)] = "",
    reason: Line = "",
) -> Response:
    return _write(
        request,
        principal,
        incident_id,
        "severity",
        lambda inc: c.ChangeSeverity(incident_id=inc, severity=severity, reason=reason),
        {"severity": severity, "reason": reason},
    )


@router.post("/incidents/{incident_id}/status")
def move_status(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    status: Annotated[str, Form(max_length=32)] = "",
    reason: Line = "",
) -> Response:
    return _write(
        request,
        principal,
        incident_id,
        "status",
        lambda inc: c.Transition(incident_id=inc, status=status, reason=reason),
        {"status": status, "reason": reason},
    )


@router.post("/incidents/{incident_id}/checklist")
def tick_item(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    item: Annotated[str, Form(max_length=200)] = "",
    checked: Annotated[str, Form(max_length=8)] = "1",
    note: Line = "",
) -> Response:
    """One checkbox: check it (or uncheck it) as the viewer, with an optional note."""

    def build(inc: IncidentId) -> c.Command:
        if checked == "1":
            return c.CheckItem(incident_id=inc, items=(item,), note=note)
        return c.UncheckItem(incident_id=inc, items=(item,), note=note)

    return _write(request, principal, incident_id, "checklists", build, {"item": item})


@router.post("/incidents/{incident_id}/corrections")
def correct_entry(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    target_seq: Annotated[int, Form(ge=1, le=2**31 - 1)],
    text: Line = "",
    reason: Line = "",
) -> Response:
    return _write(
        request,
        principal,
        incident_id,
        "timeline",
        lambda inc: c.CorrectEntry(
            incident_id=inc, target_seq=target_seq, text=text, reason=reason
        ),
        {"target_seq": target_seq, "text": text, "reason": reason},
    )


@router.post("/incidents/{incident_id}/postmortem")
def schedule_postmortem(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    owner: Annotated[str, Form(max_length=200)] = "",
    due: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    def build(inc: IncidentId) -> c.Command:
        try:
            when = date.fromisoformat(due.strip())
        except ValueError:
            raise InvalidCommandError(f"due: not a date like 2026-12-01, got {due!r}") from None
        return c.SchedulePostmortem(incident_id=inc, due=when, owner=owner.strip())

    return _write(request, principal, incident_id, "gates", build, {"owner": owner, "due": due})


@router.post("/incidents/{incident_id}/review")
def review_governance(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: IncidentPath,
    outcome: Line = "",
) -> Response:
    """The steward's governance review sign-off, one of the `resolved` gate's needs."""
    return _write(
        request,
        principal,
        incident_id,
        "gates",
        lambda inc: c.ReviewGovernance(incident_id=inc, outcome=outcome),
        {"outcome": outcome},
    )


@router.get("/incidents/{incident_id}/evidence/{number}/download")
def download_evidence(
    request: Request,
    principal: Viewer,
    incident_id: IncidentPath,
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    """The evidence file's bytes (re-hashed, masked without clearance), as a download."""
    from fireline.api.reads import evidence_content

    response = evidence_content(request, principal, incident_id, number)
    response.headers["content-disposition"] = f'attachment; filename="E{number}.bin"'
    return response


@router.get("/incidents/{incident_id}/gates")
def gates_page(
    request: Request,
    principal: Viewer,
    incident_id: IncidentPath,
    fragment: bool = False,
) -> Response:
    """What the closure gates still need: a page of its own, or (`fragment`) the piece the
    room's script puts in its gates panel."""
    ctx = _ctx(request)
    incident = _incident(incident_id)
    model = reads_room.gates(ctx, Identity(principal.actor), incident)
    if fragment:
        html = render(request, "room/_gates.html", g=model, incident_id=incident)
        return Response(html, media_type="text/html; charset=utf-8")
    return page(
        request, "room/gates.html", title=f"{incident} gates", g=model, incident_id=incident
    )


@router.get("/incidents/{incident_id}/verification")
def verification_badge(request: Request, principal: Viewer, incident_id: IncidentPath) -> Response:
    """The verify badge as the piece the room's script puts in its header."""
    ctx = _ctx(request)
    incident = _incident(incident_id)
    badge = reads_room.verification(ctx, Identity(principal.actor), incident)
    html = render(request, "room/_badge.html", badge=badge, incident_id=incident)
    return Response(html, media_type="text/html; charset=utf-8")


@router.get("/incidents/{incident_id}/ledger")
def ledger_page(
    request: Request,
    principal: Viewer,
    incident_id: IncidentPath,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    ctx = _ctx(request)
    incident = _incident(incident_id)
    model = reads_room.ledger(ctx, Identity(principal.actor), incident, after=after)
    return page(
        request,
        "room/ledger.html",
        title=f"{incident} ledger",
        incident_id=incident,
        ledger=model,
        badge=model["badge"],
    )


@router.get("/incidents/{incident_id}/stream")
async def stream(
    request: Request,
    principal: Viewer,
    incident_id: IncidentPath,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """Server-Sent Events: each new timeline entry as `event: entry` with its rendered HTML,
    polled from the store (so a write from the CLI, the API or another replica shows), need-
    to-know checked again before every batch; the stream ends when it no longer holds."""
    ctx = _ctx(request)
    incident = _incident(incident_id)
    follower = await run_in_threadpool(reads_room.follow, ctx, Identity(principal.actor), incident)
    start = (
        int(request.headers.get("last-event-id", "0") or 0)
        if request.headers.get("last-event-id", "").isdigit()
        else after
    )

    watch = _head_watch(request)

    async def events() -> AsyncIterator[str]:
        seen = start
        yield "retry: 1000\n\n"
        async with watch.following(incident):
            while not await request.is_disconnected():
                head = await watch.beyond(incident, seen, HEARTBEAT_SECONDS)
                if head <= seen:
                    yield ": keep-alive\n\n"
                    continue
                try:
                    entries = await run_in_threadpool(follower.poll, seen)
                except NotFoundError:
                    yield "event: gone\ndata: {}\n\n"
                    return
                for entry in entries:
                    html = render(request, "room/_entry.html", e=entry, by_seq={})
                    data = json.dumps(
                        {"seq": entry["seq"], "corrects": entry["corrects_seq"], "html": html}
                    )
                    yield f"id: {entry['seq']}\nevent: entry\ndata: {data}\n\n"
                    seen = entry["seq"]
                if not entries:
                    seen = head

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )
