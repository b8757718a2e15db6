"""Who may do and see what: the policy engine's inputs, and its answers put to use.

Builds the input document the Rego bundle decides on (actor, incident view, gate facts,
planned events), refuses writes the policy denies, lists unmet closure gates, and filters
incidents by need-to-know. Every policy failure here fails closed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from fireline import commands as c
from fireline import progress, queries
from fireline.config import Settings
from fireline.db import (
    DriverStatement,
    action_items,
    breakglass,
    events,
    gate_exceptions,
    incidents,
    role_assignments,
    updates,
    users,
)
from fireline.domain import REGISTRY_CHAIN, Ladder, system_kind
from fireline.errors import IntegrityError, NotFoundError, PolicyDeniedError
from fireline.events import EVENT_KINDS
from fireline.policy import PolicyEngine
from fireline.switches import state as switch_state

# The action name each command is authorised as (input.action in the policy).
ACTIONS: Mapping[type[Any], str] = {
    c.Declare: "incident.declare",
    c.AssignRole: "role.assign",
    c.OverrideRole: "role.override",
    c.ReleaseRole: "role.release",
    c.ChangeSeverity: "severity.change",
    c.Transition: "status.change",
    c.LogEntry: "entry.log",
    c.PublishUpdate: "update.publish",
    c.AddActionItem: "action_item.add",
    c.CompleteActionItem: "action_item.complete",
    c.VerifyActionItem: "action_item.verify",
    c.CorrectEntry: "entry.correct",
    c.EraseEntry: "entry.erase",
    c.AddUser: "user.add",
    c.UpdateUser: "user.update",
    c.SetPassword: "password.set",
    c.CreateToken: "token.create",
    c.RevokeToken: "token.revoke",
    c.ChangeTokenExpiry: "token.expiry",
    c.LockAccount: "account.lock",
    c.SchedulePostmortem: "postmortem.schedule",
    c.CompletePostmortem: "postmortem.complete",
    c.DraftPostmortem: "postmortem.draft",
    c.EditPostmortem: "postmortem.edit",
    c.SubmitPostmortem: "postmortem.submit",
    c.ApprovePostmortem: "postmortem.approve",
    c.PublishPostmortem: "postmortem.publish",
    c.RecordPostmortemOverdue: "postmortem.overdue",
    c.ReviewGovernance: "governance.review",
    c.RequestGateException: "gate.request",
    c.ApproveGateException: "gate.approve",
    c.GrantBreakglass: "breakglass.grant",
    c.RevokeBreakglass: "breakglass.revoke",
    c.LiftFreeze: "freeze.lift",
    c.AttachRunbook: "runbook.attach",
    c.CheckItem: "checklist.check",
    c.UncheckItem: "checklist.uncheck",
    c.AddEvidence: "evidence.add",
    c.RecordAccess: "incident.read",
    c.RecordExport: "incident.export",
    c.AddChannel: "channel.add",
    c.RemoveChannel: "channel.remove",
    c.Subscribe: "channel.subscribe",
    c.RecordDelivery: "notification.record",
    c.AddSource: "source.add",
    c.RemoveSource: "source.remove",
    c.RecordAlerts: "alert.record",
    c.RecordRouting: "alert.route",
    c.RecordDeadlines: "deadlines.record",
    c.MeetObligation: "obligation.meet",
    c.SetSwitch: "switch.set",
    c.HandOverSwitch: "switch.handover",
    c.MarkDataset: "dataset.mark",
    c.CheckManifest: "manifest.check",
    c.RecordReceipt: "receipt.record",
    c.RecordStep: "step.record",
    c.RecordMilestone: "milestone.record",
    c.RecordDrill: "drill.record",
}
GATES = ("mitigated", "resolved")


@dataclass(frozen=True)
class User:
    name: str
    roles: list[str]
    clearances: list[str]
    added_at: str
    added_by: str
    updated_at: str


def get_user(conn: Connection, name: str) -> User | None:
    row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None:
        return None
    return User(row.name, row.roles, row.clearances, row.added_at, row.added_by, row.updated_at)


def list_users(conn: Connection) -> list[User]:
    rows = conn.execute(sa.select(users).order_by(users.c.name))
    return [User(r.name, r.roles, r.clearances, r.added_at, r.added_by, r.updated_at) for r in rows]


def sees_sensitive(conn: Connection, actor: str, settings: Settings) -> bool:
    """Whether `actor` holds the `sensitive` clearance (the registry's, or configuration's)."""
    from fireline.redaction import can_see_sensitive

    user = get_user(conn, actor)
    return can_see_sensitive(actor, settings, clearances=() if user is None else user.clearances)


# On every write: read through the driver (see db.DriverStatement).
_ACTOR = DriverStatement(
    sa.select(users.c.roles, users.c.clearances).where(users.c.name == sa.bindparam("name"))
)
# The registry is empty only while its chain records no user: judged from the ledger, not the
# users projection, so a wiped projection cannot reopen the store to everyone. (The chain also
# holds notification channels, which a fresh store may set up before its first user.)
_REGISTRY_STARTED = DriverStatement(
    sa.select(events.c.seq)
    .where(events.c.incident_id == sa.bindparam("chain"), events.c.kind == "user.added")
    .order_by(events.c.seq)
    .limit(1)
)


def actor_view(conn: Connection, actor: str) -> dict[str, Any]:
    """input.actor and input.registry: who is acting, as the registry knows them."""
    row = _ACTOR.execute(conn, {"name": actor}).fetchone()
    empty = (
        row is None
        and _REGISTRY_STARTED.execute(conn, {"chain": REGISTRY_CHAIN}).fetchone() is None
    )
    return {
        "actor": {
            "id": actor,
            "registered": row is not None,
            "roles": [] if row is None else queries.decode_json(row[0]),
            "clearances": [] if row is None else queries.decode_json(row[1]),
            "system": system_kind(actor),  # fireline's own services: intake, notifier, …
        },
        "registry": {"empty": empty},
    }


def incident_view(
    conn: Connection,
    state: queries.IncidentState,
    ladder: Ladder,
    *,
    facts: bool,
    public_key: Ed25519PublicKey | None = None,
) -> dict[str, Any]:
    """input.incident: the state a rule may look at (gate facts only when asked for).

    Gate facts are read only from verified state: the incident's chain must verify against its
    signed checkpoint (`public_key`) and its rows must be what replaying it gives, or
    IntegrityError — a gate never passes on rows edited behind fireline's back.
    """
    if facts:
        if public_key is None:
            raise IntegrityError("cannot evaluate the gates without the store's public key")
        from fireline.integrity import require_verified_incident

        require_verified_incident(conn, public_key, state.id)
    roles = queries.current_roles(conn, state.id)
    names = [level.name for level in ladder.ordered()]
    view: dict[str, Any] = {
        "id": state.id,
        "status": state.status.value,
        "severity": state.severity,
        "severity_position": names.index(state.severity) if state.severity in names else 0,
        "ladder": state.ladder,
        "labels": state.labels,
        "flags": state.flags,
        "declared_by": state.declared_by,
        "roles": roles,
        "acting_ic": roles.get("ic") or [state.declared_by],
        "excepted_gates": [],
        "drill": state.drill,
    }
    if facts:  # only status changes meet the gates
        view["facts"] = gate_facts(conn, state)
        view["excepted_gates"] = excepted_gates(conn, state.id)
    return view


def gate_facts(conn: Connection, state: queries.IncidentState) -> dict[str, Any]:
    """What the closure gates look at, computed from the projections."""
    incident_id = state.id
    row = conn.execute(sa.select(incidents).where(incidents.c.id == incident_id)).one()
    kinds = queries.count_kinds(conn, incident_id)
    undated = conn.execute(
        sa.select(action_items.c.number).where(
            action_items.c.incident_id == incident_id,
            action_items.c.status == "open",
            action_items.c.due.is_(None),
        )
    ).scalars()
    return {
        "impact_stated": bool(row.impact) or _update_states_impact(conn, incident_id),
        "mitigations": kinds.get("entry.mitigation", 0),
        "detection_recorded": row.detected_at is not None or kinds.get("entry.detection", 0) > 0,
        "next_update_scheduled": row.next_update_due is not None,
        "root_cause_recorded": kinds.get("entry.root_cause", 0) > 0,
        "action_items_without_due": [f"#{n}" for n in undated],
        # Every grant with its expiry: the policy decides which are active against input.now.
        "breakglass": [
            {
                "grant": f"#{g.seq} {g.grantee} ({g.scope})",
                "expires_at": g.expires_at,
                "revoked": g.revoked_at is not None,
            }
            for g in list_breakglass(conn, incident_id)
        ],
        "postmortem_scheduled": row.postmortem_due is not None
        or row.postmortem_done_at is not None,
        "ever_flagged": bool(state.flags),
        "governance_signed_off": row.governance_reviewed_at is not None,
        # name → {title, builtin, total, checked, open: ["<name>:<n>", …]}
        "checklists": progress.gate_facts(conn, incident_id),
        # {held: ["name (state)"], returned: [{switch, state, stable_at}], firing_groups: […]}
        "switches": switch_state.gate_facts(conn, incident_id),
    }


def _update_states_impact(conn: Connection, incident_id: str) -> bool:
    bodies = conn.execute(sa.select(updates.c.body).where(updates.c.incident_id == incident_id))
    return any(body.get("impact") for body in bodies.scalars())


@dataclass(frozen=True)
class Grant:
    seq: int
    grantee: str
    scope: str
    why: str
    granted_at: str
    granted_by: str
    expires_at: str
    revoked_at: str | None

    def is_active(self, now: str) -> bool:
        return self.revoked_at is None and self.expires_at > now


def list_breakglass(conn: Connection, incident_id: str) -> list[Grant]:
    rows = conn.execute(
        sa.select(breakglass)
        .where(breakglass.c.incident_id == incident_id)
        .order_by(breakglass.c.seq)
    )
    return [
        Grant(
            r.seq, r.grantee, r.scope, r.why, r.granted_at, r.granted_by, r.expires_at, r.revoked_at
        )
        for r in rows
    ]


@dataclass(frozen=True)
class GateExceptionView:
    seq: int
    gate: str
    justification: str
    requested_at: str
    approvals: list[dict[str, str]]

    @property
    def approved(self) -> bool:
        """Approved once the IC and a governance steward — two different people — agree."""
        by_role = {a["as_role"]: a["actor"] for a in self.approvals}
        ic, steward = by_role.get("ic"), by_role.get("governance_steward")
        return ic is not None and steward is not None and ic != steward


def list_gate_exceptions(conn: Connection, incident_id: str) -> list[GateExceptionView]:
    rows = conn.execute(
        sa.select(gate_exceptions)
        .where(gate_exceptions.c.incident_id == incident_id)
        .order_by(gate_exceptions.c.seq)
    )
    return [
        GateExceptionView(r.seq, r.gate, r.justification, r.requested_at, r.approvals) for r in rows
    ]


def excepted_gates(conn: Connection, incident_id: str) -> list[str]:
    return sorted({e.gate for e in list_gate_exceptions(conn, incident_id) if e.approved})


def authorize(
    engine: PolicyEngine,
    conn: Connection,
    command: Any,
    actor: str,
    *,
    state: queries.IncidentState | None,
    ladder: Ladder | None,
    drafts: Sequence[tuple[str, dict[str, Any]]],
    now: str,
    hidden_only: bool = False,
    public_key: Ed25519PublicKey | None = None,
) -> None:
    """Ask the policy about one planned write; PolicyDeniedError (its reasons) if refused.

    NotFoundError when the incident is not the actor's to see; `hidden_only` checks just that.
    """
    action = ACTIONS[type(command)]
    policy_input: dict[str, Any] = {
        **actor_view(conn, actor),
        "action": action,
        "incident": None,
        "command": _fields(command),
        "events": [_event_view(kind, payload) for kind, payload in drafts],
        "now": now,
    }
    if state is not None and ladder is not None:
        policy_input["incident"] = incident_view(
            conn, state, ladder, facts=action == "status.change", public_key=public_key
        )
    decision = engine.decide(policy_input)
    if decision.hidden and state is not None:
        raise NotFoundError(f"no incident {state.id}")
    if not decision.allow and not hidden_only:
        raise PolicyDeniedError("; ".join(decision.reasons))


def authorize_operation(
    engine: PolicyEngine, conn: Connection, actor: str, action: str, *, now: str
) -> None:
    """Ask the policy about an operation that writes no event (`store.rebuild`): the same
    decision as a write's, about no incident; PolicyDeniedError (its reasons) if refused."""
    policy_input = {
        **actor_view(conn, actor),
        "action": action,
        "incident": None,
        "command": {},
        "events": [],
        "now": now,
    }
    decision = engine.decide(policy_input)
    if not decision.allow:
        raise PolicyDeniedError("; ".join(decision.reasons))


