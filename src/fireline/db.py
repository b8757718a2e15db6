"""Storage plumbing: the engine factory, Core table definitions and the unit of work.

SQLite (the default) runs in WAL mode with synchronous=FULL and BEGIN IMMEDIATE, so every
transaction is durable and writers serialise instead of failing. PostgreSQL uses psycopg 3.
Nothing here writes rows: the ledger store and the projections own their tables.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.compiler import SQLCompiler

from fireline.errors import StoreError

SCHEMA_REVISION = "0015"
SQLITE_BUSY_TIMEOUT_MS = 30_000

metadata = sa.MetaData()


def _id() -> sa.Column[str]:
    return sa.Column("incident_id", sa.String(32), primary_key=True)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    # Timestamps are ISO 8601 UTC strings: identical on every backend and exactly replayable.
    return sa.Column(name, sa.String(32), nullable=nullable)


events = sa.Table(
    "events",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    _ts("ts"),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=True),
    sa.Column("payload_sha256", sa.String(64), nullable=False),
    sa.Column("policy", sa.String(64), nullable=True),
    sa.Column("prev", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("payload_salt", sa.String(32), nullable=True),  # NULL: a v1 event, or erased
)

heads = sa.Table(
    "heads",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("head", sa.String(64), nullable=False),
    _ts("ts"),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
)

# The store-wide transparency log (ledger/tlog.py): one RFC 9162 Merkle tree over every event of
# every chain, in commit order. Evidence like the events, not a projection: rebuild keeps it.
tlog_leaves = sa.Table(
    "tlog_leaves",
    metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("chain_id", sa.String(32), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("event_hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("chain_id", "seq", name="uq_tlog_leaves_chain_seq"),
)

# Perfect subtrees of 2**level leaves (level ≥ 1), so a proof reads O(log n) rows.
tlog_nodes = sa.Table(
    "tlog_nodes",
    metadata,
    sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# One row (id 1): the tree's size and its right frontier (the perfect subtrees of the compact
# range, largest first, hex). Locked by every append, so writers never fork the tree.
tlog_head = sa.Table(
    "tlog_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("frontier", sa.Text, nullable=False),
)

# Signed tree heads: C2SP tlog-checkpoint signed notes, one per tree size signed.
tlog_checkpoints = sa.Table(
    "tlog_checkpoints",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.String(64), nullable=False),
    _ts("ts"),
    sa.Column("note", sa.Text, nullable=False),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("severity", sa.String(32), nullable=False),
    sa.Column("severity_rank", sa.Integer, nullable=False),
    sa.Column("ladder", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("impact", sa.Text, nullable=False),
    sa.Column("systems", sa.JSON, nullable=False),
    sa.Column("datasets", sa.JSON, nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
    sa.Column("flags", sa.JSON, nullable=False),
    _ts("declared_at"),
    sa.Column("declared_by", sa.String(64), nullable=False),
    _ts("detected_at", nullable=True),
    _ts("mitigated_at", nullable=True),
    _ts("resolved_at", nullable=True),
    _ts("closed_at", nullable=True),
    _ts("last_update_at", nullable=True),
    _ts("next_update_due", nullable=True),
    sa.Column("freeze", sa.Boolean, nullable=False, server_default=sa.false()),
    _ts("freeze_lifted_at", nullable=True),
    sa.Column("drill", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("postmortem_due", sa.String(10), nullable=True),
    sa.Column("postmortem_owner", sa.String(64), nullable=True),
    _ts("postmortem_done_at", nullable=True),
    _ts("governance_reviewed_at", nullable=True),
    sa.Column("governance_reviewed_by", sa.String(64), nullable=True),
)

role_assignments = sa.Table(
    "role_assignments",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("holder", sa.String(64), nullable=False),
    _ts("assigned_at"),
    sa.Column("assigned_by", sa.String(64), nullable=False),
    _ts("released_at", nullable=True),
    sa.Column("released_seq", sa.Integer, nullable=True),
)

timeline = sa.Table(
    "timeline",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    _ts("ts"),
    _ts("at", nullable=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("summary", sa.Text, nullable=True),
    sa.Column("detail", sa.JSON, nullable=True),
    sa.Column("corrects_seq", sa.Integer, nullable=True),
    sa.Column("corrected_by_seq", sa.Integer, nullable=True),
    sa.Column("erased_by_seq", sa.Integer, nullable=True),
)

updates = sa.Table(
    "updates",
    metadata,
    _id(),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    _ts("ts"),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    _ts("next_update_at", nullable=True),
)

action_items = sa.Table(
    "action_items",
    metadata,
    _id(),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("due", sa.String(10), nullable=True),
    sa.Column("priority", sa.String(4), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("created_at"),
    sa.Column("created_by", sa.String(64), nullable=False),
    _ts("completed_at", nullable=True),
    sa.Column("completed_by", sa.String(64), nullable=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("verification", sa.Text, nullable=True),  # 0014: the test or monitor that proves it
    sa.Column("tracker", sa.Text, nullable=True),
    _ts("verified_at", nullable=True),
    sa.Column("verified_by", sa.String(64), nullable=True),
)

# One row per incident whose postmortem has begun (scheduled or drafted): the fold of its
# postmortem events (`fireline.postmortem.document`) and the states lists filter on.
postmortems = sa.Table(
    "postmortems",
    metadata,
    _id(),
    sa.Column("template", sa.String(32), nullable=True),
    sa.Column("state", sa.String(16), nullable=True, index=True),
    sa.Column("external_state", sa.String(16), nullable=True),
    sa.Column("due", sa.String(10), nullable=True),
    sa.Column("doc", sa.JSON, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("clearances", sa.JSON, nullable=False),
    _ts("added_at"),
    sa.Column("added_by", sa.String(64), nullable=False),
    _ts("updated_at"),
)

breakglass = sa.Table(
    "breakglass",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("grantee", sa.String(64), nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("why", sa.Text, nullable=False),
    _ts("granted_at"),
    sa.Column("granted_by", sa.String(64), nullable=False),
    _ts("expires_at"),
    _ts("revoked_at", nullable=True),
    sa.Column("revoked_by", sa.String(64), nullable=True),
)

gate_exceptions = sa.Table(
    "gate_exceptions",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("gate", sa.String(32), nullable=False),
    sa.Column("justification", sa.Text, nullable=False),
    _ts("requested_at"),
    sa.Column("approvals", sa.JSON, nullable=False),  # [{"actor": …, "as_role": …}]
)

# The runbook index: a cache of a folder of runbook files (not the ledger, not a projection),
# replaced whole by `fireline runbook index`. `fields` holds the analysed terms ranking reads
# (identical on every backend); the backend's full-text structure (`RUNBOOK_FTS`) sits beside it.
runbook_index = sa.Table(
    "runbook_index",
    metadata,
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("folder", sa.Text, nullable=False),
    sa.Column("runbook_id", sa.String(255), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("names", sa.JSON, nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    _ts("indexed_at"),
)

# SQLite: an FTS5 virtual table (and its shadow tables); PostgreSQL: a tsvector table with a GIN
# index. Created by migration 0003 per backend, outside `metadata`, which cannot describe them.
RUNBOOK_FTS = "runbook_fts"


def is_backend_search_table(name: str) -> bool:
    """True for the full-text tables the migration creates per backend (not in `metadata`)."""
    return name == RUNBOOK_FTS or name.startswith(f"{RUNBOOK_FTS}_")


checklists = sa.Table(
    "checklists",
    metadata,
    _id(),
    sa.Column("checklist", sa.String(128), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("git_blob", sa.String(40), nullable=False),
    sa.Column("git_commit", sa.String(40), nullable=True),
    _ts("attached_at"),
    sa.Column("attached_by", sa.String(64), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
)

checklist_items = sa.Table(
    "checklist_items",
    metadata,
    _id(),
    sa.Column("checklist", sa.String(128), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("section", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("depth", sa.Integer, nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("checked", sa.Boolean, nullable=False),
    # The latest check or uncheck (all NULL and "" until the first one).
    _ts("changed_at", nullable=True),
    sa.Column("changed_by", sa.String(64), nullable=True),
    sa.Column("changed_seq", sa.Integer, nullable=True),
    sa.Column("note", sa.Text, nullable=False),
)

evidence = sa.Table(
    "evidence",
    metadata,
    _id(),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("ref", sa.Text, nullable=True),
    sa.Column("sha256", sa.String(64), nullable=True, index=True),
    sa.Column("size", sa.BigInteger, nullable=True),
    sa.Column("media_type", sa.String(128), nullable=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("source", sa.Text, nullable=False),
    _ts("captured_at", nullable=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("scanned", sa.Boolean, nullable=False),
    sa.Column("redacted", sa.JSON, nullable=False),  # {secret type: count}
    sa.Column("sensitive", sa.JSON, nullable=False),  # ["email", "ip", …]
    _ts("added_at"),
    sa.Column("added_by", sa.String(64), nullable=False),
)

passwords = sa.Table(
    "passwords",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("hash", sa.Text, nullable=False),  # argon2id PHC string: a verifier, not the secret
    sa.Column("must_change", sa.Boolean, nullable=False),
    _ts("set_at"),
    sa.Column("set_by", sa.String(64), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(12), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("scope", sa.String(8), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),  # of the token's text
    _ts("created_at"),
    sa.Column("created_by", sa.String(64), nullable=False),
    _ts("expires_at"),
    _ts("revoked_at", nullable=True),
    sa.Column("revoked_by", sa.String(64), nullable=True),
)

# Not projections (no event behind them, never rebuilt): operational state every replica
# shares. A token's last use is touched at most once a minute; the login throttle counts
# failures per account and per address under sha256 keys (no name or address in clear).
token_usage = sa.Table(
    "token_usage",
    metadata,
    sa.Column("token_id", sa.String(12), primary_key=True),
    _ts("last_used_at"),
)

login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    _ts("window_start", nullable=True),
    _ts("locked_until", nullable=True),
    sa.Column("lockouts", sa.Integer, nullable=False),
)

# The signed freeze record (ledger/freeze_record.py): what `freeze check` reads, bound to the
# store key. Not projections: signed statements about them, like `heads` about the events.
freeze_record = sa.Table(
    "freeze_record",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    _ts("ts"),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
)

freeze_entries = sa.Table(
    "freeze_entries",
    metadata,
    _id(),
    sa.Column("digest", sa.String(64), nullable=False),
)

# Notification channels and subscriptions (notify/): projections of the registry chain's
# `channel.*` and `subscription.*` events. A channel's secret (webhook URL, SMTP password,
# signing key) is in no event: the event records its SHA-256 and the value lives only in
# `channel_secrets`, which is neither a projection nor exported (rebuild keeps it).
channels = sa.Table(
    "channels",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("restricted", sa.Boolean, nullable=False),
    sa.Column("drills", sa.Boolean, nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),  # non-secret: recipients, SMTP host, TLS mode
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    _ts("added_at"),
    sa.Column("added_by", sa.String(64), nullable=False),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # the event's seq
    sa.Column("channel", sa.String(64), nullable=False, index=True),
    sa.Column("severities", sa.JSON, nullable=False),  # [] means every severity
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),  # [] means any labels
    _ts("added_at"),
    sa.Column("added_by", sa.String(64), nullable=False),
)

channel_secrets = sa.Table(
    "channel_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("secret", sa.Text, nullable=False),  # JSON: {"url": …} / {"password": …, …}
)

# The outbox: one row per (event, channel) a subscription matched, inserted in the transaction
# that records the event. Operational state (not a projection): the worker leases rows, and
# each attempt's outcome is recorded on the incident's chain as notification.delivered/failed.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # the stable idempotency id (UUIDv5)
    sa.Column("incident_id", sa.String(32), nullable=False),
    sa.Column("event_seq", sa.Integer, nullable=False),
    sa.Column("event_kind", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),  # queued | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False),
    _ts("created_at"),
    _ts("due_at"),  # the next attempt's earliest time
    _ts("lease_until", nullable=True),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    _ts("done_at", nullable=True),
    sa.Column("status", sa.Integer, nullable=True),  # the receiver's last HTTP/SMTP status
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index("ix_outbox_due", "state", "due_at"),
)

# Alert intake (migration 0011). Sources, records, alerts and groups are projections of the
# ALERTS chain's events (`source.*`, `alert.*`): `verify` replays and compares them, `rebuild`
# makes them again. Only `alert_source_keys` is not: an HMAC key fireline must hold to check a
# generic sender's signature, never on the chain, in exports or in a projection.
alert_sources = sa.Table(
    "alert_sources",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("auth", sa.String(8), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    _ts("added_at"),
    sa.Column("added_by", sa.String(64), nullable=False),
    _ts("removed_at", nullable=True),
)

alert_source_keys = sa.Table(
    "alert_source_keys",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
)

# One row per alert state change received: the append-only record, in chain order.
alert_records = sa.Table(
    "alert_records",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("fingerprint", sa.String(200), nullable=False),
    sa.Column("group_id", sa.String(16), nullable=False, index=True),
    sa.Column("status", sa.String(8), nullable=False),
    _ts("starts_at", nullable=True),
    _ts("ends_at", nullable=True),
    sa.Column("labels", sa.Text, nullable=False),  # JSON text, as recorded
    sa.Column("annotations", sa.Text, nullable=False),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    _ts("received_at"),
)

# Deliveries recorded, by the digest of their body: a sender's retry changes nothing.
alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("body_sha256", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
)

# The latest state of each alert (by source and fingerprint / dedup_key).
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("fingerprint", sa.String(200), primary_key=True),
    sa.Column("group_id", sa.String(16), nullable=False, index=True),
    sa.Column("status", sa.String(8), nullable=False),
    _ts("starts_at", nullable=True),
    _ts("ends_at", nullable=True),
    sa.Column("labels", sa.Text, nullable=False),
    sa.Column("annotations", sa.Text, nullable=False),
    _ts("first_seen"),
    _ts("last_seen"),
    sa.Column("changes", sa.Integer, nullable=False),
)

alert_groups = sa.Table(
    "alert_groups",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("source", sa.String(32), nullable=False, index=True),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("labels", sa.Text, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("firing", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("flapping", sa.Boolean, nullable=False),
    sa.Column("transitions", sa.Text, nullable=False),  # JSON list of recent status changes
    _ts("first_seen"),
    _ts("last_seen"),
    sa.Column("incident_id", sa.String(32), nullable=True, index=True),
    sa.Column("action", sa.String(16), nullable=True),  # the latest routing decision
    sa.Column("routed_status", sa.String(8), nullable=True),
    sa.Column("suggestions", sa.Text, nullable=False),
)

obligations = sa.Table(
    "obligations",
    metadata,
    _id(),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("channels", sa.JSON, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("trigger", sa.String(200), nullable=False),
    sa.Column("opened_seq", sa.Integer, nullable=False),
    _ts("opened_at"),
    _ts("due_at"),
    sa.Column("status", sa.String(8), nullable=False),  # open, met, missed
    sa.Column("closed_seq", sa.Integer, nullable=True),  # the event that met or missed it
    _ts("closed_at", nullable=True),
    sa.Column("met_by", sa.String(64), nullable=True),
    sa.Column("evidence", sa.Text, nullable=True),
    sa.Column("channel", sa.String(64), nullable=True),  # the channel whose delivery met it
    sa.Index("obligations_status_due", "status", "due_at"),  # the scheduler's scan
)

# What the deadline scheduler recorded, one row per (kind, slot or obligation): the key that
# makes a tick idempotent. A second tick finds its row under the chain lock and plans nothing.
deadline_marks = sa.Table(
    "deadline_marks",
    metadata,
    _id(),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
)

# Governed switches, one row per incident and switch it touched (projections/switches.py): a
# switch's current state is its latest row across incidents (`switches.state`).
incident_switches = sa.Table(
    "incident_switches",
    metadata,
    _id(),
    sa.Column("switch", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("normal", sa.Boolean, nullable=False),
    sa.Column("changed_seq", sa.Integer, nullable=False),
    _ts("changed_at"),
    sa.Column("changed_by", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("approver", sa.String(64), nullable=True),
    sa.Column("handed_from", sa.String(32), nullable=True),
    _ts("stable_at", nullable=True),
    sa.Index("ix_incident_switches_latest", "switch", "changed_at"),
)

# Datasets and versions affected by an incident, with their state (version "" for a whole
# dataset: a primary key column cannot be NULL on every backend).
incident_datasets = sa.Table(
    "incident_datasets",
    metadata,
    _id(),
    sa.Column("dataset_id", sa.String(200), primary_key=True),
    sa.Column("version_id", sa.String(200), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("changed_seq", sa.Integer, nullable=False),
    _ts("changed_at"),
    sa.Column("changed_by", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

# The learning half (metrics, drills): one compact row per incident with the milestones and
# counters `fireline metrics` reads, so ten thousand incidents are one indexed scan.
milestones = sa.Table(
    "milestones",
    metadata,
    sa.Column("incident_id", sa.String(32), primary_key=True),
    sa.Column("severity", sa.String(32), nullable=False),
    sa.Column("severity_rank", sa.Integer, nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
    sa.Column("drill", sa.Boolean, nullable=False),
    _ts("declared_at"),
    _ts("started_at", nullable=True),
    _ts("detected_at", nullable=True),
    _ts("acknowledged_at", nullable=True),
    _ts("mitigated_at", nullable=True),
    _ts("resolved_at", nullable=True),
    _ts("closed_at", nullable=True),
    _ts("update_due", nullable=True),  # when the next update is due (for on-time updates)
    sa.Column("updates_on_time", sa.Integer, nullable=False),
    sa.Column("updates_late", sa.Integer, nullable=False),
    sa.Column("updates_overdue", sa.Integer, nullable=False),  # `update.overdue` slots
    sa.Column("obligations", sa.JSON, nullable=False),  # {name: "open"|"met"|"missed"|"late"}
    sa.Column("postmortem_due", sa.String(10), nullable=True),
    _ts("postmortem_done_at", nullable=True),
    sa.Index("ix_milestones_declared_at", "declared_at"),
)

# Updates published `--public`: all the status page may show of an update (its status, the
# impact line its author marked public, and when the next one is due), never its facts.
public_updates = sa.Table(
    "public_updates",
    metadata,
    _id(),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    _ts("ts"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("impact", sa.Text, nullable=False),
    _ts("next_update_at", nullable=True),
)

# Drill exercises done (`drill.completed` on a drill incident's chain): the programme's record.
drills = sa.Table(
    "drills",
    metadata,
    _id(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(64), nullable=False),
    _ts("completed_at"),
    sa.Column("completed_by", sa.String(64), nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("findings", sa.JSON, nullable=False),  # [action item numbers]
)

PROJECTION_TABLES = (
    incidents,
    role_assignments,
    timeline,
    updates,
    action_items,
    postmortems,
    users,
    breakglass,
    gate_exceptions,
    checklists,
    checklist_items,
    evidence,
    passwords,
    api_tokens,
    channels,
    subscriptions,
    alert_sources,
    alert_records,
    alert_deliveries,
    alerts,
    alert_groups,
    obligations,
    deadline_marks,
    incident_switches,
    incident_datasets,
    milestones,
    public_updates,
    drills,
)


class DriverStatement:
    """A Core statement compiled once per dialect and run straight on the DBAPI cursor.

    For the few statements every write runs (head lock, incident state, event, head and
    timeline rows): SQLAlchemy's per-execution bookkeeping costs several times the statement
    itself, and durable appends are measured against raw commits. Parameters must be plain
    str/int/None (JSON columns take already-serialised text); everything else uses Core.
    """

    def __init__(self, statement: sa.ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run with `params` (by bind name) in the connection's transaction; return the cursor.

        Binds the statement fixed itself (a LIMIT, a literal) keep their compiled values.
        """
        compiled = self._compiled.get(conn.dialect.name) or self.compiled_for(conn)
        sql, names, fixed = compiled
        merged = {**fixed, **params} if fixed else params
        args = merged if names is None else tuple(merged[n] for n in names)
        try:
            # sqlite3 and psycopg connections both execute directly, returning the cursor.
            return conn.connection.driver_connection.execute(sql, args)  # type: ignore[union-attr]
        except conn.dialect.loaded_dbapi.Error as exc:
            # Re-raise as SQLAlchemy would (IntegrityError, OperationalError …) for callers.
            raise sa.exc.DBAPIError.instance(
                sql, args, exc, conn.dialect.loaded_dbapi.Error
            ) from exc

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per row of `rows` in one driver call (executemany): bulk projection rows."""
        sql, names, fixed = self.compiled_for(conn)
        merged = [{**fixed, **row} for row in rows] if fixed else rows
        args: list[Any] = (
            list(merged) if names is None else [tuple(row[n] for n in names) for row in merged]
        )
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, args)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DBAPIError.instance(
                sql, args[:1], exc, conn.dialect.loaded_dbapi.Error
            ) from exc
        finally:
            cursor.close()

    def compiled_for(self, conn: Connection) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        """The SQL text, positional bind order and fixed binds for the connection's dialect."""
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            done = cast(SQLCompiler, self.statement.compile(dialect=conn.dialect))
            names = None if done.positiontup is None else tuple(done.positiontup)
            compiled = self._compiled[conn.dialect.name] = (str(done), names, dict(done.params))
        return compiled


