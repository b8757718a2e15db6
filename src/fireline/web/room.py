"""The incident room's panels: each feature contributes one `RoomPanel` to `PANELS`.

A panel is a template and a function that builds its variables from the request, the viewer
and the incident's read model (`reads.incidents.get_incident`), or returns None to stay hidden
(nothing to show, or not for this viewer). Panels read only through `fireline.reads`; the room
renders them in `order`, each with `incident`, `viewer`, `request` and its own variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from fireline.api.auth import Principal

PanelContext = Callable[[Request, Principal, Mapping[str, Any]], Mapping[str, Any] | None]


@dataclass(frozen=True)
class RoomPanel:
    """One section of the incident room.

    `name` is its id (the HTML anchor `panel-<name>`), `template` a path under
    `web/templates/`, `context(request, principal, incident)` its variables (None hides it),
    `order` its place (lower first; the room's own panels use 10–60).
    """

    name: str
    template: str
    context: PanelContext
    order: int = 100


def _switches(
    request: Request, principal: Principal, incident: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    from fireline.web.pages.switches import room_context

    return room_context(request, principal, incident)


PANELS: list[RoomPanel] = [RoomPanel("switches", "switches/panel.html", _switches, 70)]


def panels() -> list[RoomPanel]:
    """The registered panels in display order."""
    return sorted(PANELS, key=lambda panel: (panel.order, panel.name))
