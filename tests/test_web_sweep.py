"""Sweeps over every page of `tests.web_pages.PAGES`, rendered from a store whose every free
text is hostile: the raw HTML carries each value escaped (in-process, fast), and in Debian's
Chromium nothing executes (no dialog, no injected element, no CSP violation), axe-core finds
no serious or critical violation at desktop and phone width, and every control is reachable
with the Tab key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from markupsafe import escape

from fireline.service import Context
from tests import hostile
from tests.browser import DESKTOP, PHONE, axe, chromium, login, web_server
from tests.conftest import Store
from tests.web_pages import PAGES, WebPage, seed_hostile
from tests.webclient import web_client

pytestmark = pytest.mark.adapter

__all__ = ["chromium"]  # the fixture, for pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page


def _path(page: WebPage, incident: str) -> str:
    return page.path.format(incident=incident)


def test_every_page_escapes_every_hostile_value(store: Store, ctx: Context) -> None:
    incident = seed_hostile(ctx)
    shown: set[str] = set()
    with web_client(store) as web:
        for page in PAGES:
            response = web.get(_path(page, incident))
            assert response.status_code == 200, (page.path, response.text[:300])
            text = response.text
            hostile.assert_inert(text)
            # Escaped, or with invisible characters shown as their escapes: never raw.
            for value in (hostile.SCRIPT, hostile.IMG, hostile.ATTR):
                if str(escape(value)) in text:  # as Jinja2's autoescape writes it
                    shown.add(value)
            assert "49{% raw %}" not in text  # a title never becomes a template
    # Every hostile string was shown somewhere (escaped), not silently dropped.
    assert shown == {hostile.SCRIPT, hostile.IMG, hostile.ATTR}


_PROBE = """() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
  });
}"""

_INJECTED = """() => ({
  pwned: typeof window.__pwned !== 'undefined',
  images: document.querySelectorAll('img[src="x"]').length,
  handlers: document.querySelectorAll('[onerror],[onmouseover],[onclick],[onload]').length,
  scripts: [...document.scripts].filter(s => !s.src).length,
  csp: window.__csp || [],
})"""

_CONTROLS = """() => {
  const wanted = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [tabindex]:not([tabindex="-1"])';
  const all = [...document.querySelectorAll(wanted)].filter(el => {
    // Shown now: not inside a closed <details> (its summary is the stop), not hidden.
    const box = el.getBoundingClientRect();
    const shown = el.checkVisibility
      ? el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})
      : getComputedStyle(el).visibility !== 'hidden';
    return !el.disabled && box.width > 0 && box.height > 0 && shown;
  });
  // A radio group is one Tab stop (the arrow keys move within it): one mark for the group.
  const groups = new Map();
  let count = 0;
  for (const el of all) {
    let mark;
    if (el.type === 'radio' && el.name) {
      const key = (el.form ? [...document.forms].indexOf(el.form) : -1) + ':' + el.name;
      if (!groups.has(key)) groups.set(key, String(count++));
      mark = groups.get(key);
    } else {
      mark = String(count++);
    }
    el.setAttribute('data-kb', mark);
  }
  return count;
}"""


def _tab_through(page: Page, count: int) -> set[str]:
    """Press Tab until every control was focused (at most twice round, as scrollable regions
    the browser makes focusable take stops too): the controls reached."""
    reached: set[str] = set()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(2 * count + 20):
        page.keyboard.press("Tab")
        mark = page.evaluate(
            "() => document.activeElement && document.activeElement.getAttribute('data-kb')"
        )
        if mark is not None:
            reached.add(mark)
        if len(reached) == count:
            break
    return reached


def _labels(page: Page, marks: set[str]) -> list[Any]:
    return [
        page.evaluate(
            "(m) => { const el = document.querySelector(`[data-kb='${m}']`);"
            " return el.outerHTML.slice(0, 160); }",
            mark,
        )
        for mark in sorted(marks)
    ]


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_in_chromium_runs_nothing_passes_axe_and_tabs_to_every_control(
    chromium: Browser, store: Store, ctx: Context
) -> None:
    incident = seed_hostile(ctx)
    problems: list[str] = []
    with web_server(store) as url:
        context = chromium.new_context(viewport=DESKTOP)
        page = context.new_page()
        dialogs: list[str] = []

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        page.add_init_script(script=f"({_PROBE})()")
        login(page, url, "alice")
        for web_page in PAGES:
            if web_page.public:
                continue  # the login page is checked signed out, below
            _check(page, f"{url}{_path(web_page, incident)}", web_page.name, problems)
        context.close()
        anonymous = chromium.new_context(viewport=DESKTOP)
        page = anonymous.new_page()
        page.on("dialog", dismiss)
        page.add_init_script(script=f"({_PROBE})()")
        for web_page in PAGES:
            if web_page.public:
                _check(page, f"{url}{_path(web_page, incident)}", web_page.name, problems)
        anonymous.close()
    assert dialogs == []
    assert problems == [], "\n".join(problems)


def _check(page: Page, url: str, name: str, problems: list[str]) -> None:
    page.set_viewport_size(DESKTOP)
    response = page.goto(url)
    assert response is not None, (name, url)
    assert response.status == 200, (name, url)
    found = page.evaluate(_INJECTED)
    if found["pwned"] or found["images"] or found["handlers"] or found["scripts"]:
        problems.append(f"{name}: injected {found}")
    if found["csp"]:
        problems.append(f"{name}: CSP violations {found['csp']}")
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        violations = axe(page)
        if violations:
            problems.append(f"{name} at {width} width: axe {violations}")
    page.set_viewport_size(DESKTOP)
    count = page.evaluate(_CONTROLS)
    reached = _tab_through(page, count)
    missed = {str(n) for n in range(count)} - reached
    if missed:
        problems.append(f"{name}: not reachable by Tab: {_labels(page, missed)[:5]}")
