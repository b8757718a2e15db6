"""Commands: one frozen, keyword-only dataclass per kind of write. Plain data, imperative names.

Adapters build these from user input; `service.execute` is the only thing that acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fireline.domain import IncidentId


@dataclass(frozen=True, kw_only=True)
class Declare:
    title: str
    severity: str
    impact: str = ""
    systems: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    ic: str | None = None
    detected_at: datetime | None = None
    drill: bool = False  # an exercise: never freezes deploys, labelled DRILL everywhere


@dataclass(frozen=True, kw_only=True)
class AssignRole:
    incident_id: IncidentId
    role: str
    holder: str


@dataclass(frozen=True, kw_only=True)
class OverrideRole:
    """A registry admin staffs an incident past its IC (or its need-to-know): handover when the
    IC cannot be reached. The reason is required and recorded."""

    incident_id: IncidentId
    role: str
    holder: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReleaseRole:
    incident_id: IncidentId
    role: str
    holder: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeSeverity:
    incident_id: IncidentId
    severity: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Transition:
    incident_id: IncidentId
    status: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    incident_id: IncidentId
    kind: str
    text: str
    refs: tuple[str, ...] = ()
    why: str | None = None
    approver: str | None = None
    at: datetime | None = None
    partial: bool = False


@dataclass(frozen=True, kw_only=True)
class PublishUpdate:
    incident_id: IncidentId
    status: str | None = None
    impact: str = ""
    facts: tuple[str, ...] = ()
    hypotheses: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()
    next_update_at: datetime | None = None
    public: bool = False


@dataclass(frozen=True, kw_only=True)
class AddActionItem:
    incident_id: IncidentId
    title: str
    owner: str
    due: date | None = None
    priority: str = "P2"
    verification: str | None = None
    tracker: str | None = None


@dataclass(frozen=True, kw_only=True)
class CompleteActionItem:
    """Done: refused unless the item has its verification (given here if it had none)."""

    incident_id: IncidentId
    number: int
    note: str = ""
    verification: str | None = None


@dataclass(frozen=True, kw_only=True)
class VerifyActionItem:
    incident_id: IncidentId
    number: int
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class CorrectEntry:
    incident_id: IncidentId
    target_seq: int
    text: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class EraseEntry:
    incident_id: IncidentId
    target_seq: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class AddUser:
    name: str
    roles: tuple[str, ...]
    clearances: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UpdateUser:
    name: str
    roles: tuple[str, ...]
    clearances: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SetPassword:
    """A user's password, as its argon2id hash: the password itself never reaches a command.

    `must_change` marks a one-time password (the admin bootstrap, an admin's reset): the login
    refuses it until the user sets their own.
    """

    user: str
    password_hash: str
    must_change: bool = False


@dataclass(frozen=True, kw_only=True)
class CreateToken:
    """An API token for `user`, as the SHA-256 of its text: the text is shown once, never kept."""

    user: str
    token_id: str
    name: str
    scope: str
    sha256: str
    expires_in: timedelta


@dataclass(frozen=True, kw_only=True)
class RevokeToken:
    token_id: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ChangeTokenExpiry:
    token_id: str
    expires_in: timedelta


@dataclass(frozen=True, kw_only=True)
class LockAccount:
    """Too many failed logins: the account is locked until `until` (the throttle decided)."""

    user: str
    until: datetime
    failures: int


@dataclass(frozen=True, kw_only=True)
class SchedulePostmortem:
    """`due` given, or None: postmortem_business_days after the incident was resolved."""

    incident_id: IncidentId
    owner: str
    due: date | None = None


@dataclass(frozen=True, kw_only=True)
class DraftPostmortem:
    incident_id: IncidentId
    template: str


@dataclass(frozen=True, kw_only=True)
class EditPostmortem:
    incident_id: IncidentId
    section: str
    text: str
    external: bool = False


@dataclass(frozen=True, kw_only=True)
class SubmitPostmortem:
    incident_id: IncidentId
    reviewers: tuple[str, ...]
    external: bool = False


@dataclass(frozen=True, kw_only=True)
class ApprovePostmortem:
    incident_id: IncidentId
    external: bool = False


@dataclass(frozen=True, kw_only=True)
class PublishPostmortem:
    incident_id: IncidentId
    external: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordPostmortemOverdue:
    """Written by the deadline scheduler, never through a route."""

    incident_id: IncidentId
    due: date


@dataclass(frozen=True, kw_only=True)
class CompletePostmortem:
    incident_id: IncidentId
    link: str


@dataclass(frozen=True, kw_only=True)
class ReviewGovernance:
    incident_id: IncidentId
    outcome: str


@dataclass(frozen=True, kw_only=True)
class RequestGateException:
    incident_id: IncidentId
    gate: str
    justification: str


@dataclass(frozen=True, kw_only=True)
class ApproveGateException:
    incident_id: IncidentId
    exception_seq: int


@dataclass(frozen=True, kw_only=True)
class GrantBreakglass:
    incident_id: IncidentId
    to: str
    scope: str
    why: str
    expires_in: timedelta


@dataclass(frozen=True, kw_only=True)
class RevokeBreakglass:
    incident_id: IncidentId
    grant_seq: int
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class LiftFreeze:
    incident_id: IncidentId
    reason: str


@dataclass(frozen=True, kw_only=True)
class AttachRunbook:
    """Attach a runbook file's checklist: its bytes as read, where they came from, and the
    commit they are at when the file is clean in a git work tree."""

    incident_id: IncidentId
    path: str
    content: bytes
    git_commit: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckItem:
    """Check checklist items, all or none: one `checklist.item_checked` event per item.

    `items` are selections like `RBK-api-5xx-spike:3`, `mitigated:1-4` or `mitigated:1,3,5-6`;
    with `every`, they are checklist names and every unchecked item of each is checked.
    """

    incident_id: IncidentId
    items: tuple[str, ...]
    note: str = ""
    every: bool = False


@dataclass(frozen=True, kw_only=True)
class UncheckItem:
    """Uncheck checked items, all or none (the same selections as `CheckItem`)."""

    incident_id: IncidentId
    items: tuple[str, ...]
    note: str = ""
    every: bool = False


@dataclass(frozen=True, kw_only=True)
class EvidenceFile:
    """A file the evidence intake has already redacted, hashed and staged (see
    `service.evidence.staged_file`); `token` names the staging file the blob is placed from."""

    token: str
    name: str | None
    sha256: str
    size: int
    media_type: str
    scanned: bool
    redacted: tuple[tuple[str, int], ...] = ()
    sensitive: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AddEvidence:
    """Attach evidence to an incident: a staged `file`, or a `ref` (KIND:ID) kept elsewhere."""

    incident_id: IncidentId
    kind: str
    file: EvidenceFile | None = None
    ref: str | None = None
    note: str = ""
    source: str = ""
    captured_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RecordAccess:
    """A read of a restricted incident, written to its chain (the access trail)."""

    incident_id: IncidentId
    view: str


@dataclass(frozen=True, kw_only=True)
class RecordExport:
    """An export of an incident's record up to event `seq` (whose hash is `head`)."""

    incident_id: IncidentId
    masked: bool
    seq: int
    head: str
    seal_sha256: str
    timezone: str
    coordinate_precision: float
    archive: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordMilestone:
    """When impact began (`started`), was detected or acknowledged, if not when fireline saw it."""

    incident_id: IncidentId
    milestone: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordDrill:
    """A drill exercise done: its kind (from the programme) and outcome. Each finding becomes
    an action item owned by `owner` (default: whoever records the drill), due `due`."""

    incident_id: IncidentId
    kind: str
    outcome: str
    findings: tuple[str, ...] = ()
    owner: str | None = None
    due: date | None = None
    priority: str = "P2"


Command = (
    Declare
    | AssignRole
    | OverrideRole
    | ReleaseRole
    | ChangeSeverity
    | Transition
    | LogEntry
    | PublishUpdate
    | AddActionItem
    | CompleteActionItem
    | VerifyActionItem
    | CorrectEntry
    | EraseEntry
    | AddUser
    | UpdateUser
    | SetPassword
    | CreateToken
    | RevokeToken
    | ChangeTokenExpiry
    | LockAccount
    | SchedulePostmortem
    | CompletePostmortem
    | DraftPostmortem
    | EditPostmortem
    | SubmitPostmortem
    | ApprovePostmortem
    | PublishPostmortem
    | RecordPostmortemOverdue
    | ReviewGovernance
    | RequestGateException
    | ApproveGateException
    | GrantBreakglass
    | RevokeBreakglass
    | LiftFreeze
    | AttachRunbook
    | CheckItem
    | UncheckItem
    | AddEvidence
    | RecordAccess
    | RecordExport
    | RecordMilestone
    | RecordDrill
)
