"""The room's runbook panel: the indexed runbooks ranked for this incident (its title,
impact and systems, as `runbook suggest` ranks an alert), each with its confidence, whether it
fits or is low confidence, and why; attaching one pins its bytes and turns its `- [ ]` items
into the incident's checklist (`AttachRunbook`).

Only a runbook the index lists can be attached from a page (`reads.runbooks.indexed_file`):
a form cannot make the server read any other file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from fireline.api.auth import Principal
from fireline.commands import AttachRunbook
from fireline.domain import parse_incident_id
from fireline.errors import FirelineError, NotFoundError
from fireline.web import forms
from fireline.web.pages.panels import context_of, refused_panel
from fireline.web.room import PANELS, RoomPanel
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)


def panel_context(
    request: Request, principal: Principal, incident: Mapping[str, Any]
) -> Mapping[str, Any]:
    from fireline.reads.runbooks import suggestions_for

    found = suggestions_for(context_of(request), incident)
    for suggestion in found["suggestions"]:
        suggestion["key"] = field_key(suggestion["path"])
    return {"runbooks": found, "typed": {}}


def field_key(path: str) -> str:
    """A runbook's control name on the page: its path may hold spaces, which an id and
    `aria-describedby` cannot."""
    import hashlib

    return "runbook-" + hashlib.sha256(path.encode()).hexdigest()[:12]


PANEL = RoomPanel("runbooks", "panels/runbooks.html", panel_context, order=75)
PANELS.append(PANEL)


@router.post("/incidents/{incident_id}/runbooks")
def attach_runbook(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    path: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    from fireline.checklists.locate import read_source
    from fireline.db import read_only
    from fireline.reads.runbooks import indexed_file

    wanted = parse_incident_id(incident_id)
    ctx = context_of(request)
    try:
        with read_only(ctx.engine) as conn:
            found = indexed_file(conn, path)
        if found is None or not found.is_file():
            raise NotFoundError(f"no indexed runbook {path!r}; run `fireline runbook index DIR`")
        source = read_source(found, runbook_dir=ctx.settings.runbook_dir)
        command = AttachRunbook(
            incident_id=wanted,
            path=source.path,
            content=source.content,
            git_commit=source.git_commit,
        )
        forms.submit(request, principal, command)
    except FirelineError as exc:
        return refused_panel(request, principal, PANEL, wanted, exc, field=field_key(path))
    return RedirectResponse(f"/incidents/{wanted}#panel-runbooks", status_code=303)
