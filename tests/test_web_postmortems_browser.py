"""The postmortem editor in a real Chromium against a real server: the live preview comes
from the server while typing (no inline script, no CSP error), the editor and the action
board pass axe-core, and hostile text stays text."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fireline.commands import AddActionItem, Declare, DraftPostmortem
from fireline.domain import ActorId, IncidentId
from fireline.service import Context, execute
from tests.browser import axe, chromium, login, screenshot, web_server
from tests.conftest import Store
from tests.hostile import ALL
from tests.webclient import add_user

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["chromium"]  # the fixture, used by name


def test_live_preview_and_board(chromium: Browser, store: Store, ctx: Context) -> None:
    add_user(ctx, "alice")
    alice = ActorId("alice")
    inc = execute(Declare(title=f"API {ALL}", severity="SEV2", ic="alice"), alice, ctx=ctx)[0]
    incident = IncidentId(inc.incident_id)
    execute(DraftPostmortem(incident_id=incident, template="ir"), alice, ctx=ctx)
    execute(
        AddActionItem(incident_id=incident, title=f"fix {ALL}", owner="carol", verification="t"),
        alice,
        ctx=ctx,
    )
    with web_server(store) as url:
        page = chromium.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        login(page, url, "alice")
        page.goto(f"{url}/incidents/{incident}/postmortem")
        page.fill("#s1-text", "**Live** <script>window.__pwned=1</script>")
        page.wait_for_selector("#s1-preview strong")
        assert page.inner_text("#s1-preview strong") == "Live"
        assert page.evaluate("window.__pwned") is None
        assert axe(page) == []
        screenshot(page, "postmortem-editor")
        page.goto(f"{url}/actions")
        assert page.get_by_text("Open (1)").is_visible()
        assert axe(page) == []
        screenshot(page, "action-board")
        page.close()
    assert errors == []
