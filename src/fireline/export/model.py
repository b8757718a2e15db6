"""The exported incident as plain data: the `Record` a fold of its events produces.

What every view of an export is rendered from (see `record.fold`). Pure data, no behaviour
beyond small lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Line:
    """One event as the timeline shows it."""

    seq: int
    ts: str
    actor: str
    kind: str
    text: str
    at: str | None = None
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """A logged entry (fact, hypothesis, decision, mitigation …) with its current text."""

    seq: int
    ts: str
    actor: str
    kind: str  # fact, hypothesis, decision, mitigation, detection, root_cause
    text: str  # after corrections; "[erased]" once erased
    at: str | None
    refs: tuple[str, ...]
    why: str | None = None
    approver: str | None = None
    corrected_by: tuple[int, ...] = ()
    erased: bool = False

    @property
    def when(self) -> str:
        return self.at or self.ts


@dataclass(frozen=True)
class Evidence:
    """One `evidence.added` event: a stored file (by digest) or a reference."""

    seq: int
    ts: str
    actor: str
    number: int
    kind: str
    sha256: str | None
    ref: str | None
    size: int | None
    name: str | None
    media_type: str | None
    source: str
    captured_at: str | None
    note: str
    scanned: bool
    sensitive: tuple[str, ...]


@dataclass
class ActionItem:
    number: int
    title: str
    owner: str
    due: str | None
    priority: str
    created_at: str
    status: str = "open"
    completed_at: str | None = None
    note: str = ""
    verification: str | None = None
    tracker: str | None = None
    verified_at: str | None = None


@dataclass
class ChecklistItem:
    number: int
    text: str
    depth: int
    checked: bool = False
    changed_at: str | None = None
    changed_by: str | None = None


@dataclass
class Checklist:
    """An attached runbook checklist (or a built-in stage checklist) and its items' state."""

    checklist: str
    title: str
    builtin: bool
    attached_at: str
    items: dict[int, ChecklistItem] = field(default_factory=dict)


@dataclass
class Record:
    """Everything an export renders, folded from the exported events in order."""

    incident_id: str
    title: str = ""
    opened_at: str = ""
    declared_by: str = ""
    severity: str = ""
    ladder: str = ""
    status: str = "declared"
    impact: str = ""
    systems: list[str] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    detected_at: str | None = None
    roles: dict[str, list[str]] = field(default_factory=dict)
    tenures: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    entries: dict[int, Entry] = field(default_factory=dict)
    updates: list[tuple[int, str, str, Mapping[str, Any]]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    action_items: dict[int, ActionItem] = field(default_factory=dict)
    status_times: dict[str, str] = field(default_factory=dict)
    severity_changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    postmortem_due: str | None = None
    postmortem_owner: str | None = None
    postmortem_link: str | None = None
    governance_review: tuple[str, str] | None = None
    postmortem: dict[str, Any] | None = None  # fireline.postmortem.document's fold, once begun
    redactions: dict[str, int] = field(default_factory=dict)
    sensitive: dict[str, list[int]] = field(default_factory=dict)  # PII kind → events with it
    erasures: list[tuple[int, int, str]] = field(default_factory=list)
    checklists: dict[str, Checklist] = field(default_factory=dict)
    # Switch flips, dataset marks, manifest checks, receipts and steps, in order:
    # (seq, ts, actor, kind, payload), rendered by export/receipts.py.
    integrity: list[tuple[int, str, str, str, Mapping[str, Any]]] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    head_seq: int = 0
    head: str = ""
    last_ts: str = ""

    def entries_of(self, kind: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind == kind]
