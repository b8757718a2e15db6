"""The one write path: `execute(command, actor, ctx=…)` → validate → redact → policy → append
→ project.

Every adapter (CLI now; API, web UI and intake later) calls `execute`. It locks the incident's
chain, validates the command against the locked state, redacts every string of the planned
payloads (service/redacting.py), asks the policy about the planned events, appends them and
updates the projections in one transaction, and returns the new events. A refusal's message is
redacted too. Nothing else writes. Evidence files are staged before the transaction
(`service.evidence.staged_file`) and placed by the plan's effects just before the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from fireline import governance, projections, queries
from fireline.commands import Command, Declare
from fireline.domain import REGISTRY_CHAIN, ActorId, iso_utc
from fireline.errors import FirelineError, IntegrityError
from fireline.events import validate_payload
from fireline.ledger import store
from fireline.ledger.chain import Event
from fireline.service.checklists import CHECKLIST_HANDLERS
from fireline.service.context import Clock, Context, open_context, utc_now
from fireline.service.credentials import CREDENTIAL_COMMANDS, CREDENTIAL_HANDLERS
from fireline.service.evidence import EVIDENCE_HANDLERS
from fireline.service.governed import GOVERNANCE_HANDLERS, REGISTRY_COMMANDS
from fireline.service.handlers import LIFECYCLE_HANDLERS
from fireline.service.identity import (
    Identity,
    check_identity,
    require_identity,
    resolve_identity,
)
from fireline.service.plan import Call, Plan
from fireline.service.redacting import redact_error, redact_payload

Handler = Callable[[Call, Any], Plan]
HANDLERS: dict[type[Any], Handler] = {
    **LIFECYCLE_HANDLERS,
    **GOVERNANCE_HANDLERS,
    **CHECKLIST_HANDLERS,
    **EVIDENCE_HANDLERS,
    **CREDENTIAL_HANDLERS,
}
ON_REGISTRY = (*REGISTRY_COMMANDS, *CREDENTIAL_COMMANDS)  # written to the registry chain

__all__ = [
    "HANDLERS",
    "Clock",
    "Context",
    "Identity",
    "check_identity",
    "execute",
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
    handler = HANDLERS[type(command)]
    identity = actor if isinstance(actor, Identity) else Identity(actor)
    try:
        return _execute(handler, command, identity, ctx)
    except FirelineError as exc:
        redact_error(ctx.redactor, exc)
        raise


def _execute(handler: Handler, command: Command, identity: Identity, ctx: Context) -> list[Event]:
    actor = identity.actor
    attribution = {} if identity.asserted_by is None else {"asserted_by": identity.asserted_by}
    try:
        with ctx.work.transaction() as conn:
            require_identity(conn, ctx.redactor, identity)
            head = None
            state = None
            if isinstance(command, ON_REGISTRY):
                head = store.lock_if_exists(conn, REGISTRY_CHAIN)
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
            for seq in plan.erase:
                store.erase_payload(conn, plan.incident_id, seq)
            for event in new_events:
                projections.apply(conn, event)
            for effect in plan.effects:
                effect()  # durable before the commit: an event never names a missing blob
            return new_events
    except sa.exc.IntegrityError:
        # Writers are serialised (head lock, numbering lock), so a duplicate key means rows
        # were put in the store behind fireline's back.
        raise IntegrityError(
            "the store already holds an event at the position being written; it was changed "
            "outside fireline — run `fireline verify`"
        ) from None


def rebuild(ctx: Context, *, actor: ActorId | Identity) -> int:
    """Drop and replay all projections in one transaction; return the number of events replayed.

    Only those the policy names may (`store.rebuild`), judged on the rebuilt user registry,
    which the ledger vouches for, not on the one being replaced (it may be wiped or edited):
    `--as` and the policy are checked there; on a refusal the transaction rolls back,
    PolicyDeniedError, nothing changed.
    """
    identity = actor if isinstance(actor, Identity) else Identity(actor)
    with ctx.work.transaction() as conn:
        count = projections.rebuild(conn)
        require_identity(conn, ctx.redactor, identity)
        governance.authorize_operation(
            ctx.policy, conn, identity.actor, "store.rebuild", now=iso_utc(ctx.clock())
        )
        return count
