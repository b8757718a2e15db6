"""`fireline.terminal`: controls, bidi and invisible characters shown as escapes, never obeyed."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.domain import has_visible_text, is_non_printing, require_text
from fireline.errors import InvalidCommandError
from fireline.terminal import FileRenderer, escape, json_safe, render_json, render_line

# One of each thing that steers a terminal or hides text, with the escape that shows it.
HOSTILE = {
    "\x1b[2J": "\\x1b[2J",  # clear the screen
    "\x1b]0;owned\x07": "\\x1b]0;owned\\x07",  # OSC: set the window title
    "ok\rFAKE": "ok\\rFAKE",  # overwrite the start of the line
    "line\nforged": "line\\nforged",  # forge a line of its own
    "\u202eelif": "\\u202eelif",  # right-to-left override
    "a\u200db": "a\\u200db",  # zero-width joiner
    "\x9b31m": "\\x9b31m",  # C1 CSI: the 8-bit ESC [
    "del\x7f": "del\\x7f",
    "para\u2028graph": "para\\u2028graph",
    "tag\U000e0041": "tag\\U000e0041",  # a Unicode tag character (Cf, outside the BMP)
    "\u3164": "\\u3164",  # Hangul filler: a letter that draws nothing
    "tab\there": "tab\\there",
}


@pytest.mark.parametrize(("raw", "shown"), HOSTILE.items())
def test_render_line_shows_each_control_as_its_escape(raw: str, shown: str) -> None:
    assert render_line(raw) == shown


def test_render_line_keeps_printable_text_as_it_is() -> None:
    text = "Zoë's café — 東京 🚒 non\u00a0breaking, combining e\u0301"
    assert render_line(text) == text


def test_escape_matches_python_literals() -> None:
    for char in ("\x00", "\x1b", "\x85", "\u061c", "\u2066", "\ufeff", "\U000e0001"):
        assert escape(char).encode().decode("unicode_escape") == char


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
    + ["\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
    + ["\u2028", "\u2029", "\x00", "\x1b", "\x7f", "\x80", "\x9b", "\x9f", "\udc9b"],
)
def test_every_bidi_zero_width_and_control_character_is_non_printing(char: str) -> None:
    assert is_non_printing(char)
    assert char not in render_line(f"x{char}y")


@given(st.text())
def test_rendered_text_holds_no_non_printing_character(text: str) -> None:
    rendered = render_line(text)
    assert not any(is_non_printing(c) for c in rendered)
    steering = {"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"}  # spaces and private-use glyphs may stay
    assert all(unicodedata.category(c) not in steering for c in rendered)


@given(st.recursive(st.text() | st.integers() | st.none(), lambda inner: st.lists(inner)))
def test_render_json_is_the_same_document_with_nothing_raw(data: object) -> None:
    text = render_json({"value": data})
    assert json.loads(text) == {"value": data}
    assert not any(is_non_printing(c) for c in text if c != "\n")


def test_json_safe_keeps_readable_names_and_escapes_the_rest() -> None:
    text = render_json({"title": "Zoë \u202eelif \x9b \x7f \u2028 \U000e0041 \x1b"})
    assert text == (
        '{\n  "title": "Zoë \\u202eelif \\u009b \\u007f \\u2028 \\udb40\\udc41 \\u001b"\n}'
    )
    assert json_safe('{"a": 1}') == '{"a": 1}'


def test_file_renderer_keeps_line_breaks_and_tabs_and_escapes_the_rest() -> None:
    renderer = FileRenderer()
    chunks = [b"one\tok\r", b"\ntwo \x1b[2J\r", b"over\n\xe2\x80", b"\xae rtl \xff\n"]
    shown = "".join(renderer.feed(chunk) for chunk in chunks) + renderer.feed(b"", final=True)
    assert shown == "one\tok\r\ntwo \\x1b[2J\\rover\n\\u202e rtl \\xff\n"


def test_file_renderer_shows_a_final_carriage_return() -> None:
    renderer = FileRenderer()
    assert renderer.feed(b"end\r") + renderer.feed(b"", final=True) == "end\\r"


@pytest.mark.parametrize(
    "text", ["\u200b", " \u202e\u202c ", "\x1b\x07", "\u3164", "\t\u2028\u200b"]
)
def test_require_text_refuses_text_with_nothing_visible(text: str) -> None:
    assert not has_visible_text(text)
    with pytest.raises(InvalidCommandError, match="title has nothing visible"):
        require_text("title", text)


def test_require_text_keeps_visible_text_with_controls_as_typed() -> None:
    assert require_text("title", " \u202eAPI down\x1b[2J ") == "\u202eAPI down\x1b[2J"
