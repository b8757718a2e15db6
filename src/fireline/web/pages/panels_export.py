"""The room's export panel: download the incident's workspace export as a zip, the same
export `fireline export --zip` writes and `fireline verify ZIP` checks offline, recorded on
the chain as `export.created` (`reads.export`). Masked unless asked otherwise, and unmasked
only for holders of the `sensitive` clearance (the refusal says so beside the button).

A POST with the session's CSRF token, not a link: the export writes an event, and another
site must not be able to make a signed-in browser write one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from fireline.api.auth import Principal
from fireline.domain import parse_incident_id
from fireline.errors import FirelineError
from fireline.service import Identity
from fireline.web.pages.panels import context_of, refused_panel
from fireline.web.room import PANELS, RoomPanel
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)


def panel_context(
    request: Request, principal: Principal, incident: Mapping[str, Any]
) -> Mapping[str, Any]:
    return {"typed": {}}


PANEL = RoomPanel("export", "panels/export.html", panel_context, order=90)
PANELS.append(PANEL)


@router.post("/incidents/{incident_id}/export")
def export_zip(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    incident_id: str,
    unmasked: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    from fireline.reads import export

    wanted = parse_incident_id(incident_id)
    folder = Path(tempfile.mkdtemp(prefix="fireline-export-"))
    try:
        result = export.export(
            context_of(request),
            Identity(principal.actor),
            wanted,
            out=folder,
            masked=not unmasked,
            archive=True,
        )
    except FirelineError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return refused_panel(request, principal, PANEL, wanted, exc, field="export")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        result.path,
        media_type="application/zip",
        filename=result.path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