def unmet_gates(
    engine: PolicyEngine,
    conn: Connection,
    state: queries.IncidentState,
    ladder: Ladder,
    *,
    now: str,
    public_key: Ed25519PublicKey,
) -> dict[str, list[str]]:
    """The closure gates' unmet items (PolicyUndecidableError if the policy cannot say;
    IntegrityError if the incident's state does not match its signed ledger)."""
    policy_input = {
        "incident": incident_view(conn, state, ladder, facts=True, public_key=public_key),
        "now": now,
    }
    return engine.unmet_gates(policy_input)


@dataclass(frozen=True)
class Access:
    """What an actor may see of some incidents, and which of those reads must be recorded."""

    visible: frozenset[str]
    recorded: frozenset[str]


def access(
    engine: PolicyEngine,
    conn: Connection,
    actor: str,
    incident_ids: Iterable[str],
    *,
    view: str,
) -> Access:
    """Need-to-know for `actor` over these incidents, for one view (`show`, `verify` …).

    Raises PolicyUndecidableError when the policy cannot say: never an empty answer.
    """
    wanted = list(incident_ids)
    if not wanted:
        return Access(frozenset(), frozenset())
    answer = engine.visibility(visibility_input(conn, actor, wanted, view=view))
    return Access(answer.visible, answer.recorded)


