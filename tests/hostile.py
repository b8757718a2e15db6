"""The hostile strings every surface is tested with: markup that would run, attribute breaks,
bidi overrides that reorder text, ANSI escapes, invisible characters, and a secret that must
be redacted. `assert_inert(html)` checks a rendered page shows them as text only."""

from __future__ import annotations

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror="window.__pwned=1">'
ATTR = "' onmouseover='window.__pwned=1' x='"
JS_URL = "javascript:window.__pwned=1"
RTL = "invoice\u202egnp.exe"
ANSI = "\x1b[31mred\x1b[0m\x1b]0;title\x07"
ZERO_WIDTH = "zero\u200bwidth"
TEMPLATE = "{{ 7*7 }}{% raw %}"
SECRET = "AKIAIOSFODNN7EXAMPLE"

# One string holding them all, for a title or an entry (visible text first: fireline refuses
# text with nothing visible).
ALL = f"Hostile {SCRIPT} {IMG} {ATTR} {RTL} {ANSI} {ZERO_WIDTH} {TEMPLATE}"
STRINGS = (SCRIPT, IMG, ATTR, JS_URL, RTL, ANSI, ZERO_WIDTH, TEMPLATE)
# File names the evidence upload accepts (no path, no control characters) that still bite.
FILE_NAMES = ('"><img src=x onerror=alert(1)>.log', "report\u202etxt.exe", "<script>.txt")


def assert_inert(html: str) -> None:
    """No hostile string reaches the page as markup or as an invisible control."""
    assert "<script>window.__pwned" not in html
    assert "<img src=x onerror" not in html
    assert "onmouseover='window" not in html
    assert "\u202e" not in html
    assert "\x1b" not in html
    assert "\x07" not in html
    assert "\u200b" not in html
