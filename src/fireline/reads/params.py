"""Parameters a read takes, parsed the same way whichever adapter received them."""

from __future__ import annotations

from datetime import datetime

from fireline.errors import InvalidCommandError


def since_moment(text: str, now: datetime) -> datetime:
    """`--since` / `?since=`: a moment (ISO 8601, naive means UTC) or a span back from now
    (30m, 2h, 1d); InvalidCommandError naming both forms otherwise."""
    from fireline.domain import parse_duration, parse_when

    try:
        return now - parse_duration("--since", text)
    except (InvalidCommandError, OverflowError):  # a span or year too large to be meant
        pass
    try:
        return parse_when("--since", text)
    except (InvalidCommandError, OverflowError):  # a span or year too large to be meant
        pass
    raise InvalidCommandError(
        f"malformed --since {text!r}; expected ISO 8601 like 2026-11-23T14:00Z "
        "or a span back from now like 30m, 2h, 1d"
    )
