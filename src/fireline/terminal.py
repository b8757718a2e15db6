"""Text made safe to show on a terminal: what would steer the screen is shown as an escape.

Stored text (titles, entries, evidence names, runbook lines) may carry an ESC sequence that
clears the screen, an OSC that retitles the window, a carriage return that overwrites a line
or a bidi override that reorders it. Pure: strings in, strings out; the CLI prints through it.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from fireline.domain import is_non_printing

_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(char: str) -> str:
    r"""One character as a Python string literal writes it: `\n`, `\x1b`, `\u202e`, `\U000e0001`."""
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    if point < 0x10000:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def render_line(text: str) -> str:
    """`text` as one terminal line: every non-printing character (newlines too) as its escape.

    A stored newline is shown as `\\n` rather than broken, so one record stays one line and no
    text can forge a line of its own in a listing or timeline.
    """
    if text.isascii() and text.isprintable():  # the common case: nothing to escape
        return text
    return "".join(escape(char) if is_non_printing(char) else char for char in text)


def json_safe(text: str) -> str:
    """JSON text with every non-printing character in its strings written as a `\\u` escape.

    `json.dumps(..., ensure_ascii=False)` keeps names like "Zoë" readable but leaves DEL, C1
    controls, bidi overrides and U+2028 raw. Outside strings JSON is ASCII, so escaping them
    wherever they occur keeps the document equal to the one it replaces.
    """
    if text.isascii() and "\x7f" not in text:  # json.dumps escaped the other ASCII controls
        return text
    return "".join(_json_escape(char) if _needs_json_escape(char) else char for char in text)


def render_json(data: Any) -> str:
    """`data` as indented JSON that is safe to print (see `json_safe`)."""
    return json_safe(json.dumps(data, indent=2, ensure_ascii=False))


def _needs_json_escape(char: str) -> bool:
    return char != "\n" and is_non_printing(char)  # the newlines are the indentation's own


def _json_escape(char: str) -> str:
    point = ord(char)
    if point < 0x10000:
        return f"\\u{point:04x}"
    high, low = divmod(point - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


class FileRenderer:
    """A text file's bytes made safe for a terminal, chunk by chunk (`evidence get` to a tty).

    The file's own line breaks (LF or CRLF) and tabs stay, since they lay out its lines and
    cannot overwrite them; every other non-printing character is escaped, and bytes that are
    not UTF-8 are shown as `\\xNN`.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="backslashreplace")
        self._held = ""  # a trailing CR, until the next chunk says whether an LF follows

    def feed(self, data: bytes, *, final: bool = False) -> str:
        """The terminal text for the next chunk; `final` flushes what was held back."""
        text = self._held + self._decoder.decode(data, final)
        self._held = ""
        if text.endswith("\r") and not final:
            text, self._held = text[:-1], "\r"
        lines = text.split("\n")
        shown = []
        for number, line in enumerate(lines):
            ending = ""
            if number < len(lines) - 1 and line.endswith("\r"):
                line, ending = line[:-1], "\r"
            shown.append(_render_layout(line) + ending)
        return "\n".join(shown)


def _render_layout(text: str) -> str:
    return "".join(escape(c) if c != "\t" and is_non_printing(c) else c for c in text)
