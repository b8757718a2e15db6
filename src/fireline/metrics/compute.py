"""Pure: response metrics from milestone rows — durations, percentiles, on-time rates, groups.

No I/O, no clock: the caller passes the rows (`MilestoneRow`, `ActionRow`) and today. What each
figure means is documented in docs/metrics.md and mirrored in the docstrings below.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

GROUPINGS = ("severity", "label", "month")
DURATIONS = ("detect", "acknowledge", "mitigate", "resolve")
RATES = ("updates", "obligations", "postmortems", "actions")
NO_LABEL = "(none)"
ALL = "all"


@dataclass(frozen=True)
class MilestoneRow:
    """One incident's milestones (ISO 8601 UTC strings or None) and counters."""

    incident_id: str
    severity: str
    severity_rank: int
    labels: tuple[str, ...]
    declared_at: str
    started_at: str | None
    detected_at: str | None
    acknowledged_at: str | None
    mitigated_at: str | None
    resolved_at: str | None
    closed_at: str | None
    updates_on_time: int
    updates_late: int
    updates_overdue: int
    obligations: tuple[str, ...]  # each obligation's state: open, met, late, missed
    postmortem_due: str | None
    postmortem_done_at: str | None


@dataclass(frozen=True)
class ActionRow:
    incident_id: str
    due: str | None
    completed_at: str | None


@dataclass(frozen=True)
class Spread:
    """A duration's sample: how many incidents had it, its median and 90th percentile (s)."""

    n: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Rate:
    """On time out of decided (pending items — not yet due, still open — are not counted)."""

    on_time: int
    late: int

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def share(self) -> float | None:
        return None if self.decided == 0 else self.on_time / self.decided


@dataclass(frozen=True)
class Group:
    key: str
    incidents: int
    open: int
    durations: dict[str, Spread]
    rates: dict[str, Rate]


@dataclass(frozen=True)
class Report:
    since: date
    until: date  # exclusive
    by: str
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> Group:
        return self.groups[-1]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)  # ISO 8601 with a Z (Python 3.11 reads it)


def _seconds(start: str | None, end: str | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (_moment(end) - _moment(start)).total_seconds())


def durations_of(row: MilestoneRow) -> dict[str, float | None]:
    """Time to detect (impact began → detected; only when the start was recorded), acknowledge
    (detected → a person in command), mitigate and resolve (impact began → mitigated,
    resolved; the start falls back to detection, then declaration). Negative spans are 0."""
    detected = row.detected_at or row.declared_at
    start = row.started_at or detected
    return {
        "detect": _seconds(row.started_at, detected) if row.started_at else None,
        "acknowledge": _seconds(detected, row.acknowledged_at),
        "mitigate": _seconds(start, row.mitigated_at),
        "resolve": _seconds(start, row.resolved_at),
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float]) -> Spread:
    return Spread(len(values), percentile(values, 0.5), percentile(values, 0.9))


def _due_rate(pairs: Iterable[tuple[str | None, str | None]], today: date) -> Rate:
    """(due day, done instant) pairs: done by the due day is on time; done later, or still
    open after it, is late; undated or not yet due is pending."""
    on_time = late = 0
    for due, done in pairs:
        if due is None:
            continue
        deadline = date.fromisoformat(due[:10])
        if done is not None:
            if _moment(done).date() <= deadline:
                on_time += 1
            else:
                late += 1
        elif deadline < today:
            late += 1
    return Rate(on_time, late)


def _group(
    key: str,
    rows: Sequence[MilestoneRow],
    actions: Sequence[ActionRow],
    today: date,
    spans: dict[str, dict[str, float | None]],
) -> Group:
    samples: dict[str, list[float]] = {name: [] for name in DURATIONS}
    for row in rows:
        for name, value in spans[row.incident_id].items():
            if value is not None:
                samples[name].append(value)
    on_time = sum(row.updates_on_time for row in rows)
    # A slot is missed once: N2's `update.overdue` marks it, and a late update fills it late.
    missed = sum(max(row.updates_late, row.updates_overdue) for row in rows)
    states = [state for row in rows for state in row.obligations]
    rates = {
        "updates": Rate(on_time, missed),
        "obligations": Rate(states.count("met"), states.count("late") + states.count("missed")),
        "postmortems": _due_rate(((r.postmortem_due, r.postmortem_done_at) for r in rows), today),
        "actions": _due_rate(((a.due, a.completed_at) for a in actions), today),
    }
    return Group(
        key=key,
        incidents=len(rows),
        open=sum(1 for row in rows if row.resolved_at is None),
        durations={name: spread(values) for name, values in samples.items()},
        rates=rates,
    )


def _keys(row: MilestoneRow, by: str) -> list[str]:
    if by == "severity":
        return [row.severity]
    if by == "label":
        return list(row.labels) or [NO_LABEL]
    return [row.declared_at[:7]]


def report(
    rows: Sequence[MilestoneRow],
    actions: Sequence[ActionRow],
    *,
    by: str,
    since: date,
    until: date,
    today: date,
) -> Report:
    """Group `rows` by severity (in ladder order), label (an incident counts under each of its
    labels) or month (of declaration), each with its action items; the last group is `all`."""
    members: dict[str, list[MilestoneRow]] = {}
    rank: dict[str, int] = {}
    for row in rows:
        for key in _keys(row, by):
            members.setdefault(key, []).append(row)
            rank[key] = max(rank.get(key, row.severity_rank), row.severity_rank)
    by_incident: dict[str, list[ActionRow]] = {}
    for action in actions:
        by_incident.setdefault(action.incident_id, []).append(action)

    def actions_of(group: Sequence[MilestoneRow]) -> list[ActionRow]:
        return [a for row in group for a in by_incident.get(row.incident_id, ())]

    spans = {row.incident_id: durations_of(row) for row in rows}  # once per incident
    order = sorted(members, key=(lambda k: (-rank[k], k)) if by == "severity" else None)
    groups = [_group(key, members[key], actions_of(members[key]), today, spans) for key in order]
    groups.append(_group(ALL, rows, actions_of(rows), today, spans))
    return Report(since, until, by, groups)