def require_readable(
    engine: PolicyEngine, conn: Connection, actor: str, incident_ids: Sequence[str], *, view: str
) -> None:
    """For a view that cannot write the access trail (`verify`): NotFoundError naming the first
    incident that is missing, not the actor's to see, or one the policy would record reading
    of — one answer for all three, so a refusal tells nothing apart."""
    found = access(engine, conn, actor, incident_ids, view=view)
    for incident_id in sorted(set(incident_ids) - (found.visible - found.recorded)):
        raise NotFoundError(f"no incident {incident_id}")


def visibility_input(
    conn: Connection, actor: str, incident_ids: list[str], *, view: str
) -> dict[str, Any]:
    """input for data.fireline.visibility.access: the actor, the view, and each incident's
    labels, current role holders and acting IC (`freeze.visibility_input` builds the same)."""
    held: dict[str, dict[str, list[str]]] = {i: {} for i in incident_ids}
    for incident_id, role, holder in conn.execute(
        sa.select(
            role_assignments.c.incident_id, role_assignments.c.role, role_assignments.c.holder
        )
        .where(
            role_assignments.c.incident_id.in_(incident_ids),
            role_assignments.c.released_at.is_(None),
        )
        .order_by(role_assignments.c.seq)
    ):
        held[incident_id].setdefault(role, []).append(holder)
    rows = conn.execute(
        sa.select(incidents.c.id, incidents.c.labels, incidents.c.declared_by)
        .where(incidents.c.id.in_(incident_ids))
        .order_by(incidents.c.id)
    )
    views = [
        {
            "id": r.id,
            "labels": r.labels,
            "roles": held[r.id],
            "acting_ic": held[r.id].get("ic") or [r.declared_by],
        }
        for r in rows
    ]
    return {**actor_view(conn, actor), "view": view, "incidents": views}