def is_sqlite(url: str) -> bool:
    return sa.engine.make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str, *, create: bool = False) -> Engine:
    """Build an engine; refuse to conjure an empty SQLite file unless `create` (init) asks."""
    path = sqlite_path(url)
    if path is not None and not create and not path.exists():
        raise StoreError(f"no fireline store at {path}; run `fireline init`")
    try:
        if is_sqlite(url):
            # Every checkout ends its own transaction (unit_of_work, read_only), so the pool's
            # extra rollback on return is pure overhead on the write path.
            engine = sa.create_engine(url, pool_reset_on_return=None)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {url!r}: {exc}") from None
    if is_sqlite(url):
        _make_sqlite_durable(engine)
    return engine


def _make_sqlite_durable(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the write lock up front so they queue instead of deadlocking; readers
        # (see `read_only`) take a plain snapshot and never block a writer.
        reading = connection.get_execution_options().get(READ_ONLY, False)
        statement = "BEGIN" if reading else "BEGIN IMMEDIATE"
        connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]


READ_ONLY = "fireline_read_only"


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection for queries: one consistent snapshot, no write lock, driver errors mapped."""
    with store_errors(), engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        connection.execution_options(**{READ_ONLY: True})
        yield connection


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn driver failures (locked, corrupt, unreachable) into one-line StoreErrors.

    IntegrityError passes through untouched: the service explains what a duplicate key means.
    """
    try:
        yield
    except sa.exc.IntegrityError:
        raise
    except sa.exc.DBAPIError as exc:
        raise StoreError(f"the fireline store failed: {_first_line(exc)}") from None


