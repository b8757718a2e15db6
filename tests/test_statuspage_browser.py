"""The public status page in a real Chromium against a real server process: no login, no CSP
violation, axe-clean, and no restricted or internal text in its HTML, feed or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fireline.commands import Declare, PublishUpdate
from fireline.domain import IncidentId
from fireline.service import Context
from tests.browser import axe, chromium, screenshot
from tests.conftest import Store
from tests.factories import run
from tests.live_server import LiveServer, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["chromium"]  # the fixture, used by name

RESTRICTED_TITLE = "RESTRICTED partner leak 4411"
PUBLIC_TITLE = "Internal codename KESTREL"
DRILL_TITLE = "DRILL tabletop quartz"


def test_status_page_in_chromium_shows_no_restricted_title(
    chromium: Browser, store: Store, ctx: Context, tmp_path: Path
) -> None:
    public = IncidentId(
        run(ctx, Declare(title=PUBLIC_TITLE, severity="SEV2", ic="alice", systems=("api",)))[
            0
        ].incident_id
    )
    run(ctx, PublishUpdate(incident_id=public, impact="Some searches fail", public=True))
    restricted = IncidentId(
        run(
            ctx,
            Declare(
                title=RESTRICTED_TITLE,
                severity="SEV0",
                ic="alice",
                systems=("api",),
                labels=("restricted",),
            ),
        )[0].incident_id
    )
    run(ctx, PublishUpdate(incident_id=restricted, impact=RESTRICTED_TITLE))
    run(ctx, Declare(title=DRILL_TITLE, severity="SEV1", ic="alice", drill=True))
    config = tmp_path / "fireline.toml"
    config.write_text('[components.api]\nname = "Catalog API"\nsystems = ["api"]\n')
    server = LiveServer({**store.env, "FIRELINE_CONFIG": str(config)}, free_port()).start()
    try:
        page = chromium.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
        page.goto(f"{server.url}/status")
        assert page.get_by_role("heading", name="Status", exact=True).is_visible()
        assert page.get_by_text("We are investigating an issue impacting Catalog API.").count() == 1
        assert axe(page) == []
        screenshot(page, "status-page")
        bodies = [page.content()]
        for path in (
            "feed.atom",
            "api/v2/summary.json",
            "api/v2/incidents.json",
            "api/v2/components.json",
        ):
            answer = page.request.get(f"{server.url}/status/{path}")
            assert answer.status == 200
            bodies.append(answer.text())
        page.close()
    finally:
        server.stop()
    for body in bodies:
        for text in (RESTRICTED_TITLE, PUBLIC_TITLE, DRILL_TITLE, restricted, "alice"):
            assert text not in body
    assert errors == []
