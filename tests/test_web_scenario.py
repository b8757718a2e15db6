"""The seed SEV1 scenario played through the browser only, in Debian's Chromium against a real
server process: declare, staff, log (one entry arriving live from another responder's
browser), re-severitize, tick the first 15 minutes, publish updates, upload evidence, reach
mitigated and resolved through the gates, schedule the postmortem. Then `fireline verify`
passes and the export verifies. Every main page is checked with axe-core and screenshotted at
desktop and phone widths (tests/artifacts/screens/; FIRELINE_DOCS_SCREENS=1 refreshes
docs/img/)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fireline.service import Context
from tests.browser import axe, both_widths, copy_to_docs, login, web_server
from tests.conftest import Store
from tests.hostile import FILE_NAMES
from tests.webclient import add_user

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]
CAST = (
    ("alice", ("commander", "admin")),
    ("bob", ("responder",)),
    ("carol", ("responder",)),
    ("dana", ("responder",)),
    ("erin", ("steward",)),
)


def fireline(store: Store, *args: str, actor: str = "alice") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **store.env, "FIRELINE_ACTOR": actor}
    return subprocess.run(
        [sys.executable, "-m", "fireline", *args], env=env, capture_output=True, text=True
    )


def submit(page: Page, selector: str) -> None:
    """Click a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def assign(page: Page, role: str, holder: str) -> None:
    page.select_option("#f-role", role)
    page.fill("#f-holder", holder)
    submit(page, "#roles button:has-text('Assign')")


