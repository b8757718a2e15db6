"""Browser tests' fixtures: Debian's Chromium driven by Playwright for Python, axe-core for
accessibility, screenshots as artifacts, and a real server process to point them at.

`chromium` is skipped, loudly and with the reason, when Playwright or /usr/bin/chromium is
missing (Playwright's own browser download cannot work here: `.ci/run` installs the `chromium`
package). axe-core comes from the npm registry (`make` installs it under .venv/node).

    @pytest.mark.browser
    def test_x(chromium: Browser, store: Store) -> None:
        with web_server(store) as url:
            page = chromium.new_page()
            login(page, url, "alice")
            assert not axe(page)
            screenshot(page, "incidents")
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import Store
from tests.live_server import ROOT, LiveServer, free_port
from tests.webclient import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FloatRect, Page, ViewportSize

CHROMIUM = Path(os.environ.get("FIRELINE_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(
    os.environ.get("FIRELINE_AXE", str(ROOT / ".venv/node/node_modules/axe-core/axe.min.js"))
)
_SHARED_AXE = Path("/work/main/.venv/node/node_modules/axe-core/axe.min.js")
ARTIFACTS = ROOT / "tests" / "artifacts" / "screens"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "BROWSER TESTS SKIPPED: Playwright for Python is not installed (pip install playwright)"
        )
    if not CHROMIUM.exists():
        return (
            f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} "
            "(apt-get install -y chromium, or set FIRELINE_CHROMIUM)"
        )
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole session."""
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    import asyncio

    from playwright.sync_api import sync_playwright

    # Playwright's sync API refuses a thread whose event loop is marked running. A test run
    # earlier in this process (a server's loop torn down from another thread) can leave that
    # mark behind with no loop actually running here: a sync fixture never runs inside one.
    if asyncio._get_running_loop() is not None:
        asyncio._set_running_loop(None)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()


def axe_source() -> str:
    for path in (AXE, _SHARED_AXE):
        if path.exists():
            return path.read_text(encoding="utf-8")
    pytest.fail(
        f"axe-core is missing at {AXE}: run `make lint` (or "
        "`npm install --prefix .venv/node axe-core@4.11`)"
    )


def axe(page: Page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations on the page of the given impacts (empty: none). Injected through
    Playwright (not a page script), so the page's CSP stays as it is."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("async () => (await window.axe.run(document)).violations")
    found = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in impacts
    ]
    return found


def axe_report(page: Page) -> str:
    return json.dumps(axe(page), indent=1)


SHOT_HEIGHT = 2400  # the most of a long page a screenshot keeps (the top: what a reader sees)


def screenshot(page: Page, name: str, *, phone: bool = False) -> Path:
    """The page from its top, up to SHOT_HEIGHT pixels, to
    tests/artifacts/screens/<name>[-phone].png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}{'-phone' if phone else ''}.png"
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    clip: FloatRect = {"x": 0, "y": 0, "width": width, "height": min(height, SHOT_HEIGHT)}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    return path


def both_widths(page: Page, name: str) -> list[Path]:
    """The page at desktop and at a phone's width, screenshotted (then back to desktop)."""
    shots = []
    page.set_viewport_size(DESKTOP)
    shots.append(screenshot(page, name))
    page.set_viewport_size(PHONE)
    shots.append(screenshot(page, name, phone=True))
    page.set_viewport_size(DESKTOP)
    return shots


def copy_to_docs(paths: list[Path]) -> None:
    """The screenshots docs/web.md embeds, refreshed from a run (FIRELINE_DOCS_SCREENS=1)."""
    if os.environ.get("FIRELINE_DOCS_SCREENS") != "1":
        return
    target = ROOT / "docs" / "img"
    target.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copyfile(path, target / f"web-{path.name}")


@contextmanager
def web_server(store: Store) -> Iterator[str]:
    """A real `fireline serve`-shaped server process on the test store: its URL."""
    server = LiveServer(store.env, free_port()).start()
    try:
        yield server.url
    finally:
        server.stop()


def login(page: Page, url: str, user: str, password: str = PASSWORD) -> None:
    """Log in through the form and land on the incidents list."""
    page.goto(f"{url}/login")
    page.get_by_label("User").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/incidents")