class UnitOfWork:
    """Write transactions on one connection kept open between them.

    Each `transaction()` commits once if its block returns and rolls back if it raises. Holding
    the connection instead of checking one out per write halves SQLAlchemy's share of a durable
    append; a connection the driver reports dead is replaced on the next transaction. The
    connection is one thread's at a time: in the server the group-commit writer, the account
    routes and the read service's access trail all write through it, so a transaction holds a
    lock for its whole length.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._lock = threading.RLock()  # re-entry fails in begin(), loudly, not by hanging

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self._lock:
            connection = self._connection
            if connection is None or connection.closed or connection.invalidated:
                connection = self._connection = self.engine.connect()
            with store_errors(), connection.begin():
                yield connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def check_schema(engine: Engine) -> None:
    """Fail closed unless the store is initialised at the schema this version expects."""
    try:
        with engine.connect() as connection:
            found = None
            if sa.inspect(connection).has_table("alembic_version"):
                found = connection.execute(
                    sa.text("SELECT version_num FROM alembic_version")
                ).scalar()
    except sa.exc.DBAPIError as exc:
        raise StoreError(f"cannot open the fireline store: {_first_line(exc)}") from None
    if found is None:
        raise StoreError("the fireline store is not initialised; run `fireline init`")
    if found != SCHEMA_REVISION:
        raise StoreError(
            f"the store is at schema {found}, this fireline expects {SCHEMA_REVISION}; "
            "run `fireline init` to migrate"
        )


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return text.splitlines()[0]
