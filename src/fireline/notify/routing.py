"""Which events a subscription names, and who may hear about an incident at all.

Pure rules, no I/O. A subscription names events by short names (`declared`, `update`, …); an
event kind maps to at most one. Need-to-know holds outside fireline too: a restricted incident
reaches only channels marked restricted, a drill only channels marked for drills, and
`notification.*` (the delivery records themselves) never match anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fireline.errors import InvalidCommandError

# Subscription event name → the event kinds (exact, or a prefix ending in ".") it covers.
EVENT_NAMES: dict[str, tuple[str, ...]] = {
    "declared": ("incident.declared",),
    "severity": ("severity.changed",),
    "status": ("status.changed",),
    "update": ("update.published",),
    "role": ("role.",),
    "entry": ("entry.",),
    "evidence": ("evidence.added",),
    "reminder": ("update.reminder",),
    "overdue": ("update.overdue",),
    "obligation": ("obligation.",),
    "postmortem": ("postmortem.",),
    "alert": ("alert.", "intake."),
    "switch": ("switch.",),
}
# The default bundle's restricted label (policy/bundle/visibility.rego `restricted_labels`).
RESTRICTED_LABELS = frozenset({"restricted"})


def event_name(kind: str) -> str | None:
    """The subscription name covering `kind`, or None (never for `notification.*`)."""
    if kind.startswith("notification."):
        return None
    for name, patterns in EVENT_NAMES.items():
        for pattern in patterns:
            if kind == pattern or (pattern.endswith(".") and kind.startswith(pattern)):
                return name
    return None


def parse_event_names(values: Iterable[str]) -> list[str]:
    """Split and check `--events declared,severity`; unknown names are refused."""
    names = [v.strip().lower() for value in values for v in value.split(",") if v.strip()]
    if not names:
        raise InvalidCommandError(f"give --events, some of: {', '.join(EVENT_NAMES)}")
    for name in names:
        if name not in EVENT_NAMES:
            raise InvalidCommandError(
                f"unknown event name {name!r}; allowed: {', '.join(EVENT_NAMES)}"
            )
    return list(dict.fromkeys(names))


def split_list(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))


def is_restricted(labels: Sequence[str]) -> bool:
    return any(label in RESTRICTED_LABELS for label in labels)


def may_hear(
    *, restricted: bool, drill: bool, channel_restricted: bool, channel_drills: bool
) -> bool:
    """Need-to-know outside: restricted incidents to restricted channels, drills to drill ones."""
    return (channel_restricted or not restricted) and (channel_drills or not drill)


def matches(
    *,
    name: str,
    severity: str,
    labels: Sequence[str],
    events: Sequence[str],
    severities: Sequence[str],
    wanted_labels: Sequence[str],
) -> bool:
    """A subscription's filter: its events, severities ([] = any) and labels ([] = any)."""
    return (
        name in events
        and (not severities or severity in severities)
        and (not wanted_labels or any(label in labels for label in wanted_labels))
    )
