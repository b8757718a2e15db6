"""`/postmortems`, the postmortem editor `/incidents/{id}/postmortem` and the action-items
board `/actions`.

The editor shows each section beside its rendered preview; typing asks the server-rendered
preview endpoint (`POST …/postmortem/preview`, the same markdown-it rendering as the export)
from `static/postmortem.js`, no inline script; without JavaScript the Preview button posts
the form there and gets the page back with the preview filled. Every read goes through
`fireline.reads.postmortems`, every write through `forms.submit`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse, RedirectResponse, Response

from fireline.api.auth import Principal
from fireline.commands import (
    ApprovePostmortem,
    Command,
    DraftPostmortem,
    EditPostmortem,
    PublishPostmortem,
    SubmitPostmortem,
)
from fireline.domain import parse_incident_id
from fireline.errors import FirelineError, NotFoundError
from fireline.postmortem.templates import TEMPLATES
from fireline.service import Identity
from fireline.web import filters, forms
from fireline.web.nav import NAV, NavLink
from fireline.web.render import page
from fireline.web.room import PANELS, RoomPanel
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
NAV.extend([NavLink("Postmortems", "/postmortems", 60), NavLink("Actions", "/actions", 61)])
TEXT_LIMIT = 100_000
EDITOR = "postmortems/editor.html"


def rendered(text: str) -> Markup:
    """Markdown as the export renders it (raw HTML off), invisible characters escaped."""
    from fireline.postmortem.render import markdown_html

    return Markup(filters.visible(markdown_html(text)))


def _version(value: str) -> bool:
    return value == "external"


def _model(request: Request, principal: Viewer, incident_id: str, external: bool) -> Any:
    from fireline.reads import postmortems

    ctx = request.app.state.context
    return postmortems.postmortem(
        ctx, Identity(principal.actor), parse_incident_id(incident_id), external=external
    )


def _editor(
    request: Request,
    principal: Viewer,
    incident_id: str,
    external: bool,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    preview: tuple[str, str] | None = None,
) -> HTMLResponse:
    model = _model(request, principal, incident_id, external)
    shown = [
        {
            **section,
            "html": rendered(
                preview[1]
                if preview is not None and preview[0] == section["name"]
                else section["text"]
            ),
            "draft_text": preview[1]
            if preview is not None and preview[0] == section["name"]
            else section["text"],
        }
        for section in model["sections"]
    ]
    placed = {s["name"] for s in shown} | {"template", "review"}
    errors = errors or {}
    return page(
        request,
        EDITOR,
        unplaced=[message for field, message in errors.items() if field not in placed],
        title=f"Postmortem · {model['incident_id']}",
        status_code=status_code,
        pm=model,
        sections=shown,
        templates=list(TEMPLATES),
        version="external" if external else "internal",
        errors=errors,
    )


@router.get("/incidents/{incident_id}/postmortem")
def editor(request: Request, principal: Viewer, incident_id: str, version: str = "") -> Response:
    return _editor(request, principal, incident_id, _version(version))


def _write(
    request: Request,
    principal: Viewer,
    incident_id: str,
    command: Command,
    *,
    external: bool,
    field: str,
) -> Response:
    try:
        forms.submit(request, principal, command)
    except FirelineError as exc:
        # `forms.refused`'s pattern, with the editor's own context around the refusal.
        if isinstance(exc, NotFoundError):
            raise  # the not-found page: a hidden incident answers like a missing one
        status = exc.http_status if 400 <= exc.http_status < 500 else 422
        return _editor(
            request,
            principal,
            incident_id,
            external,
            status_code=status,
            errors={field: forms.message_of(exc)},
        )
    suffix = "?version=external" if external else ""
    return RedirectResponse(f"/incidents/{incident_id}/postmortem{suffix}", status_code=303)


@router.post("/incidents/{incident_id}/postmortem/draft")
def draft(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    template: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    command = DraftPostmortem(incident_id=parse_incident_id(incident_id), template=template)
    return _write(request, principal, incident_id, command, external=False, field="template")


@router.post("/incidents/{incident_id}/postmortem/sections")
def edit(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    section: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    version: Annotated[str, Form(max_length=16)] = "internal",
    preview: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    external = _version(version)
    if preview:  # the no-script Preview button: nothing is written
        return _editor(request, principal, incident_id, external, preview=(section, text))
    command = EditPostmortem(
        incident_id=parse_incident_id(incident_id), section=section, text=text, external=external
    )
    return _write(request, principal, incident_id, command, external=external, field=section)


@router.post("/incidents/{incident_id}/postmortem/preview")
def preview(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    text: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
) -> Response:
    """The preview fragment for the text being typed, redacted as a write would store it; a
    hidden incident answers like a missing one (the read goes through need-to-know)."""
    _model(request, principal, incident_id, external=False)
    ctx = request.app.state.context
    clean = ctx.redactor.redact(text).text
    return HTMLResponse(str(rendered(clean)))


@router.post("/incidents/{incident_id}/postmortem/review")
def review(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    step: Annotated[str, Form(max_length=16)] = "",
    reviewers: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[str, Form(max_length=16)] = "internal",
) -> Response:
    external = _version(version)
    inc = parse_incident_id(incident_id)
    commands: dict[str, Command] = {
        "submit": SubmitPostmortem(
            incident_id=inc,
            reviewers=tuple(r.strip() for r in reviewers.split(",") if r.strip()),
            external=external,
        ),
        "approve": ApprovePostmortem(incident_id=inc, external=external),
        "publish": PublishPostmortem(incident_id=inc, external=external),
    }
    if step not in commands:
        return _editor(
            request,
            principal,
            incident_id,
            external,
            status_code=422,
            errors={"review": f"unknown review step {step!r}; one of submit, approve, publish"},
        )
    return _write(
        request, principal, incident_id, commands[step], external=external, field="review"
    )


@router.get("/postmortems")
def postmortem_list(request: Request, principal: Viewer, overdue: str = "") -> Response:
    from fireline.reads import postmortems

    ctx = request.app.state.context
    rows = postmortems.list_postmortems(ctx, Identity(principal.actor), overdue_only=bool(overdue))
    return page(
        request, "postmortems/list.html", title="Postmortems", rows=rows, overdue=bool(overdue)
    )


@router.get("/actions")
def action_board(
    request: Request, principal: Viewer, owner: str = "", overdue: str = ""
) -> Response:
    from fireline.domain import parse_actor
    from fireline.reads import postmortems

    ctx = request.app.state.context
    who = parse_actor(owner) if owner.strip() else None
    items = postmortems.list_actions(
        ctx, Identity(principal.actor), owner=who, overdue_only=bool(overdue)
    )
    columns = {
        state: [i for i in items if i["status"] == state] for state in ("open", "done", "verified")
    }
    return page(
        request,
        "postmortems/actions.html",
        title="Action items",
        columns=columns,
        owner=owner,
        overdue=bool(overdue),
    )


def _room_panel(request: Request, principal: Principal, incident: Mapping[str, Any]) -> Any:
    """The room's postmortem panel: its state, due date and a link to the editor."""
    from fireline.reads import postmortems

    ctx = request.app.state.context
    return {"pm": postmortems.postmortem_status(ctx, Identity(principal.actor), incident["id"])}


PANELS.append(RoomPanel("postmortem", "postmortems/panel.html", _room_panel, order=80))
