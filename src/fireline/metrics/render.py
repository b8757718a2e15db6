"""Pure: a metrics Report as terminal lines, a JSON document or CSV text.

Group keys are severities, labels and months from the record (labels come from the configured
set, severities from the ladder), rendered through the same terminal escaping as every line.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fireline.metrics.compute import DURATIONS, RATES, Group, Rate, Report, Spread

DURATION_NAMES = {
    "detect": "time to detect",
    "acknowledge": "time to acknowledge",
    "mitigate": "time to mitigate",
    "resolve": "time to resolve",
}
RATE_NAMES = {
    "updates": "updates on time",
    "obligations": "obligations met on time",
    "postmortems": "postmortems on time",
    "actions": "action items closed on time",
}


def span(seconds: float | None) -> str:
    """42s, 5m07s, 2h05m, 3d04h: two units at most, rounded down to the second."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def _rate_text(rate: Rate) -> str:
    if rate.share is None:
        return "-"
    return f"{rate.on_time} of {rate.decided} ({rate.share:.0%})"


def _spread_text(value: Spread) -> str:
    if value.n == 0:
        return "-"
    return f"median {span(value.median):>7}   p90 {span(value.p90):>7}   (n={value.n})"


def header(report: Report) -> str:
    return (
        f"incidents declared {report.since.isoformat()} to {report.until.isoformat()} "
        f"(UTC, end exclusive), by {report.by}; drills excluded"
    )


def lines(report: Report) -> list[str]:
    out = [header(report)]
    for group in report.groups:
        out.append("")
        out.append(f"{group.key}: {group.incidents} incident(s), {group.open} open")
        out.extend(
            f"  {DURATION_NAMES[name]:<28}{_spread_text(group.durations[name])}"
            for name in DURATIONS
        )
        out.extend(f"  {RATE_NAMES[name]:<28}{_rate_text(group.rates[name])}" for name in RATES)
    return out


def _group_json(group: Group) -> dict[str, Any]:
    return {
        "key": group.key,
        "incidents": group.incidents,
        "open": group.open,
        "durations": {
            name: {"n": s.n, "median_s": s.median, "p90_s": s.p90}
            for name, s in group.durations.items()
        },
        "rates": {
            name: {"on_time": r.on_time, "late": r.late, "share": r.share}
            for name, r in group.rates.items()
        },
    }


def document(report: Report) -> dict[str, Any]:
    """The JSON model (durations in seconds, shares in 0..1 or null when nothing is decided)."""
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "by": report.by,
        "drills": "excluded",
        "groups": [_group_json(group) for group in report.groups],
    }


CSV_COLUMNS = (
    "group",
    "incidents",
    "open",
    *(f"{name}_{part}" for name in DURATIONS for part in ("n", "median_s", "p90_s")),
    *(f"{name}_{part}" for name in RATES for part in ("on_time", "late", "share")),
)


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _safe(key: str) -> str:
    """A group key as a spreadsheet cell: a leading = + - @ would be read as a formula."""
    return f"'{key}" if key[:1] in ("=", "+", "-", "@") else key


def csv_text(report: Report) -> str:
    """One row per group (the last is `all`), durations in seconds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in report.groups:
        row: list[str] = [_safe(group.key), str(group.incidents), str(group.open)]
        for name in DURATIONS:
            s = group.durations[name]
            row += [str(s.n), _cell(s.median), _cell(s.p90)]
        for name in RATES:
            r = group.rates[name]
            row += [str(r.on_time), str(r.late), _cell(r.share)]
        writer.writerow(row)
    return buffer.getvalue()
