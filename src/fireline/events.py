"""The closed registry of event kinds and the payload schema of each.

An event kind not listed here cannot be written and fails verification. Payloads are validated
on the way in; once stored they are only ever read back (or erased, for entry kinds).

Every string in a payload is free text to the redactor (service.execute redacts them all before
validation) unless its schema lists the field in `verbatim` (digests, ids, media types: values
a custom rule must never rewrite). Each event written since redaction also carries the summary
fields `redacted` (secret type → count) and `sensitive` (PII kinds kept); see RedactionSummary.
Fields a schema lists in `names` name someone or something (a user, a role holder, an owner):
they are never redacted but refused when a detector finds a secret in them, so a credential
cannot become a name. An event recorded `--as` someone else carries `asserted_by`
(see Attribution).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fireline.errors import InvalidCommandError


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    # Fields whose strings redaction leaves untouched (structural values, never free text).
    verbatim: ClassVar[frozenset[str]] = frozenset()
    # Fields that name someone or something: refused, not redacted, if they hold a secret.
    names: ClassVar[frozenset[str]] = frozenset()
    # Bulk list fields the policy input shows by their length only (a delivery's alerts).
    policy_counts: ClassVar[frozenset[str]] = frozenset()


class RedactionSummary(Payload):
    """What redaction did to an event's strings: secret types and counts, PII kinds kept.

    Never a value. Kept beside (not inside) each kind's schema so every kind, including ones
    added later, records it without declaring it.
    """

    redacted: dict[str, int] = {}
    sensitive: list[str] = []


SUMMARY_FIELDS = frozenset(RedactionSummary.model_fields)


class Attribution(Payload):
    """Who asserted the event's actor: the local identity that ran the command `--as` them.

    Present only when the two differ (a registry admin acting for someone, or anyone while the
    registry is empty), beside each kind's schema like the redaction summary.
    """

    asserted_by: str


ATTRIBUTION_FIELDS = frozenset(Attribution.model_fields)
SIDE_FIELDS = SUMMARY_FIELDS | ATTRIBUTION_FIELDS


class Dataset(Payload):
    dataset_id: str
    version_id: str | None = None


class ChecklistEntry(Payload):
    """One `- [ ]` item of an attached runbook; `number` is its place (1-based) in the file."""

    number: int = Field(ge=1)
    section: str
    text: str = Field(min_length=1)
    depth: int = Field(ge=0)
    line: int = Field(ge=1)


class RunbookAttached(Payload):
    """A runbook's checklist became part of the incident, as the runbook was then.

    Also the shape of each built-in stage checklist that `incident.declared` and
    `severity.changed` carry in their `checklists` (attached in the same event). The title,
    path and item texts are free text to the redactor; the id and digests are not.
    """

    verbatim: ClassVar[frozenset[str]] = frozenset(
        {"checklist", "sha256", "git_blob", "git_commit"}
    )

    checklist: str = Field(min_length=1)  # the runbook's id; items are addressed `<checklist>:<n>`
    title: str
    path: str
    builtin: bool
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    git_blob: str = Field(pattern=r"^[0-9a-f]{40}$")
    git_commit: str | None = None
    items: list[ChecklistEntry] = []


class IncidentDeclared(Payload):
    # The built-in checklists are fireline's own text, recorded with their digests, as shipped.
    verbatim: ClassVar[frozenset[str]] = frozenset({"checklists"})

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
    checklists: list[RunbookAttached] = []  # the level's built-in stage checklists
    drill: bool = False


class RoleAssigned(Payload):
    names: ClassVar[frozenset[str]] = frozenset({"role", "holder", "replaces"})

    role: str
    holder: str
    replaces: str | None = None


class RoleOverridden(RoleAssigned):
    """A registry admin staffed the incident over its IC (or past need-to-know), and why."""

    reason: str = Field(min_length=1)


class RoleReleased(Payload):
    names: ClassVar[frozenset[str]] = frozenset({"role", "holder"})

    role: str
    holder: str


class SeverityChanged(Payload):
    verbatim: ClassVar[frozenset[str]] = frozenset({"checklists"})

    from_severity: str
    from_rank: int
    to_severity: str
    to_rank: int
    reason: str = Field(min_length=1)
    next_update_at: str | None = None
    freeze: bool = False
    checklists: list[RunbookAttached] = []  # stage checklists the new level adds


class StatusChanged(Payload):
    from_status: str
    to_status: str
    reason: str = ""


class Entry(Payload):
    text: str = Field(min_length=1)
    refs: list[str] = []
    at: str | None = None


class Decision(Entry):
    names: ClassVar[frozenset[str]] = frozenset({"approver"})

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
    public: bool = False  # shown on the public status page (IC or comms lead only)


class ActionItemAdded(Payload):
    """An action item. `verification` (the test or monitor that proves the fix) and `tracker`
    (a link to an external issue) came later: events written before them have neither."""

    names: ClassVar[frozenset[str]] = frozenset({"owner"})
    verbatim: ClassVar[frozenset[str]] = frozenset({"tracker"})

    number: int
    title: str = Field(min_length=1)
    owner: str
    due: str | None = None
    priority: str
    verification: str | None = None
    tracker: str | None = None


class ActionItemCompleted(Payload):
    """Done; `verification` is given here when the item was added without one."""

    number: int
    note: str = ""
    verification: str | None = None


class ActionItemVerified(Payload):
    """The verification ran and proved the fix: done → verified."""

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
    names: ClassVar[frozenset[str]] = frozenset({"name", "roles", "clearances"})

    name: str
    roles: list[str]
    clearances: list[str] = []


ARGON2ID = r"^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$"


class PasswordSet(Payload):
    """A user's password verifier: an argon2id hash (PHC string), never the password.

    The hash lives in the event so the credentials table is a projection like every other
    (rebuilt, verifiable); a verifier is not the secret, and argon2id's cost makes guessing it
    offline expensive. The registry chain is never exported, and no view renders this field.
    """

    verbatim: ClassVar[frozenset[str]] = frozenset({"hash"})
    names: ClassVar[frozenset[str]] = frozenset({"user"})

    user: str
    hash: str = Field(pattern=ARGON2ID)
    must_change: bool = False


class TokenCreated(Payload):
    """An API token: its id, owner, name, scope, expiry and the SHA-256 of its text."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"id", "scope", "sha256", "expires_at"})
    names: ClassVar[frozenset[str]] = frozenset({"user"})

    id: str = Field(pattern=r"^[0-9a-f]{12}$")
    user: str
    name: str = Field(min_length=1)
    scope: str = Field(pattern=r"^(read|write|admin)$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    expires_at: str


class TokenRevoked(Payload):
    verbatim: ClassVar[frozenset[str]] = frozenset({"id"})
    names: ClassVar[frozenset[str]] = frozenset({"user"})

    id: str = Field(pattern=r"^[0-9a-f]{12}$")
    user: str
    reason: str = ""


class TokenExpiryChanged(Payload):
    verbatim: ClassVar[frozenset[str]] = frozenset({"id", "expires_at"})
    names: ClassVar[frozenset[str]] = frozenset({"user"})

    id: str = Field(pattern=r"^[0-9a-f]{12}$")
    user: str
    expires_at: str


class AccountLocked(Payload):
    """Failed logins reached the limit: the account refuses logins until `until`."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"until"})
    names: ClassVar[frozenset[str]] = frozenset({"user"})

    user: str
    until: str
    failures: int = Field(ge=1)


class PostmortemScheduled(Payload):
    """When the postmortem is due and who writes it. A due date computed from the resolution
    records how (`business_days` after `resolved_at`, `holidays` skipped); older events and an
    explicit `--due` have none of the three."""

    names: ClassVar[frozenset[str]] = frozenset({"owner"})
    verbatim: ClassVar[frozenset[str]] = frozenset({"due", "resolved_at"})

    due: str
    owner: str
    business_days: int | None = None
    resolved_at: str | None = None
    holidays: list[str] | None = None


class PostmortemSection(Payload):
    name: str = Field(min_length=1)
    text: str = Field(min_length=1)


class PostmortemDrafted(Payload):
    """A draft generated from the record up to event `through_seq`, in both versions: the
    internal one and the external one (written for sharing: no names, refs or restricted
    sections). Human edits are `postmortem.edited` events on top."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"template"})

    template: str
    through_seq: int = Field(ge=1)
    sections: list[PostmortemSection]
    external_sections: list[PostmortemSection]


class PostmortemEdited(Payload):
    """A human rewrote one section of one version; `reopened` when that version was in review
    or approved and goes back to draft (its approvals no longer hold)."""

    section: str = Field(min_length=1)
    text: str = Field(min_length=1)
    external: bool = False
    reopened: bool = False


class PostmortemSubmitted(Payload):
    names: ClassVar[frozenset[str]] = frozenset({"reviewers"})

    external: bool = False
    reviewers: list[str] = Field(min_length=1)


class PostmortemApproved(Payload):
    """One reviewer's approval; `authors` are who wrote the version (the policy refuses an
    author's own approval); `complete` once every reviewer has approved."""

    names: ClassVar[frozenset[str]] = frozenset({"authors"})

    external: bool = False
    authors: list[str]
    complete: bool


class PostmortemPublished(Payload):
    external: bool = False


class PostmortemOverdue(Payload):
    """The postmortem was not published by its due date (recorded once per due date)."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"due"})

    due: str


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
    names: ClassVar[frozenset[str]] = frozenset({"to"})

    to: str
    scope: str = Field(min_length=1)
    why: str = Field(min_length=1)
    expires_at: str


class BreakglassRevoked(Payload):
    grant_seq: int
    reason: str = ""


class FreezeLifted(Payload):
    reason: str = Field(min_length=1)


class SwitchSet(Payload):
    """A governed switch flipped or turned back (`normal`), with the rules it was judged by:
    the roles that could flip it and whether an approver was needed, as configured then.
    `stable_at` (returned to normal + the stability window) is when `mitigated` may hold."""

    verbatim: ClassVar[frozenset[str]] = frozenset(
        {"switch", "state", "previous", "allowed_roles", "stable_at", "kind"}
    )
    names: ClassVar[frozenset[str]] = frozenset({"approver"})

    switch: str = Field(min_length=1)
    kind: str = "switch"
    state: str = Field(min_length=1)
    previous: str = Field(min_length=1)
    normal: bool
    reason: str = Field(min_length=1)
    approver: str | None = None
    allowed_roles: list[str] = []
    approver_required: bool = False
    stable_at: str | None = None


class SwitchHandedOver(Payload):
    """This incident took over a switch another incident left flipped, in the same state."""

    verbatim: ClassVar[frozenset[str]] = frozenset(
        {"switch", "state", "from_incident", "allowed_roles", "kind"}
    )

    switch: str = Field(min_length=1)
    kind: str = "switch"
    state: str = Field(min_length=1)
    from_incident: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    allowed_roles: list[str] = []
    approver_required: bool = False
    approver: str | None = None


class DatasetMarked(Payload):
    """A dataset or version's state on the incident: suspected, confirmed, quarantined,
    restored. Quarantining or restoring a version carries its quarantine switch's rules."""

    verbatim: ClassVar[frozenset[str]] = frozenset(
        {"dataset_id", "version_id", "state", "allowed_roles", "stable_at"}
    )
    names: ClassVar[frozenset[str]] = frozenset({"approver"})

    dataset_id: str = Field(min_length=1)
    version_id: str | None = None
    state: str = Field(pattern=r"^(suspected|confirmed|quarantined|restored)$")
    reason: str = Field(min_length=1)
    approver: str | None = None
    allowed_roles: list[str] = []
    approver_required: bool = False
    stable_at: str | None = None


class ManifestFile(Payload):
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ManifestMismatch(Payload):
    path: str
    expected: str = Field(pattern=r"^[0-9a-f]{64}$")
    actual: str = Field(pattern=r"^[0-9a-f]{64}$")


class ManifestChecked(Payload):
    """Artifacts hashed against a manifest: what matched, what did not, what was absent, and
    the manifest's own digest (so the manifest checked is itself pinned)."""

    verbatim: ClassVar[frozenset[str]] = frozenset(
        {"manifest_sha256", "format", "matched", "mismatched", "missing"}
    )

    manifest: str = Field(min_length=1)
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    format: str = Field(pattern=r"^(sha256sum|json)$")
    root: str = ""
    matched: list[ManifestFile] = []
    mismatched: list[ManifestMismatch] = []
    missing: list[str] = []


class Artifact(Payload):
    name: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class CheckResult(Payload):
    name: str = Field(min_length=1)
    result: str = Field(min_length=1)


class ReceiptRecorded(Payload):
    """A rebuild receipt: inputs and outputs by digest, validation results, the run's refs."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"kind", "inputs", "outputs"})

    kind: str = Field(pattern=r"^rebuild$")
    inputs: list[Artifact] = Field(min_length=1)
    outputs: list[Artifact] = Field(min_length=1)
    checks: list[CheckResult] = []
    refs: list[str] = []


class StepRecorded(Payload):
    """A state-changing runbook step: what ran (a command or a PR), the checks before and
    after, and optionally the config diff it applied and its rollback."""

    title: str = Field(min_length=1)
    command: str | None = None
    pr: str | None = None
    pre: list[str] = []
    post: list[str] = []
    diff: str | None = None
    diff_name: str | None = None
    rollback: str = ""


class EvidenceAdded(Payload):
    """A file (by digest: `sha256` names the stored, redacted blob) or a reference (`ref`).

    The redaction summary (`redacted`, `sensitive`; see RedactionSummary) covers the file's
    stream findings, which the handler puts there, merged with those of the text fields;
    `scanned` is false for a file stored unscanned (not text).
    """

    verbatim: ClassVar[frozenset[str]] = frozenset({"kind", "sha256", "media_type"})

    number: int
    kind: str
    ref: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    size: int | None = None
    media_type: str | None = None
    name: str | None = None
    source: str = ""
    captured_at: str | None = None
    note: str = ""
    scanned: bool = False


class AccessRead(Payload):
    view: str


class ExportCreated(Payload):
    """A workspace export: what it covers, masked or not, and the digest of its signed seal."""

    verbatim: ClassVar[frozenset[str]] = frozenset(
        {"head", "seal_sha256", "timezone", "coordinate_precision"}
    )
    masked: bool
    seq: int
    head: str = Field(pattern=r"^[0-9a-f]{64}$")
    seal_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    timezone: str
    coordinate_precision: str
    archive: bool = False


class ChecklistMark(Payload):
    verbatim: ClassVar[frozenset[str]] = frozenset({"checklist"})

    checklist: str = Field(min_length=1)
    number: int = Field(ge=1)
    note: str = ""


class ChannelAdded(Payload):
    """A notification channel (registry chain). Its secret (webhook URL, SMTP password,
    signing key) is not here: `secret_sha256` digests it and `channel_secrets` holds it."""

    verbatim: ClassVar[frozenset[str]] = frozenset(
        {"kind", "secret_sha256", "smtp_tls", "url_host", "smtp_host"}
    )
    names: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str = Field(min_length=1)
    kind: str
    restricted: bool = False
    drills: bool = False
    url_host: str = ""  # where a webhook posts (host only: the path is the secret)
    to: list[str] = []
    sender: str = ""
    smtp_host: str = ""
    smtp_port: int | None = None
    smtp_tls: str = ""
    smtp_user: str = ""
    secret_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ChannelRemoved(Payload):
    names: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str = Field(min_length=1)


class SubscriptionAdded(Payload):
    """Which incidents' events a channel hears: severities and labels ([] = any), events."""

    names: ClassVar[frozenset[str]] = frozenset({"channel", "severities", "events"})

    channel: str = Field(min_length=1)
    severities: list[str] = []
    events: list[str] = Field(min_length=1)
    labels: list[str] = []


class NotificationRecord(Payload):
    """What every delivery record names: the channel, the notification and its event."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"notification_id", "event_kind"})
    names: ClassVar[frozenset[str]] = frozenset({"channel"})

    channel: str
    notification_id: str
    event_seq: int = Field(ge=1)
    event_kind: str
    attempt: int = Field(ge=1)


class NotificationDelivered(NotificationRecord):
    """The receiver took the notification: its status (HTTP, or SMTP 250)."""

    status: int


class NotificationFailed(NotificationRecord):
    """An attempt failed, and why; `dead` when no further attempt will be made."""

    reason: str = Field(min_length=1)
    dead: bool = False


class SourceAdded(Payload):
    """An alert source: its name, kind, how it authenticates and the SHA-256 of its bearer
    secret (an HMAC key is never recorded: it lives in the non-exported `alert_source_keys`)."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"kind", "auth", "secret_sha256"})
    names: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    kind: str = Field(pattern=r"^(alertmanager|pagerduty|grafana|generic)$")
    auth: str = Field(pattern=r"^(bearer|hmac)$")
    secret_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class SourceRemoved(Payload):
    names: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str
    reason: str = ""


class AlertRecord(Payload):
    """One alert state change as received (labels and annotations redacted)."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"fingerprint", "status", "group_id"})

    fingerprint: str = Field(min_length=1, max_length=200)
    status: str = Field(pattern=r"^(firing|resolved)$")
    starts_at: str | None = None
    ends_at: str | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    group_id: str = Field(pattern=r"^[0-9a-f]{16}$")


class AlertGroupChange(Payload):
    """A group's state after a delivery: how many alerts fire, and whether it changed status
    (`previous` is None for a new group) or is flapping (the intake flap window, decided once
    here so replays never read configuration)."""

    id: str = Field(pattern=r"^[0-9a-f]{16}$")
    key: str
    labels: dict[str, str] = {}
    status: str = Field(pattern=r"^(firing|resolved)$")
    previous: str | None = None
    firing: int
    total: int
    flapping: bool = False
    transitions: list[str] = []


class AlertsReceived(Payload):
    """The alert state changes of one delivery, with the digest of the body as received."""

    # Records are redacted by the handler in one pass (service/alerts.py), not string by string.
    verbatim: ClassVar[frozenset[str]] = frozenset({"body_sha256", "alerts", "groups"})
    names: ClassVar[frozenset[str]] = frozenset({"source"})
    policy_counts: ClassVar[frozenset[str]] = frozenset({"alerts", "groups"})

    source: str
    body_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    alerts: list[AlertRecord]
    groups: list[AlertGroupChange]
    truncated: int = 0


class AlertRouted(Payload):
    """What the routing rule decided for a changed group and what intake did about it."""

    verbatim: ClassVar[frozenset[str]] = frozenset(
        {"group_id", "status", "action", "incident_id", "severity", "suggestions"}
    )
    names: ClassVar[frozenset[str]] = frozenset({"source"})

    source: str
    group_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    status: str = Field(pattern=r"^(firing|resolved)$")
    action: str = Field(pattern=r"^(ignore|record|attach|declare|flapping|undecided|resolved)$")
    reason: str = ""
    incident_id: str | None = None
    severity: str | None = None
    suggestions: list[dict[str, Any]] = []


class UpdateReminder(Payload):
    """The next status update is due soon: who is reminded (the IC and the Comms Lead)."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"due_at", "severity"})
    names: ClassVar[frozenset[str]] = frozenset({"ic", "comms"})

    due_at: str
    severity: str
    ic: list[str] = []
    comms: list[str] = []
    minutes_left: int = Field(ge=0)


class UpdateOverdue(Payload):
    """An update slot passed with no update published: recorded once per slot."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"due_at", "severity", "last_update_at"})

    due_at: str
    slot: int = Field(ge=1)  # 1: the promised time; 2: one cadence later …
    severity: str
    last_update_at: str | None = None
    late_minutes: int = Field(ge=0)


class ObligationOpened(Payload):
    """A deadline the incident now owes: from its ladder level, or a rule on a flag or label."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"name", "due_at", "source", "trigger"})
    names: ClassVar[frozenset[str]] = frozenset({"owner", "channels"})

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    owner: str
    due_at: str
    channels: list[str] = []
    source: str  # ladder, flag or label
    trigger: str  # the level, flag or label that opened it


class ObligationMet(Payload):
    """Someone recorded an obligation met, with the evidence (a delivery meets one by itself)."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"name", "met_at"})
    names: ClassVar[frozenset[str]] = frozenset({"owner"})

    name: str = Field(min_length=1)
    owner: str
    evidence: str = Field(min_length=1)
    met_at: str


class ObligationMissed(Payload):
    verbatim: ClassVar[frozenset[str]] = frozenset({"name", "due_at"})
    names: ClassVar[frozenset[str]] = frozenset({"owner"})

    name: str = Field(min_length=1)
    owner: str
    due_at: str


MILESTONES = ("started", "detected", "acknowledged")


class MilestoneRecorded(Payload):
    """When impact began, was detected or acknowledged, stated after the fact (metrics)."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"milestone", "at"})

    milestone: str = Field(pattern=r"^(started|detected|acknowledged)$")
    at: str
    note: str = ""


class DrillCompleted(Payload):
    """A drill exercise done on a drill incident: its kind, outcome, and the action items
    (by number, added in the same write) its findings became."""

    verbatim: ClassVar[frozenset[str]] = frozenset({"kind"})

    kind: str = Field(min_length=1)
    outcome: str = Field(min_length=1)
    findings: list[int] = []


EVENT_KINDS: dict[str, type[Payload]] = {
    "incident.declared": IncidentDeclared,
    "role.assigned": RoleAssigned,
    "role.overridden": RoleOverridden,
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
    "action_item.verified": ActionItemVerified,
    "user.added": UserRecord,
    "user.updated": UserRecord,
    "password.set": PasswordSet,
    "token.created": TokenCreated,
    "token.revoked": TokenRevoked,
    "token.expiry_changed": TokenExpiryChanged,
    "account.locked": AccountLocked,
    "postmortem.scheduled": PostmortemScheduled,
    "postmortem.completed": PostmortemCompleted,
    "postmortem.drafted": PostmortemDrafted,
    "postmortem.edited": PostmortemEdited,
    "postmortem.submitted": PostmortemSubmitted,
    "postmortem.approved": PostmortemApproved,
    "postmortem.published": PostmortemPublished,
    "postmortem.overdue": PostmortemOverdue,
    "governance.reviewed": GovernanceReviewed,
    "gate.exception": GateException,
    "gate.approved": GateApproved,
    "breakglass.granted": BreakglassGranted,
    "breakglass.revoked": BreakglassRevoked,
    "freeze.lifted": FreezeLifted,
    "evidence.added": EvidenceAdded,
    "access.read": AccessRead,
    "export.created": ExportCreated,
    "runbook.attached": RunbookAttached,
    "checklist.item_checked": ChecklistMark,
    "checklist.item_unchecked": ChecklistMark,
    "channel.added": ChannelAdded,
    "channel.removed": ChannelRemoved,
    "subscription.added": SubscriptionAdded,
    "notification.delivered": NotificationDelivered,
    "notification.failed": NotificationFailed,
    "source.added": SourceAdded,
    "source.removed": SourceRemoved,
    "alert.received": AlertsReceived,
    "alert.routed": AlertRouted,
    "update.reminder": UpdateReminder,
    "update.overdue": UpdateOverdue,
    "obligation.opened": ObligationOpened,
    "obligation.met": ObligationMet,
    "obligation.missed": ObligationMissed,
    "switch.set": SwitchSet,
    "switch.handed_over": SwitchHandedOver,
    "dataset.marked": DatasetMarked,
    "manifest.checked": ManifestChecked,
    "receipt.recorded": ReceiptRecorded,
    "step.recorded": StepRecorded,
    "milestone.recorded": MilestoneRecorded,
    "drill.completed": DrillCompleted,
}
KNOWN_KINDS = frozenset(EVENT_KINDS)


def parse_kind(text: str) -> str:
    """The event kind `text` names: a kind (`status.changed`) or, for a log entry, the short
    name the timeline prints (`fact`, `root_cause`). Raises InvalidCommandError otherwise."""
    name = text.strip()
    for kind in (name, f"entry.{name.replace('-', '_')}"):
        if kind in KNOWN_KINDS:
            return kind
    raise InvalidCommandError(
        f"unknown event kind {text!r}; known: {', '.join(sorted(KNOWN_KINDS))}"
    )


# Read-trail kinds: who read or exported an incident, not changes to it. An export covers
# the chain up to its last change, so trailing trail events do not change the next export.
TRAIL_KINDS = frozenset({"access.read", "export.created"})
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
    body = {k: v for k, v in payload.items() if k not in SIDE_FIELDS}
    try:
        dumped = schema.model_validate(body).model_dump(mode="json")
        if len(body) < len(payload):
            summary = {k: v for k, v in payload.items() if k in SUMMARY_FIELDS}
            dumped.update(RedactionSummary.model_validate(summary).model_dump(mode="json"))
            if "asserted_by" in payload:
                dumped.update(
                    Attribution.model_validate({"asserted_by": payload["asserted_by"]}).model_dump(
                        mode="json"
                    )
                )
        return dumped
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise InvalidCommandError(f"invalid {kind} payload: {where}: {first['msg']}") from None
