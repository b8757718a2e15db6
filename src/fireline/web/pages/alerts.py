"""`/alerts`: the alert groups the intake recorded, and declaring or attaching from one.

Firing groups first, then resolved ones: counts, first and last seen, suggested runbooks and
the linked incident. A firing group nobody linked yet offers "declare from this alert" (the
viewer declares, credited to them) and "attach to incident" (a detection entry on an open
incident the viewer may write to); either records the link as `alert.routed` by the viewer.
The room of an incident lists its linked groups (the `alerts` panel).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from fireline.api.auth import Principal
from fireline.commands import Declare, LogEntry, RecordRouting
from fireline.domain import IncidentId, parse_incident_id
from fireline.errors import FirelineError, InvalidCommandError
from fireline.web import forms
from fireline.web.nav import NAV, NavLink
from fireline.web.render import page
from fireline.web.room import PANELS, RoomPanel
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
NAV.append(NavLink("Alerts", "/alerts", 30))
TEMPLATE = "alerts/list.html"


def _groups(request: Request) -> list[dict[str, Any]]:
    from fireline.db import read_only
    from fireline.reads import alerts
    from fireline.reads.sight import DEFAULT_GRID, masked

    with read_only(request.app.state.context.engine) as conn:
        rows = masked(alerts.list_groups(conn), DEFAULT_GRID)
    assert isinstance(rows, list)
    return rows


def _group(request: Request, group_id: str) -> dict[str, Any]:
    from fireline.db import read_only
    from fireline.reads import alerts
    from fireline.reads.sight import DEFAULT_GRID, masked

    with read_only(request.app.state.context.engine) as conn:
        found = masked(alerts.get_group(conn, group_id), DEFAULT_GRID)
    assert isinstance(found, dict)
    return found


def _view(request: Request, *, errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    groups = _groups(request)
    ladder = [level.name for level in request.app.state.context.settings.ladder.levels]
    return {
        "firing": [g for g in groups if g["status"] == "firing"],
        "resolved": [g for g in groups if g["status"] != "firing"],
        "severities": ladder,
        "errors": dict(errors or {}),
    }


@router.get("/alerts")
def alert_list(request: Request, principal: Viewer) -> Response:
    del principal
    return page(request, TEMPLATE, title="Alerts", **_view(request))


def _title(group: Mapping[str, Any]) -> tuple[str, str, str]:
    """Title, impact and service of an incident declared from `group`."""
    labels: dict[str, str] = {}
    summary = ""
    for alert in group["alerts"]:
        if alert["status"] == "firing":
            labels = labels or dict(alert["labels"])
            summary = summary or str(alert["annotations"].get("summary", ""))
    labels = labels or dict(group["labels"])
    name, service = labels.get("alertname", ""), labels.get("service", "")
    title = " ".join(p for p in (name, f"on {service}" if service else "") if p) or "alert"
    return title, summary, service


def _refused(request: Request, exc: FirelineError, field: str) -> Response:
    return forms.refused(
        request,
        TEMPLATE,
        exc,
        field=field,
        title="Alerts",
        **{k: v for k, v in _view(request).items() if k != "errors"},
    )


@router.post("/alerts/{group_id}/declare")
def declare_from_alert(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    group_id: str,
    severity: Annotated[str, Form()],
) -> Response:
    group = _group(request, group_id)
    title, summary, service = _title(group)
    field = f"declare-{group['id']}"
    if group["incident_id"] or group["status"] != "firing":
        # Its form is no longer on the page: the refusal goes at the top.
        why = f"linked to {group['incident_id']} already" if group["incident_id"] else "resolved"
        return _refused(request, InvalidCommandError(f"alert group {group['id']} is {why}"), "page")
    try:
        events = forms.submit(
            request,
            principal,
            Declare(
                title=title,
                severity=severity,
                impact=summary,
                systems=(service,) if service else (),
            ),
        )
        incident = events[0].incident_id
        _link(request, principal, group, "declare", incident, severity=severity)
    except FirelineError as exc:
        return _refused(request, exc, field)
    return RedirectResponse(f"/incidents/{incident}", status_code=303)


@router.post("/alerts/{group_id}/attach")
def attach_alert(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    group_id: str,
    incident: Annotated[str, Form()],
) -> Response:
    group = _group(request, group_id)
    title, summary, _service = _title(group)
    field = f"attach-{group['id']}"
    if group["incident_id"]:
        why = InvalidCommandError(f"alert group {group['id']} is linked to {group['incident_id']}")
        return _refused(request, why, "page")
    try:
        incident_id = parse_incident_id(incident.strip())
        text = (
            f"Alert group from {group['source']} attached from the Alerts page: {title}"
            + (f" — {summary}" if summary else "")
            + f" ({group['firing']} firing)"
        )
        forms.submit(
            request,
            principal,
            LogEntry(incident_id=incident_id, kind="detection", text=text[:4000]),
        )
        _link(request, principal, group, "attach", incident_id)
    except FirelineError as exc:
        return _refused(request, exc, field)
    return RedirectResponse("/alerts", status_code=303)


def _link(
    request: Request,
    principal: Principal,
    group: Mapping[str, Any],
    action: str,
    incident: str,
    *,
    severity: str | None = None,
) -> None:
    forms.submit(
        request,
        principal,
        RecordRouting(
            source=group["source"],
            group_id=group["id"],
            status=group["status"],
            action=action,
            reason=f"by {principal.actor} on the Alerts page",
            incident_id=IncidentId(incident),
            severity=severity,
        ),
    )


def _panel(
    request: Request, principal: Principal, incident: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The room's `alerts` panel: the groups linked to the incident (hidden when none)."""
    from fireline.db import read_only
    from fireline.reads import alerts
    from fireline.reads.sight import DEFAULT_GRID, masked

    del principal
    with read_only(request.app.state.context.engine) as conn:
        rows = alerts.list_groups(conn, incident_id=str(incident["id"]))
    if not rows:
        return None
    return {"alert_groups": masked(rows, DEFAULT_GRID)}


PANELS.append(RoomPanel("alerts", "alerts/panel.html", _panel, order=70))