def _fields(command: Any) -> dict[str, Any]:
    # Field by field rather than dataclasses.asdict, whose deep copy was a tenth of a decision.
    names = _FIELD_NAMES.get(type(command))
    if names is None:
        # A command's secrets (a channel URL, a password) are never shown to the policy.
        hidden: frozenset[str] = getattr(type(command), "secret_fields", frozenset())
        names = _FIELD_NAMES[type(command)] = tuple(
            f.name for f in dataclasses.fields(command) if f.name not in hidden
        )
    counted: frozenset[str] = getattr(type(command), "policy_counts", frozenset())
    return {
        name: len(getattr(command, name)) if name in counted else _plain(getattr(command, name))
        for name in names
    }


def _event_view(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A planned event as the policy sees it: bulk fields (a delivery's alerts) by their count,
    since building the input document costs per node and no rule reads them one by one."""
    schema = EVENT_KINDS.get(kind)
    counted = frozenset() if schema is None else schema.policy_counts
    if not counted:
        return {"kind": kind, "payload": payload}
    shown = {k: len(v) if k in counted else v for k, v in payload.items()}
    return {"kind": kind, "payload": shown}


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return str(dataclasses.asdict(value))  # as asdict of the whole command rendered it
    if isinstance(value, bytes):  # a runbook's content: the planned event carries its digests
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
