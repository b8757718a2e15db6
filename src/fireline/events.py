"""The closed registry of event kinds and the payload schema of each.

An event kind not listed here cannot be written and fails verification. Payloads are validated
on the way in; once stored they are only ever read back (or erased, for entry kinds).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fireline.errors import InvalidCommandError


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Dataset(Payload):
    dataset_id: str
    version_id: str | None = None


class IncidentDeclared(Payload):
    title: str = Field(min_length=1)
    severity: str
    severity_rank: int
    ladder: str
    impact: str = ""
    systems: list[str] = []
    datasets: list[Dataset] = []
    labels: list[str] = []
    flags: list[str] = []
    detected_at: str | None = None
    next_update_at: str | None = None
    freeze: bool = False


class RoleAssigned(Payload):
    role: str
    holder: str
    replaces: str | None = None


class RoleReleased(Payload):
    role: str
    holder: str


class SeverityChanged(Payload):
    from_severity: str
    from_rank: int
    to_severity: str
    to_rank: int
    reason: str = Field(min_length=1)
    next_update_at: str | None = None
    freeze: bool = False


class StatusChanged(Payload):
    from_status: str
    to_status: str
    reason: str = ""


class Entry(Payload):
    text: str = Field(min_length=1)
    refs: list[str] = []
    at: str | None = None


class Decision(Entry):
    why: str = Field(min_length=1)
    approver: str | None = None


class RootCause(Entry):
    partial: bool = False


class UpdatePublished(Payload):
    number: int
    status: str
    impact: str = ""
    facts: list[str] = []
    hypotheses: list[str] = []
    actions: list[str] = []
    next_steps: list[str] = []
    next_update_at: str | None = None


class ActionItemAdded(Payload):
    number: int
    title: str = Field(min_length=1)
    owner: str
    due: str | None = None
    priority: str


class ActionItemCompleted(Payload):
    number: int
    note: str = ""


class EntryCorrected(Payload):
    target_seq: int
    text: str = Field(min_length=1)
    reason: str = ""


class EntryErased(Payload):
    target_seq: int
    reason: str = Field(min_length=1)


class UserRecord(Payload):
    name: str
    roles: list[str]
    clearances: list[str] = []


class PostmortemScheduled(Payload):
    due: str
    owner: str


class PostmortemCompleted(Payload):
    link: str = Field(min_length=1)


class GovernanceReviewed(Payload):
    outcome: str = Field(min_length=1)


class GateException(Payload):
    gate: str
    justification: str = Field(min_length=1)
    as_role: str


class GateApproved(Payload):
    exception_seq: int
    as_role: str


class BreakglassGranted(Payload):
    to: str
    scope: str = Field(min_length=1)
    why: str = Field(min_length=1)
    expires_at: str


class BreakglassRevoked(Payload):
    grant_seq: int
    reason: str = ""


class FreezeLifted(Payload):
    reason: str = Field(min_length=1)


class AccessRead(Payload):
    view: str


EVENT_KINDS: dict[str, type[Payload]] = {
    "incident.declared": IncidentDeclared,
    "role.assigned": RoleAssigned,
    "role.released": RoleReleased,
    "severity.changed": SeverityChanged,
    "status.changed": StatusChanged,
    "entry.fact": Entry,
    "entry.hypothesis": Entry,
    "entry.decision": Decision,
    "entry.mitigation": Entry,
    "entry.detection": Entry,
    "entry.root_cause": RootCause,
    "entry.corrected": EntryCorrected,
    "entry.erased": EntryErased,
    "update.published": UpdatePublished,
    "action_item.added": ActionItemAdded,
    "action_item.completed": ActionItemCompleted,
    "user.added": UserRecord,
    "user.updated": UserRecord,
    "postmortem.scheduled": PostmortemScheduled,
    "postmortem.completed": PostmortemCompleted,
    "governance.reviewed": GovernanceReviewed,
    "gate.exception": GateException,
    "gate.approved": GateApproved,
    "breakglass.granted": BreakglassGranted,
    "breakglass.revoked": BreakglassRevoked,
    "freeze.lifted": FreezeLifted,
    "access.read": AccessRead,
}
KNOWN_KINDS = frozenset(EVENT_KINDS)
# Entry kinds a correction may point at and an erasure may empty.
CORRECTABLE_KINDS = frozenset(
    {
        "entry.fact",
        "entry.hypothesis",
        "entry.decision",
        "entry.mitigation",
        "entry.detection",
        "entry.root_cause",
        "entry.corrected",
    }
)


def validate_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Check a payload against its kind's schema and return it in canonical (dumped) form."""
    schema = EVENT_KINDS.get(kind)
    if schema is None:
        raise InvalidCommandError(f"unknown event kind {kind!r}")
    try:
        return schema.model_validate(payload).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise InvalidCommandError(f"invalid {kind} payload: {where}: {first['msg']}") from None
