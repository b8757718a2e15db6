"""The top-level navigation: one entry per feature page, in `order`.

Feature modules add their entry to `NAV` here (one line each), so the base layout needs no
knowledge of who ships what.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavLink:
    """A link in the page header: its label, where it goes, and where it sits."""

    label: str
    href: str
    order: int = 100


NAV: list[NavLink] = [
    NavLink("Incidents", "/incidents", 10),
    NavLink("Declare", "/incidents/new", 20),
    NavLink("Channels", "/channels", 80),
    NavLink("Switches", "/switches", 60),
    NavLink("Metrics", "/reports/metrics", 60),
    NavLink("Drills", "/drills", 65),
]


def links() -> list[NavLink]:
    """The navigation in display order."""
    return sorted(NAV, key=lambda link: (link.order, link.label))