def record(page: Page, kind: str, text: str, **extra: str) -> None:
    """An entry through the composer: `/` focuses it, Enter records it."""
    page.check(f"input[name=kind][value={kind}]")
    for field, value in extra.items():
        page.fill(f"#f-{field}", value)
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "f-text"
    page.keyboard.type(text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def move(page: Page, status: str, reason: str = "") -> None:
    page.select_option("#f-status", status)
    page.fill("#f-statuswhy", reason)
    submit(page, "#status button")


def tick(page: Page, item: str) -> None:
    with page.expect_navigation():
        page.locator(f'[id="i-{item}"]').check()


def no_violations(page: Page) -> None:
    found = axe(page)
    assert found == [], found


def test_the_seed_sev1_through_the_browser(
    chromium: Browser, store: Store, ctx: Context, tmp_path: Path
) -> None:
    for name, roles in CAST:
        add_user(ctx, name, roles)
    shots: list[Path] = []
    with web_server(store) as url:
        alice = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = alice.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        login(page, url, "alice")

        # Declare, with the seed's declaration block filled as the form is.
        page.goto(f"{url}/incidents/new")
        no_violations(page)
        page.fill("#f-title", "Catalog API 5xx spike")
        page.check("input[name=severity][value=SEV1]")
        page.fill("#f-impact", "search down for most users")
        page.fill("#f-systems", "api, search")
        page.fill("#f-datasets", "cat-2026:v12")
        page.check("input[name=labels][value=restricted]")
        page.check("input[name=flags][value=policy-bypass]")
        block = page.inner_text("#declaration")
        assert "DECLARING SEV1 INCIDENT" in block
        assert "Summary: Catalog API 5xx spike" in block
        shots += both_widths(page, "declare")
        submit(page, "form button:has-text('Declare')")
        incident = page.url.rsplit("/", 1)[-1].split("#")[0]
        assert re.fullmatch(r"INC-\d{8}-\d{3}", incident)

        # Staff and start.
        for role, holder in (
            ("scribe", "bob"),
            ("tech_lead", "carol"),
            ("comms", "dana"),
            ("governance_steward", "erin"),
        ):
            assign(page, role, holder)
        move(page, "investigating")

        # Bob logs a fact from his own browser; it appears in alice's open room, live.
        page.wait_for_function("document.getElementById('room').dataset.live === '1'")
        bob = chromium.new_context().new_page()
        login(bob, url, "bob")
        bob.goto(f"{url}/incidents/{incident}")
        record(bob, "fact", "5xx rate 38% since 14:02Z", refs="dashboard:api-5xx")
        page.locator(".entry.k-fact .text", has_text="5xx rate 38%").wait_for()
        bob.context.close()

        record(page, "hypothesis", "bad deploy 4f2c1e")
        record(page, "decision", "roll back 4f2c1e", why="correlates with onset", approver="alice")
        move(page, "mitigating")
        record(page, "mitigation", "rolled back to 9a1b7d", refs="deploy:9a1b7d")
        record(page, "detection", "alert ApiHighErrorRate fired at 14:03Z")

        # Re-severitize: the sensitive layer may be exposed.
        page.select_option("#f-sev", "SEV0")
        page.fill("#f-sevwhy", "sensitive layer may be exposed")
        submit(page, "#state button:has-text('Change severity')")
        assert "SEV0" in page.locator("h1").inner_text()

        for number in (1, 4, 5, 7, 9):
            tick(page, f"first-15-minutes:{number}")

        # The first update, prefilled from what was logged since the declaration.
        assert "5xx rate 38%" in page.input_value("#f-facts")
        assert "bad deploy 4f2c1e" in page.input_value("#f-hypotheses")
        assert page.input_value("#f-next")
        page.fill("#f-next_steps", "confirm policy enforcement fails closed (carol)")
        submit(page, "#update button:has-text('Publish update')")
        assert "Update 1" in page.inner_text("#seed-update")

        # Evidence by the picker, with a hostile file name.
        upload: FilePayload = {
            "name": FILE_NAMES[0],
            "mimeType": "text/plain",
            "buffer": b"GET /s 500\n" * 50,
        }
        page.set_input_files("#f-file", files=[upload])
        page.select_option("#f-ekind", "logs")
        with page.expect_navigation():
            page.click("#upload button")
        assert page.locator("table.evidence").inner_text().count("E1") == 1
        assert page.evaluate("typeof window.__pwned") == "undefined"

        # Mitigated through its gate.
        for number in range(1, 5):
            tick(page, f"mitigated:{number}")
        move(page, "mitigated", "5xx back to baseline")
        assert "mitigated" in page.inner_text("section.header")
        page.fill("#f-facts", "5xx rate at baseline since rollback")
        page.fill("#f-hypotheses", "")
        submit(page, "#update button:has-text('Publish update')")

        # Resolved: root cause, the definition of done, the postmortem, the steward's review.
        record(page, "root_cause", "deploy 4f2c1e skipped the policy check")
        for number in range(1, 6):
            tick(page, f"resolved:{number}")
        page.fill("#f-pmowner", "carol")
        submit(page, "#gates button:has-text('Schedule postmortem')")
        assert "Scheduled, due" in page.inner_text("#gates")
        erin = chromium.new_context().new_page()
        login(erin, url, "erin")
        erin.goto(f"{url}/incidents/{incident}")
        erin.fill("#f-outcome", "no policy exposure confirmed")
        submit(erin, "#gates button:has-text('Sign off review')")
        erin.context.close()
        page.reload()
        page.locator("#gates-status h3", has_text="resolved: met").wait_for()
        move(page, "resolved", "fix verified")
        assert "resolved" in page.inner_text("section.header")
        assert page.locator("#errors").count() == 0

        # The main pages: accessible, screenshotted at both widths.
        no_violations(page)
        shots += both_widths(page, "room")
        page.goto(f"{url}/incidents/{incident}/ledger")
        no_violations(page)
        assert "chain intact up to event" in page.inner_text("#verify")
        shots += both_widths(page, "ledger")
        page.goto(f"{url}/incidents?view=closed")
        no_violations(page)
        shots += both_widths(page, "incidents")
        alice.close()
        assert problems == []

    verified = fireline(store, "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("ok:")
    exported = fireline(store, "export", incident, "--out", str(tmp_path / "export"))
    assert exported.returncode == 0, exported.stderr
    checked = fireline(store, "verify", str(tmp_path / "export" / incident))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    copy_to_docs(shots)
