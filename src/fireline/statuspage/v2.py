"""Pure: the status page as Statuspage's public v2 JSON (summary, incidents, components).

Field names and value sets follow Statuspage's public API so existing widgets and monitors can
read it; ids are fireline's (incident ids, component keys, `<incident>-<n>` for updates).
Scheduled maintenances are not modelled: the list is always empty.
"""

from __future__ import annotations

from typing import Any

from fireline.statuspage.model import ComponentState, PublicIncident, StatusPage

PAGE_ID = "fireline"


def _page(page: StatusPage, url: str) -> dict[str, Any]:
    return {
        "id": PAGE_ID,
        "name": page.title,
        "url": url,
        "time_zone": "Etc/UTC",
        "updated_at": page.generated_at,
    }


def _component(state: ComponentState, position: int) -> dict[str, Any]:
    return {
        "id": state.component.key,
        "name": state.component.name,
        "status": state.status,
        "created_at": None,
        "updated_at": None,
        "position": position,
        "description": state.component.description or None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": PAGE_ID,
        "group": False,
        "only_show_if_degraded": False,
    }


def _incident(incident: PublicIncident, url: str) -> dict[str, Any]:
    return {
        "id": incident.id,
        "name": incident.name,
        "status": incident.status,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
        "monitoring_at": incident.monitoring_at,
        "resolved_at": incident.resolved_at,
        "impact": incident.impact,
        "shortlink": f"{url}#{incident.id}",
        "started_at": incident.started_at,
        "page_id": PAGE_ID,
        "incident_updates": [
            {
                "id": f"{incident.id}-{update.number}",
                "status": update.status,
                "body": update.body,
                "incident_id": incident.id,
                "created_at": update.at,
                "updated_at": update.at,
                "display_at": update.at,
                "affected_components": None,
                "deliver_notifications": True,
            }
            for update in incident.updates
        ],
        "components": [{"id": key, "page_id": PAGE_ID} for key in incident.components],
    }


def components(page: StatusPage, url: str) -> dict[str, Any]:
    return {
        "page": _page(page, url),
        "components": [_component(c, n) for n, c in enumerate(page.components, start=1)],
    }


def incidents(page: StatusPage, url: str) -> dict[str, Any]:
    """The 50 most recent public incidents (current and resolved), newest first."""
    return {"page": _page(page, url), "incidents": [_incident(i, url) for i in page.incidents[:50]]}


def summary(page: StatusPage, url: str) -> dict[str, Any]:
    return {
        **components(page, url),
        "incidents": [_incident(i, url) for i in page.incidents if i.current],
        "scheduled_maintenances": [],
        "status": {"indicator": page.indicator, "description": page.description},
    }
