"""Business days: a postmortem is due N working days after the incident was resolved.

Weekends and the configured holidays (`holidays_file`: one `YYYY-MM-DD` a line, an optional
name after it, `#` comments) are skipped. Pure but for `load_holidays`, which reads the file
and refuses a bad one in one line, so nothing is scheduled from a calendar half understood.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from fireline.errors import ConfigError

SATURDAY = 5  # date.weekday(): Monday is 0


def is_business_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def add_business_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """The `days`-th business day after `start` (which itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    off = frozenset(holidays)
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day, off):
            left -= 1
    return day


def parse_holidays(text: str, *, source: str) -> frozenset[date]:
    """The dates of a holidays file; ConfigError naming the file and line of the first bad one."""
    found: set[date] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        first = line.split(maxsplit=1)[0]
        try:
            found.add(date.fromisoformat(first))
        except ValueError:
            shown = first if len(first) <= 40 else first[:40] + "…"
            raise ConfigError(
                f"holidays file {source} line {number}: {shown!r} is not a date (YYYY-MM-DD)"
            ) from None
    return frozenset(found)


def load_holidays(path: Path | None) -> frozenset[date]:
    """The configured holidays (none when no file is configured)."""
    if path is None:
        return frozenset()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"holidays file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"holidays file {path} cannot be read: {exc}") from None
    return parse_holidays(text, source=str(path))
