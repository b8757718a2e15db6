"""What every string a page shows goes through, and the small formatters templates share.

`visible` is the environment's `finalize`: autoescaping already makes markup inert, and this
makes invisible characters (bidi overrides, zero-width characters, ANSI escapes and other
controls) show as their `\\u` escapes, so a title cannot reorder or hide what is around it.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from fireline.domain import is_non_printing
from fireline.terminal import escape

_KEPT = frozenset("\n\t")


def visible(value: Any) -> Any:
    """A string with every non-printing character (newline and tab aside) as its escape;
    markup the page built itself, and anything not a string, as it is."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return "" if value is None else value
    if all(char in _KEPT or not is_non_printing(char) for char in value):
        return value
    return "".join(
        char if char in _KEPT or not is_non_printing(char) else escape(char) for char in value
    )


def parse_ts(text: str) -> datetime:
    """An ISO timestamp from a read model (`…Z` or with an offset) as an aware datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc(text: str | None) -> str:
    """`2026-11-23 14:05:09Z`: the UTC time every page shows first."""
    if not text:
        return ""
    return parse_ts(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def zoned(text: str | None, zone: str) -> str:
    """The same instant in `zone` (the configured local zone), with the zone's abbreviation."""
    if not text:
        return ""
    return parse_ts(text).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def size(count: int | None) -> str:
    """A byte count for people: `512 B`, `3.4 KiB`, `12.0 MiB`."""
    if count is None:
        return ""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


def duration(seconds: float) -> str:
    """`3d 4h`, `2h 05m`, `12m`, `40s`: an age or a countdown, at most two units."""
    whole = int(abs(seconds))
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"
