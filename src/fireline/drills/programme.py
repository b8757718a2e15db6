"""Pure: the drill programme — kinds of exercise, how often each is due, and what is due when.

Read from `[drills.KIND]` tables in fireline.toml (or the seeds' programme when there are none);
no I/O, no clock: callers pass the day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from fireline.errors import ConfigError

# How many months one period of each cadence spans; periods start on 1 January.
CADENCES: Mapping[str, int] = {"month": 1, "quarter": 3, "half": 6, "year": 12}


@dataclass(frozen=True)
class DrillKind:
    """One kind of exercise the programme asks for, and how often."""

    key: str
    title: str
    every: str  # a key of CADENCES
    severity: str = ""  # the severity a drill incident of this kind is declared at
    source: str = ""  # which runbook asks for it


# The seeds: 001's quarterly tabletops (one availability, one data-integrity, one
# governance/sensitivity scenario) and its breakglass and backup-comms validation "on a
# schedule" (twice a year here); 004's quarterly SEV2 tabletop and annual SEV3 full drill.
DEFAULT_PROGRAMME: tuple[DrillKind, ...] = (
    DrillKind("tabletop-availability", "Tabletop: availability scenario", "quarter", "", "001"),
    DrillKind("tabletop-data-integrity", "Tabletop: data-integrity scenario", "quarter", "", "001"),
    DrillKind(
        "tabletop-governance",
        "Tabletop: governance/sensitivity scenario",
        "quarter",
        "",
        "001",
    ),
    DrillKind("tabletop-sev2", "SEV2 tabletop exercise", "quarter", "SEV2", "004"),
    DrillKind("full-drill-sev3", "SEV3 full drill", "year", "SEV3", "004"),
    DrillKind("breakglass-validation", "Breakglass access validation", "half", "", "001"),
    DrillKind("backup-comms-validation", "Backup comms validation", "half", "", "001"),
)


def parse_programme(tables: object, source: str) -> tuple[DrillKind, ...]:
    """The `[drills.KIND]` tables: title (text), every (month|quarter|half|year), optional
    severity and source. ConfigError naming the kind and key on anything else."""
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"[drills] in {source} must be a non-empty table of drill kinds")
    kinds = []
    for key, table in tables.items():
        if not isinstance(table, dict) or not isinstance(table.get("title"), str):
            raise ConfigError(f"drill kind {key!r} in {source} needs a title string")
        every = table.get("every")
        if every not in CADENCES:
            raise ConfigError(
                f"drill kind {key!r} in {source}: every must be one of "
                f"{', '.join(CADENCES)}, got {every!r}"
            )
        unknown = set(table) - {"title", "every", "severity", "source"}
        if unknown:
            raise ConfigError(
                f"drill kind {key!r} in {source}: unknown key {sorted(unknown)[0]!r}; "
                "known: title, every, severity, source"
            )
        extra = {name: table.get(name, "") for name in ("severity", "source")}
        if not all(isinstance(value, str) for value in extra.values()):
            raise ConfigError(f"drill kind {key!r} in {source}: severity and source are text")
        kinds.append(DrillKind(key, table["title"], str(every), extra["severity"], extra["source"]))
    return tuple(kinds)


@dataclass(frozen=True)
class Period:
    """One period of a cadence: [start, end), and its name (2026-Q1, 2026-H2, 2026, 2026-03)."""

    start: date
    end: date
    name: str


def period_of(every: str, day: date) -> Period:
    """The period of cadence `every` that holds `day`."""
    months = CADENCES[every]
    first = (day.month - 1) // months * months + 1
    start = date(day.year, first, 1)
    end_month = first + months
    end = date(day.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    index = (first - 1) // months + 1
    name = {
        "month": f"{day.year}-{first:02d}",
        "quarter": f"{day.year}-Q{index}",
        "half": f"{day.year}-H{index}",
        "year": f"{day.year}",
    }[every]
    return Period(start, end, name)


def periods(every: str, start: date, end: date) -> list[Period]:
    """Every period of `every` that overlaps [start, end], in order."""
    found = [period_of(every, start)]
    while found[-1].end <= end:
        found.append(period_of(every, found[-1].end))
    return found


@dataclass(frozen=True)
class Slot:
    """One kind's exercise in one period, and the drills that fulfilled it (incident ids)."""

    kind: DrillKind
    period: Period
    done: tuple[str, ...]

    def status(self, today: date) -> str:
        """done; due (the period is running); missed (it ended undone); planned (ahead)."""
        if self.done:
            return "done"
        if self.period.end <= today:
            return "missed"
        return "due" if self.period.start <= today else "planned"


def plan(
    programme: Iterable[DrillKind],
    done: Iterable[tuple[str, date, str]],
    *,
    start: date,
    end: date,
) -> list[Slot]:
    """Every kind's periods overlapping [start, end], each with the drills done in it.

    `done` holds (kind, day, incident id) of each drill exercise recorded.
    """
    exercises = list(done)
    slots = []
    for kind in programme:
        for period in periods(kind.every, start, end):
            ids = tuple(
                incident
                for key, day, incident in exercises
                if key == kind.key and period.start <= day < period.end
            )
            slots.append(Slot(kind, period, ids))
    return sorted(slots, key=lambda s: (s.period.start, s.kind.key))
