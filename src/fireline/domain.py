"""Pure incident vocabulary: ids, severity ladders, roles and the lifecycle state machine.

No I/O, no clock: everything here is a value or a rule, so it is property-tested fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import NewType

from fireline.errors import InvalidCommandError, InvalidTransitionError

IncidentId = NewType("IncidentId", str)
ActorId = NewType("ActorId", str)

_INCIDENT_ID = re.compile(r"INC-(\d{8})-(\d{3,6})")
_ACTOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
ENTRY_KINDS = ("fact", "hypothesis", "decision", "mitigation", "detection", "root_cause")
REGISTRY_ROLES = ("responder", "commander", "steward", "security", "admin", "viewer")
CLEARANCES = ("sensitive",)
# The flag an incident gets once any of its events keeps precise coordinates.
SENSITIVE_LOCATION = "sensitive-location"
REGISTRY_CHAIN = "REGISTRY"  # the chain that records the user registry
ALERTS_CHAIN = "ALERTS"  # the chain that records alert sources and every alert received
SYSTEM_CHAINS = frozenset({REGISTRY_CHAIN, ALERTS_CHAIN})  # chains that are no incident
PRIORITIES = ("P0", "P1", "P2", "P3")
# The stage checklists fireline ships (src/fireline/checklists/<name>.md), from the seeds: the
# first 15 minutes, and the definitions of done of the `mitigated` and `resolved` gates.
BUILTIN_CHECKLISTS = ("first-15-minutes", "mitigated", "resolved")
EVIDENCE_KINDS = ("logs", "screenshot", "query", "config-diff", "dashboard", "trace", "other")
# The largest event number, item number or evidence number fireline accepts: every store keeps
# them in 32-bit INTEGER columns, so a larger one can only be a typo (and must not reach SQL).
NUMBER_LIMIT = 2**31 - 1


# fireline's own services write as system actors `<kind>:<name>` (`intake:prom-prod`,
# `notifier:outbox`, `scheduler:deadlines`). `parse_actor` refuses the colon, so no user, login
# or `--as` can ever claim one; only service code builds them, with `system_actor`.
SYSTEM_ACTOR_KINDS = ("intake", "notifier", "scheduler")
_SYSTEM_DEFAULT_NAMES = {"notifier": "outbox", "scheduler": "deadlines"}


def system_actor(kind: str, name: str = "") -> ActorId:
    """The actor a fireline service records its writes under, e.g. `intake:prom-prod`."""
    if kind not in SYSTEM_ACTOR_KINDS:
        raise InvalidCommandError(
            f"unknown system actor kind {kind!r}; one of {', '.join(SYSTEM_ACTOR_KINDS)}"
        )
    name = name or _SYSTEM_DEFAULT_NAMES.get(kind, "")
    return ActorId(f"{kind}:{parse_actor(name)}")


def system_kind(actor: str) -> str | None:
    """The service kind of a system actor (`intake` for `intake:prom-prod`), else None."""
    kind, colon, name = actor.partition(":")
    if colon and kind in SYSTEM_ACTOR_KINDS and _ACTOR_ID.fullmatch(name):
        return kind
    return None


def is_system_actor(actor: str) -> bool:
    return system_kind(actor) is not None


def format_incident_id(day: date, number: int) -> IncidentId:
    """The id of the `number`-th incident declared on `day` (UTC): INC-YYYYMMDD-NNN."""
    return IncidentId(f"INC-{day:%Y%m%d}-{number:03d}")


def parse_incident_id(text: str) -> IncidentId:
    """Accept only well-formed incident ids, so a typo never reaches the store."""
    if not _INCIDENT_ID.fullmatch(text):
        raise InvalidCommandError(f"malformed incident id {text!r}; expected INC-YYYYMMDD-NNN")
    return IncidentId(text)


def parse_actor(text: str) -> ActorId:
    """Actor ids are plain handles (letters, digits, . _ @ + -) so they print and hash cleanly."""
    if not _ACTOR_ID.fullmatch(text):
        raise InvalidCommandError(
            f"invalid actor {text!r}; use 1-64 letters, digits or . _ @ + - (starting alphanumeric)"
        )
    return ActorId(text)


# Unicode categories of characters that draw nothing or steer the display instead: controls
# (C0, DEL, C1), format characters (bidi overrides, zero-width joiners, soft hyphen, tags…),
# lone surrogates, unassigned code points (a newer terminal may give them any meaning) and the
# line and paragraph separators.
_NON_PRINTING_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})
# Letters that Unicode files as ordinary but that every font draws as nothing (Hangul fillers).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def is_non_printing(char: str) -> bool:
    """True for a character a reader cannot see, or one a terminal would obey rather than show."""
    return char in _BLANK_LETTERS or unicodedata.category(char) in _NON_PRINTING_CATEGORIES


def has_visible_text(text: str) -> bool:
    """True when something is left to read once whitespace and non-printing characters go."""
    return any(not char.isspace() and not is_non_printing(char) for char in text)


def require_text(field: str, value: str, *, limit: int = 10_000) -> str:
    """Strip and insist on non-empty, visible, bounded free text.

    Text made only of controls or invisible characters (a zero-width space, a bidi override)
    would show as nothing in every view, so it is refused like empty text.
    """
    cleaned = value.strip()
    if not cleaned:
        raise InvalidCommandError(f"{field} must not be empty")
    if not has_visible_text(cleaned):
        raise InvalidCommandError(
            f"{field} has nothing visible: only whitespace, control or invisible characters"
        )
    if len(cleaned) > limit:
        raise InvalidCommandError(f"{field} is {len(cleaned)} characters; the limit is {limit}")
    return cleaned


class Status(StrEnum):
    """Where an incident is in its life; `mitigated` is the seeds' "monitoring"."""

    DECLARED = "declared"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MITIGATING = "mitigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


