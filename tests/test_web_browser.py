"""The web UI in a real Chromium against a real server process: login, axe-core, no CSP
violations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fireline.service import Context
from tests.browser import axe, login, web_server
from tests.conftest import Store
from tests.webclient import add_user

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_login_and_list_pass_axe_without_csp_errors(
    chromium: Browser, store: Store, ctx: Context
) -> None:
    add_user(ctx, "alice")
    with web_server(store) as url:
        page = chromium.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
        page.goto(f"{url}/login")
        assert axe(page) == []
        login(page, url, "alice")
        assert page.get_by_text("Signed in as").is_visible()
        assert axe(page) == []
        page.close()
    assert errors == []
