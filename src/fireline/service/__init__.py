"""The one write path: `execute(command, actor, ctx=…)` → validate → redact → policy → append
→ project.

Every adapter (CLI now; API, web UI and intake later) calls `execute`. It locks the incident's
chain, validates the command against the locked state, redacts every string of the planned
payloads (service/redacting.py), asks the policy about the planned events, appends them and
updates the projections in one transaction, and returns the new events. A refusal's message is
redacted too. Nothing else writes. Evidence files are staged before the transaction
(`service.evidence.staged_file`) and placed by the plan's effects just before the commit.

`execute_batch` is the same path for a server's group commit (`service.writer`): several
commands, a savepoint each, one commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline import governance, projections, queries
from fireline.commands import Command, Declare
from fireline.domain import ALERTS_CHAIN, REGISTRY_CHAIN, SYSTEM_CHAINS, ActorId, iso_utc
from fireline.errors import FirelineError, IntegrityError, StoreError
from fireline.events import validate_payload
from fireline.ledger import freeze_record, store
from fireline.ledger.chain import Event
from fireline.notify import outbox
from fireline.postmortem.handlers import POSTMORTEM_HANDLERS
from fireline.receipts.handlers import RECEIPT_HANDLERS
from fireline.service.alerts import ALERT_COMMANDS, ALERT_HANDLERS
from fireline.service.checklists import CHECKLIST_HANDLERS
from fireline.service.context import Clock, Context, open_context, utc_now
from fireline.service.credentials import CREDENTIAL_COMMANDS, CREDENTIAL_HANDLERS
from fireline.service.deadlines import DEADLINE_HANDLERS
from fireline.service.evidence import EVIDENCE_HANDLERS
from fireline.service.governed import GOVERNANCE_HANDLERS, REGISTRY_COMMANDS
from fireline.service.handlers import LIFECYCLE_HANDLERS
from fireline.service.identity import (
    Identity,
    check_identity,
    require_identity,
    resolve_identity,
)
from fireline.service.learning import LEARNING_HANDLERS
from fireline.service.notifying import NOTIFY_HANDLERS, NOTIFY_REGISTRY_COMMANDS
from fireline.service.plan import Call, Plan
from fireline.service.redacting import redact_error, redact_payload
from fireline.switches.handlers import SWITCH_HANDLERS

Handler = Callable[[Call, Any], Plan]
HANDLERS: dict[type[Any], Handler] = {
    **LIFECYCLE_HANDLERS,
    **GOVERNANCE_HANDLERS,
    **CHECKLIST_HANDLERS,
    **EVIDENCE_HANDLERS,
    **CREDENTIAL_HANDLERS,
    **POSTMORTEM_HANDLERS,
    **NOTIFY_HANDLERS,
    **ALERT_HANDLERS,
    **DEADLINE_HANDLERS,
    **SWITCH_HANDLERS,
    **RECEIPT_HANDLERS,
    **LEARNING_HANDLERS,
}
ON_REGISTRY = (
    *REGISTRY_COMMANDS,
    *CREDENTIAL_COMMANDS,
    *NOTIFY_REGISTRY_COMMANDS,
)  # written to the registry chain

__all__ = [
    "HANDLERS",
    "Clock",
    "Context",
    "Identity",
    "Outcome",
    "check_identity",
    "execute",
    "execute_batch",
    "open_context",
    "rebuild",
    "require_identity",
    "resolve_identity",
    "utc_now",
]


def execute(command: Command, actor: ActorId | Identity, *, ctx: Context) -> list[Event]:
    """Validate and record `command` by `actor` in one transaction; return the new events.

    `actor` is a name, or an Identity when someone else asserted it (`--as`): then only a
    registry admin may, and every event records `asserted_by`. Raises a FirelineError subclass
    (nothing written) when the command is refused.
    """
    identity = actor if isinstance(actor, Identity) else Identity(actor)
    try:
        with _duplicates_explained(), ctx.work.transaction() as conn:
            pending: freeze_record.Pending = {}
            new_events = _execute_in(conn, command, identity, ctx, pending)
            freeze_record.seal(conn, pending, signer=ctx.signer)
            return new_events
    except FirelineError as exc:
        redact_error(ctx.redactor, exc)
        raise


Outcome = list[Event] | Exception


def execute_batch(batch: Sequence[tuple[Command, Identity]], *, ctx: Context) -> list[Outcome]:
    """Record several independent commands in ONE transaction (group commit); one outcome each.

    Each command runs in its own SAVEPOINT, so a refusal (or a failure) rolls back only that
    command and becomes its outcome; the others are kept, each judged by the policy on its own.
    One commit makes them durable together: the caller acknowledges nobody before this returns.
    If the transaction itself fails, every command of the batch fails with that error.

    The commands are concurrent submissions with no order among them, so they run sorted by
    the lock each one takes first (registry, then declarations, then incidents by id): two
    batches on two processes then lock in the same order and never deadlock on PostgreSQL.
    """
    outcomes: list[Outcome] = [StoreError("not run")] * len(batch)
    order = sorted(range(len(batch)), key=lambda i: _lock_order(batch[i][0]))
    try:
        with _duplicates_explained(), ctx.work.transaction() as conn:
            pending: freeze_record.Pending = {}
            for i in order:
                command, identity = batch[i]
                outcomes[i] = _savepointed(conn, command, identity, ctx, pending)
            freeze_record.seal(conn, pending, signer=ctx.signer)  # the last lock taken
    except FirelineError as exc:
        redact_error(ctx.redactor, exc)
        return [exc] * len(batch)
    return outcomes


def _lock_order(command: Command) -> tuple[int, str]:
    if isinstance(command, ON_REGISTRY):
        return (0, REGISTRY_CHAIN)
    if isinstance(command, ALERT_COMMANDS):
        return (0, ALERTS_CHAIN)
    if isinstance(command, Declare):
        return (1, "")
    return (2, command.incident_id)


def _savepointed(
    conn: Connection,
    command: Command,
    identity: Identity,
    ctx: Context,
    pending: freeze_record.Pending,
) -> Outcome:
    noted: freeze_record.Pending = {}
    try:
        with _duplicates_explained(), conn.begin_nested():
            new_events = _execute_in(conn, command, identity, ctx, noted)
        pending.update(noted)  # only once its savepoint is kept
        return new_events
    except FirelineError as exc:
        redact_error(ctx.redactor, exc)
        return exc
    except sa.exc.DBAPIError:
        raise  # the transaction itself is in doubt: the whole batch fails
    except Exception as exc:  # a bug in one command must not fail its neighbours
        return exc


@contextmanager
def _duplicates_explained() -> Iterator[None]:
    try:
        yield
    except sa.exc.IntegrityError:
        # Writers are serialised (head lock, numbering lock), so a duplicate key means rows
        # were put in the store behind fireline's back.
        raise IntegrityError(
            "the store already holds an event at the position being written; it was changed "
            "outside fireline — run `fireline verify`"
        ) from None


def _execute_in(
    conn: Connection,
    command: Command,
    identity: Identity,
    ctx: Context,
    pending: freeze_record.Pending,
) -> list[Event]:
    """Run one command inside the caller's open transaction (or savepoint); nothing commits.

    Evidence blobs are placed by the plan's effects at the very end, after the events are
    appended and projected: a command that is refused never places one, and one placed
    belongs to events that commit with it (or, if the commit fails, to nothing: an unreferenced
    blob is harmless, a missing one would not be).
    """
    handler = HANDLERS[type(command)]
    actor = identity.actor
    attribution = {} if identity.asserted_by is None else {"asserted_by": identity.asserted_by}
    require_identity(conn, ctx.redactor, identity)
    head = None
    state = None
    if isinstance(command, ON_REGISTRY):
        head = store.lock_if_exists(conn, REGISTRY_CHAIN)
    elif isinstance(command, ALERT_COMMANDS):
        head = store.lock_if_exists(conn, ALERTS_CHAIN)
    elif not isinstance(command, Declare):
        head = store.lock(conn, command.incident_id)
        state = queries.get_state(conn, command.incident_id)
    now = ctx.clock()
    ts = iso_utc(now)
    if head is not None and ts < head.ts:
        ts = head.ts  # never let a skewed clock run a chain backwards
    ladder = None if state is None else ctx.ladder(state.ladder)
    try:
        plan = handler(Call(conn, ctx, now, actor, state), command)
        drafts = [
            (
                kind,
                validate_payload(
                    kind, {**redact_payload(ctx.redactor, kind, payload), **attribution}
                ),
            )
            for kind, payload in plan.drafts
        ]
    except FirelineError:
        # A refusal must not tell an outsider anything about a hidden incident:
        # need-to-know answers first ("not found"), the handler's reason after.
        governance.authorize(
            ctx.policy,
            conn,
            command,
            actor,
            state=state,
            ladder=ladder,
            drafts=[],
            now=ts,
            hidden_only=True,
            public_key=ctx.signer.public_key,
        )
        raise
    governance.authorize(
        ctx.policy,
        conn,
        command,
        actor,
        state=state,
        ladder=ladder,
        drafts=drafts,
        now=ts,
        public_key=ctx.signer.public_key,
    )
    new_events = store.append(
        conn,
        plan.incident_id,
        drafts,
        head=head,
        actor=actor,
        ts=ts,
        signer=ctx.signer,
        policy=ctx.policy.digest,
    )
    bound = plan.incident_id not in SYSTEM_CHAINS  # the registry and alerts never freeze
    sealed = freeze_record.sealed_entry(conn, plan.incident_id, pending) if bound else None
    before = None if sealed is None else freeze_record.entry(conn, plan.incident_id)
    for seq in plan.erase:
        store.erase_payload(conn, plan.incident_id, seq)
    for event in new_events:
        projections.apply(conn, event)
    # The outbox: a notification exists exactly when the events it announces commit (this
    # transaction, or this command's savepoint in a batch).
    outbox.enqueue(conn, new_events)
    for effect in plan.effects:
        effect()  # durable before the commit: an event never names a missing blob
    if bound:  # last: a change is noted only once nothing else of this command can fail
        freeze_record.note(
            conn, plan.incident_id, sealed=sealed, before=before, pending=pending, ts=ts
        )
    return new_events


def rebuild(ctx: Context, *, actor: ActorId | Identity) -> int:
    """Drop and replay all projections in one transaction; return the number of events replayed.

    Only those the policy names may (`store.rebuild`), judged on the rebuilt user registry,
    which the ledger vouches for, not on the one being replaced (it may be wiped or edited):
    `--as` and the policy are checked there; on a refusal the transaction rolls back,
    PolicyDeniedError, nothing changed. The signed freeze record is re-signed from the rebuilt
    state (the way back after `verify` found rows edited behind fireline's back).
    """
    identity = actor if isinstance(actor, Identity) else Identity(actor)
    with ctx.work.transaction() as conn:
        count = projections.rebuild(conn)
        require_identity(conn, ctx.redactor, identity)
        now = iso_utc(ctx.clock())
        governance.authorize_operation(ctx.policy, conn, identity.actor, "store.rebuild", now=now)
        # The rebuilt state is the ledger's: sign the freeze record afresh from it.
        entries = freeze_record.current_entries(conn)
        freeze_record.sign(conn, entries, signer=ctx.signer, ts=now)
        return count
