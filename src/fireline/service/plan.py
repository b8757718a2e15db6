"""What handlers see and return: the `Call` (inputs) and the `Plan` (events to append).

Also the small validators handlers share. Handlers never write; `service.execute` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from fireline import queries
from fireline.domain import (
    LEAD_IN,
    ActorId,
    IncidentId,
    Status,
    check_detected,
    check_observed,
    has_visible_text,
    iso_utc,
    require_text,
)
from fireline.errors import InvalidCommandError
from fireline.service.context import Context


@dataclass(frozen=True)
class Plan:
    """What a handler decided: the events to append, any payloads to erase, and the file
    steps that must be durable before the commit (`effects`: evidence blobs moved into place).

    `service.execute` runs the effects after the events are appended and projected, so a
    command refused by its handler or by the policy never reaches them.
    """

    incident_id: IncidentId
    drafts: list[tuple[str, dict[str, Any]]]
    erase: tuple[int, ...] = ()
    effects: tuple[Callable[[], object], ...] = ()


@dataclass(frozen=True)
class Call:
    """One execution's inputs as handlers see them."""

    conn: Connection
    ctx: Context
    now: datetime
    actor: ActorId
    state: queries.IncidentState | None = field(default=None)

    @property
    def incident(self) -> queries.IncidentState:
        assert self.state is not None, "handler for an existing incident called without state"
        return self.state


def require_open(call: Call) -> queries.IncidentState:
    state = call.incident
    if state.status is Status.CLOSED:
        raise InvalidCommandError(
            f"{state.id} is closed; only corrections, erasures and action items can be recorded"
        )
    return state


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)


def observed(
    call: Call, field: str, moment: datetime | None, *, lead_in: timedelta = LEAD_IN
) -> str | None:
    """A time something happened on the incident: within it (`domain.check_observed`)."""
    if moment is None:
        return None
    start = datetime.fromisoformat(call.incident.started_at)
    return iso_utc(check_observed(field, moment, now=call.now, start=start, lead_in=lead_in))


def detected(field: str, moment: datetime | None, now: datetime) -> str | None:
    """When an incident being declared was detected (`domain.check_detected`)."""
    return None if moment is None else iso_utc(check_detected(field, moment, now=now))


def today(call: Call) -> date:
    """The UTC calendar day due dates are measured from."""
    return call.now.astimezone(UTC).date()


def due_after(now: datetime, cadence: int | None) -> str | None:
    return None if cadence is None else iso_utc(now + timedelta(minutes=cadence))


def cadence_due(call: Call, state: queries.IncidentState, cadence: int | None) -> str | None:
    """When the ladder's cadence wants the next update; the cadence ends at resolution."""
    return None if state.status is Status.RESOLVED else due_after(call.now, cadence)


def priority(text: str) -> str:
    """An action item's priority (P0–P3, any case); InvalidCommandError otherwise."""
    from fireline.domain import PRIORITIES

    value = text.strip().upper()
    if value not in PRIORITIES:
        raise InvalidCommandError(f"unknown priority {text!r}; allowed: {', '.join(PRIORITIES)}")
    return value


def choices(field: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> list[str]:
    for value in values:
        if value not in allowed:
            raise InvalidCommandError(f"unknown {field} {value!r}; allowed: {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def slugs(field: str, values: tuple[str, ...]) -> list[str]:
    cleaned = [require_text(field, value, limit=200) for value in values]
    return list(dict.fromkeys(cleaned))


def dataset(text: str) -> dict[str, Any]:
    dataset_id, _, version = require_text("dataset", text, limit=200).partition(":")
    if not dataset_id:
        raise InvalidCommandError(f"malformed dataset {text!r}; expected ID or ID:VERSION")
    return {"dataset_id": dataset_id, "version_id": version or None}


def refs(refs: tuple[str, ...]) -> list[str]:
    for ref in refs:
        kind, sep, value = ref.partition(":")
        if not (sep and has_visible_text(kind) and has_visible_text(value)):
            raise InvalidCommandError(f"malformed ref {ref!r}; expected KIND:ID like deploy:9a1b7d")
    return list(refs)
