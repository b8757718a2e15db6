"""YAML front matter: find the `---` block, load it, and coerce its values. Pure.

Most runbooks' front matter is flat (`key: word`, `key: 2026-11-20`, `key: [a, b]`); that
shape is read directly, which is several times faster than a YAML loader, and anything else —
quotes with escapes, numbers, booleans, nesting, comments — goes to PyYAML's safe loader. The
tests hold the two equal on every flat document they generate.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import yaml

from fireline.runbooks.model import Problem

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FENCE_LINE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$")

_FLAT_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*?))?[ \t]*\r?")
# A plain word YAML reads as a string: starts with a letter, no `:`, `#`, `,` or brackets.
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9 _./@()+-]*")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# Quoted printable ASCII without escapes (`\`, `''`); anything else is YAML's to read.
_QUOTED = re.compile(r'"([ !#-\[\]-~]*)"|\'([ -&(-~]*)\'')
# What YAML 1.1 (PyYAML) reads as booleans or null, not strings.
_NOT_STRINGS = frozenset(
    variant
    for word in ("yes", "no", "true", "false", "on", "off", "null", "y", "n")
    for variant in (word, word.title(), word.upper())
)
_UNREAD = object()


def split(lines: list[str]) -> tuple[dict[str, Any], bool, int, list[Problem]]:
    """(mapping, present, index of the first body line, problems) for a file's lines."""
    if not lines or not FENCE_LINE.match(lines[0]) or lines[0].startswith("..."):
        return {}, False, 0, []
    end = next((i for i in range(1, len(lines)) if FENCE_LINE.match(lines[i])), None)
    if end is None:
        return {}, True, 0, [Problem("front matter opened with --- is never closed", 1)]
    block = lines[1:end]
    flat = load_flat(block)
    if flat is not None:
        return flat, True, end + 1, []
    data, problem = load_yaml("\n".join(block))
    return data, True, end + 1, [problem] if problem else []


def load_yaml(text: str) -> tuple[dict[str, Any], Problem | None]:
    """The YAML mapping, or ({}, the problem) when it does not load or is not a mapping."""
    try:
        data = yaml.load(text, Loader=_Loader)  # CSafeLoader or SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, Problem(f"front matter is not valid YAML: {reason}", line)
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. a date like 2026-13-45
        return {}, Problem(f"front matter is not valid YAML: {exc}", 1)
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, Problem(f"front matter must be a mapping, got a {type(data).__name__}", 2)
    return {str(k): v for k, v in data.items()}, None


def load_flat(lines: list[str]) -> dict[str, Any] | None:
    """A flat block read directly, or None when it needs the YAML loader."""
    data: dict[str, Any] = {}
    for line in lines:
        if not line.strip():
            continue
        match = _FLAT_KEY.fullmatch(line)
        if match is None or match[1] in data or match[1] in _NOT_STRINGS:
            return None
        value = _flat_value(match[2] or "")
        if value is _UNREAD:
            return None
        data[match[1]] = value
    return data


def _flat_value(text: str) -> object:
    if not text:
        return None
    if text[0] == "[":
        if not text.endswith("]") or "[" in text[1:] or "]" in text[:-1]:
            return _UNREAD
        inner = text[1:-1].strip()
        if not inner:
            return []
        items = [_flat_scalar(part.strip()) for part in inner.split(",")]
        return _UNREAD if any(item is _UNREAD or item is None for item in items) else items
    return _flat_scalar(text)


def _flat_scalar(text: str) -> object:
    quoted = _QUOTED.fullmatch(text)
    if quoted:
        return quoted[1] if quoted[1] is not None else quoted[2]
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return _UNREAD  # YAML says why (month must be in 1..12)
    if _WORD.fullmatch(text) and text not in _NOT_STRINGS and not text.endswith(" "):
        return text
    return _UNREAD


def as_str(value: object) -> str | None:
    """A string, number or the like as stripped text; None for absent, empty or structured."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return text or None
    return None


def as_strings(value: object) -> tuple[str, ...]:
    """A list (or one value) as non-empty strings."""
    items = value if isinstance(value, list) else [value]
    return tuple(text for text in (as_str(item) for item in items) if text)


def as_date(value: object) -> date | None:
    """A YAML date, timestamp or `YYYY-MM-DD` string as a date; None otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