_ORDER = tuple(Status)


def _forward_from(status: Status) -> frozenset[Status]:
    """Any later status short of closed: responders may skip steps (stabilise first)."""
    later = _ORDER[_ORDER.index(status) + 1 :]
    return frozenset(s for s in later if s is not Status.CLOSED)


# Forward moves may skip steps; the one way back is a regression from mitigated to mitigating;
# closed is reachable only from resolved and is final.
TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    **{status: _forward_from(status) for status in _ORDER[:-2]},
    Status.MITIGATED: frozenset({Status.MITIGATING, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def parse_status(text: str) -> Status:
    """Map user text to a Status ("monitoring" is accepted for mitigated, as the seeds say)."""
    key = text.strip().lower()
    if key == "monitoring":
        return Status.MITIGATED
    try:
        return Status(key)
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise InvalidCommandError(f"unknown status {text!r}; allowed: {allowed}") from None


def check_transition(current: Status, target: Status) -> None:
    """Raise InvalidTransitionError unless the lifecycle allows current → target."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "nothing (closed is final)"
        raise InvalidTransitionError(
            f"illegal transition {current.value} → {target.value}; from {current.value} allowed: "
            f"{options}"
        )


@dataclass(frozen=True)
class SeverityLevel:
    """One rung of a ladder. `rank` orders rungs (higher is worse); the name's digit never does."""

    name: str
    rank: int
    description: str
    update_cadence_minutes: int | None
    response_target: str
    customer_notice_minutes: int | None = None
    required_roles: tuple[str, ...] = ()
    freeze: bool = False
    # Built-in checklists (names in BUILTIN_CHECKLISTS) attached to incidents at this level.
    checklists: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ladder:
    """A named severity ladder; lookups are case-insensitive and accept a bare digit."""

    name: str
    levels: tuple[SeverityLevel, ...]

    def __post_init__(self) -> None:
        names = [level.name.upper() for level in self.levels]
        ranks = [level.rank for level in self.levels]
        if not self.levels:
            raise InvalidCommandError(f"ladder {self.name!r} has no levels")
        if len(set(names)) != len(names):
            raise InvalidCommandError(f"ladder {self.name!r} repeats a level name")
        if len(set(ranks)) != len(ranks):
            raise InvalidCommandError(f"ladder {self.name!r} repeats a rank")

    def level(self, text: str) -> SeverityLevel:
        """Find a level by name ("SEV1", "sev1" and "1" all name SEV1)."""
        key = text.strip().upper()
        if key.isdigit():
            key = f"SEV{key}"
        for level in self.levels:
            if level.name.upper() == key:
                return level
        allowed = ", ".join(level.name for level in self.ordered())
        raise InvalidCommandError(
            f"unknown severity {text!r} for ladder {self.name}; allowed: {allowed}"
        )

    def ordered(self) -> tuple[SeverityLevel, ...]:
        """Levels from worst to least severe, by rank."""
        return tuple(sorted(self.levels, key=lambda level: -level.rank))


@dataclass(frozen=True)
class RoleSpec:
    """An incident role; `multiple` roles (SMEs) may be held by several people at once."""

    key: str
    title: str
    multiple: bool = False


@dataclass(frozen=True)
class Roster:
    """The configured set of incident roles."""

    roles: tuple[RoleSpec, ...]

    def get(self, text: str) -> RoleSpec:
        """Find a role by key ("ic", "tech-lead" or "tech_lead") or by its title."""
        key = text.strip().lower().replace("-", "_")
        for role in self.roles:
            if key in (role.key, role.title.lower()):
                return role
        allowed = ", ".join(role.key for role in self.roles)
        raise InvalidCommandError(f"unknown role {text!r}; allowed: {allowed}")


DEFAULT_ROSTER = Roster(
    roles=(
        RoleSpec("ic", "Incident Commander"),
        RoleSpec("tech_lead", "Ops/Tech Lead"),
        RoleSpec("comms", "Comms Lead"),
        RoleSpec("scribe", "Scribe"),
        RoleSpec("governance_steward", "Governance Steward"),
        RoleSpec("security_lead", "Security Lead"),
        RoleSpec("sme", "SME", multiple=True),
    )
)


def iso_utc(moment: datetime) -> str:
    """Render an aware datetime as UTC ISO 8601 with a Z, microseconds kept (events sort by it)."""
    if moment.tzinfo is None:
        raise InvalidCommandError(f"timestamp {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_when(field: str, text: str) -> datetime:
    """Parse a user timestamp (ISO 8601; naive means UTC) into an aware UTC datetime."""
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("z", "Z"))
        # An offset can push year 1 or 9999 off the calendar: that is malformed too.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidCommandError(
            f"malformed {field} {text!r}; expected ISO 8601 like 2026-11-23T14:02Z"
        ) from None


def parse_day(field: str, text: str) -> date:
    """Parse a calendar date (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidCommandError(f"malformed {field} {text!r}; expected YYYY-MM-DD") from None


_DURATION = re.compile(r"(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?")


def parse_duration(field: str, text: str) -> timedelta:
    """Parse a duration like 2h, 30m, 1d or 1h30m (each part at most nine digits)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None:
        raise InvalidCommandError(
            f"malformed {field} {text!r}; expected a duration like 2h, 30m or 1h30m"
        )
    days, hours, minutes = (int(part or 0) for part in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes)
    except OverflowError:
        raise InvalidCommandError(f"{field} {text!r} is too long") from None


# The one rule for user-given times. An *observed* time (when something happened) lies within
# the incident: from its lead-in (LEAD_IN before it started: the deploy that caused it) up to
# fireline's clock plus the skew two machines' clocks may differ by. A *planned* time (when
# something will happen) lies ahead: not in the past, and not beyond a horizon, so a far-off
# promise cannot satisfy a deadline.
CLOCK_SKEW = timedelta(minutes=5)
LEAD_IN = timedelta(hours=24)
# How long before its declaration an incident may have been detected, and how long before the
# incident started evidence may have been captured (last week's dashboard export).
DETECTION_LOOKBACK = timedelta(days=90)
# How far ahead an update may be promised at a level with no update cadence ("as needed").
UNCADENCED_UPDATE_HORIZON = timedelta(days=7)
# How many days ahead a due date (action item, postmortem) may lie.
DUE_HORIZON_DAYS = 366


def _stamp(moment: datetime) -> str:
    """A time in a message, to the minute; isoformat keeps year 1 as 0001 (strftime drops it)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="minutes") + "Z"


def _not_ahead(field: str, moment: datetime, now: datetime) -> datetime:
    if moment - now > CLOCK_SKEW:
        raise InvalidCommandError(
            f"{field} {_stamp(moment)} is in the future (now is {_stamp(now)}; clocks may differ "
            f"by {CLOCK_SKEW.seconds // 60} min at most)"
        )
    return moment


def check_observed(
    field: str,
    moment: datetime,
    *,
    now: datetime,
    start: datetime,
    lead_in: timedelta = LEAD_IN,
) -> datetime:
    """A time something happened on an incident that started at `start`; InvalidCommandError
    unless start - lead_in <= moment <= now + CLOCK_SKEW."""
    earliest = start - lead_in
    if moment < earliest:
        raise InvalidCommandError(
            f"{field} {_stamp(moment)} is too long before the incident started "
            f"({_stamp(start)}); at most {_span(lead_in)} "
            f"before it (from {_stamp(earliest)})"
        )
    return _not_ahead(field, moment, now)


def check_detected(field: str, moment: datetime, *, now: datetime) -> datetime:
    """When an incident being declared now was detected: within DETECTION_LOOKBACK before now."""
    earliest = now - DETECTION_LOOKBACK
    if moment < earliest:
        raise InvalidCommandError(
            f"{field} {_stamp(moment)} is more than {DETECTION_LOOKBACK.days} days ago "
            f"(from {_stamp(earliest)})"
        )
    return _not_ahead(field, moment, now)


def update_horizon(cadence_minutes: int | None) -> timedelta:
    """How far ahead the next update may be promised: one cadence, or a week without one."""
    if cadence_minutes is None:
        return UNCADENCED_UPDATE_HORIZON
    return timedelta(minutes=cadence_minutes)


def check_planned(field: str, moment: datetime, *, now: datetime, horizon: timedelta) -> datetime:
    """A planned time: InvalidCommandError unless now < moment <= now + horizon."""
    if moment <= now:
        raise InvalidCommandError(f"{field} {_stamp(moment)} is not in the future")
    if moment - now > horizon:
        raise InvalidCommandError(
            f"{field} {_stamp(moment)} is too far ahead; at most {_span(horizon)} from now "
            f"(by {_stamp(now + horizon)})"
        )
    return moment


def check_due(field: str, day: date, *, today: date) -> date:
    """A due date: from `today` (UTC) to DUE_HORIZON_DAYS ahead."""
    if day < today:
        raise InvalidCommandError(f"{field} {day.isoformat()} is in the past")
    last = today + timedelta(days=DUE_HORIZON_DAYS)
    if day > last:
        raise InvalidCommandError(
            f"{field} {day.isoformat()} is too far ahead; at most {DUE_HORIZON_DAYS} days "
            f"(by {last.isoformat()})"
        )
    return day


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0:
        return plural(minutes // 1440, "day")
    if minutes % 60 == 0:
        return plural(minutes // 60, "hour")
    return plural(minutes, "minute")


def plural(count: int, noun: str) -> str:
    """`1 runbook`, `2 runbooks`: counts in messages and summaries."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


_BYTE_UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}
_BYTE_SIZE = re.compile(r"(\d+)\s*([a-z]*)")


def parse_byte_size(field: str, text: str) -> int:
    """A size above 0 like `1GiB`, `512 MiB` or `1048576` (bytes); binary units only, so a
    limit means the same to everyone (no guessing whether MB is 10^6 or 2^20)."""
    match = _BYTE_SIZE.fullmatch(text.strip().lower())
    unit = _BYTE_UNITS.get(match.group(2)) if match else None
    if match is None or unit is None or int(match.group(1)) == 0:
        raise InvalidCommandError(
            f"malformed {field} {text!r}; expected a size above 0 like 1GiB, 512MiB or 1048576"
        )
    return int(match.group(1)) * unit


def format_byte_size(size: int) -> str:
    """`1 GiB` when the size is a whole number of a binary unit, else `1,500 bytes`."""
    for name, unit in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size:,} byte{'' if size == 1 else 's'}"
