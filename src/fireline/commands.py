"""Commands: one frozen, keyword-only dataclass per kind of write. Plain data, imperative names.

Adapters build these from user input; `service.execute` is the only thing that acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar

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
class AddChannel:
    """A notification channel. `url` (webhooks), `smtp_password` and `signing_secret` are
    secrets: the handler keeps them in `channel_secrets` and the event records their digest.
    They are never shown to the policy either (`secret_fields`)."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"url", "smtp_password", "signing_secret"})

    name: str
    kind: str
    url: str | None = None
    to: tuple[str, ...] = ()
    sender: str = ""
    smtp_host: str = ""
    smtp_port: int | None = None
    smtp_tls: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    signing_secret: str = ""
    restricted: bool = False
    drills: bool = False


@dataclass(frozen=True, kw_only=True)
class RemoveChannel:
    name: str


@dataclass(frozen=True, kw_only=True)
class Subscribe:
    """Send a channel the events (`declared`, `severity`, …) of matching incidents."""

    channel: str
    events: tuple[str, ...]
    severities: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DeliveryResult:
    """One outbox row's attempt: delivered (with the receiver's status) or failed (why)."""

    notification_id: str
    delivered: bool
    status: int | None = None
    reason: str = ""
    dead: bool = False
    retry_at: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordDelivery:
    """The outbox worker's results for rows of one incident, recorded on its chain.

    Only the notifier writes it (internal, no route); `lease_owner` must still hold every
    row's lease, so a worker whose lease ran out never records over another's attempt. One
    command per incident and round: one policy decision for all its delivery events.
    """

    incident_id: IncidentId
    lease_owner: str
    results: tuple[DeliveryResult, ...]


@dataclass(frozen=True, kw_only=True)
class AddSource:
    """Register an alert source: its name, kind and how its sender authenticates.

    Only a verifier of a bearer secret is recorded (its SHA-256); an HMAC key, which fireline
    must hold to check signatures, travels in `hmac_key` to the non-exported key table only.
    """

    name: str
    kind: str
    secret_sha256: str
    hmac_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class RemoveSource:
    name: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordAlerts:
    """One delivery from a source, already parsed into normalised alerts (`intake.formats`).

    `alerts` are plain dicts (fingerprint, status, starts_at, ends_at, labels, annotations,
    group_key, group_labels); the handler keeps only the state changes.
    """

    # The policy input shows the alerts by their count (governance._fields).
    policy_counts: ClassVar[frozenset[str]] = frozenset({"alerts"})

    source: str
    body_sha256: str
    alerts: tuple[dict[str, object], ...]
    truncated: int = 0


@dataclass(frozen=True, kw_only=True)
class RecordRouting:
    """What the routing rule decided for one changed alert group, and what intake did."""

    source: str
    group_id: str
    status: str
    action: str
    reason: str = ""
    incident_id: str | None = None
    severity: str | None = None
    suggestions: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True, kw_only=True)
class RecordDeadlines:
    """The deadline scheduler records what is due on an incident at `at`: a reminder before
    the next update, each missed update slot, each obligation that passed unmet."""

    incident_id: IncidentId
    at: datetime


@dataclass(frozen=True, kw_only=True)
class MeetObligation:
    """Someone records an obligation met (`at`: when it was, default now), with evidence."""

    incident_id: IncidentId
    name: str
    evidence: str
    at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class SetSwitch:
    """Flip a governed switch (or turn it back) on an incident's record; `approver` names who
    agreed when the switch's rules ask for one. `deploy-freeze` can only be lifted (`open`)."""

    incident_id: IncidentId
    name: str
    state: str
    reason: str
    approver: str | None = None


@dataclass(frozen=True, kw_only=True)
class HandOverSwitch:
    """`incident_id` takes over a switch another open incident left flipped, keeping its state,
    so the first incident may resolve."""

    incident_id: IncidentId
    name: str
    from_incident: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class MarkDataset:
    """A dataset (or one version) affected by the incident: suspected, confirmed, quarantined
    (the version's quarantine switch flips) or restored (it is released)."""

    incident_id: IncidentId
    dataset: str
    state: str
    reason: str
    approver: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckManifest:
    """A manifest checked against artifacts: the manifest's bytes as read, and the digests the
    artifacts hashed to (`observed`: sha256sum lines; absent files listed in `missing`)."""

    incident_id: IncidentId
    manifest_name: str
    manifest: bytes
    observed: tuple[str, ...]
    missing: tuple[str, ...] = ()
    root: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordReceipt:
    """A rebuild receipt: inputs and outputs by digest (`NAME@sha256:HEX`), validation results
    (`KEY=VALUE`) and the run's references (`KIND:ID`)."""

    incident_id: IncidentId
    kind: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    checks: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RecordStep:
    """A runbook step that changed state: the command run or the PR merged, the checks before
    and after, and optionally the config diff it applied and how to roll it back."""

    incident_id: IncidentId
    title: str
    command: str | None = None
    pr: str | None = None
    pre: tuple[str, ...] = ()
    post: tuple[str, ...] = ()
    diff: str | None = None
    diff_name: str | None = None
    rollback: str = ""


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
    | AddChannel
    | RemoveChannel
    | Subscribe
    | RecordDelivery
    | AddSource
    | RemoveSource
    | RecordAlerts
    | RecordRouting
    | RecordDeadlines
    | MeetObligation
    | SetSwitch
    | HandOverSwitch
    | MarkDataset
    | CheckManifest
    | RecordReceipt
    | RecordStep
    | RecordMilestone
    | RecordDrill
)
