"""Governed switches as read models: every switch's state, who holds it, since when.

What services poll (`GET /api/v1/switches`, OFREP) and `fireline switch list` prints. The
incident holding a flipped switch is named only to a reader who may see it without the
access trail (view `switches`, like `freeze check`); to anyone else it is `restricted`. The
deploy freeze is read from `fireline.freeze` (its signed record), not duplicated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fireline.errors import NotFoundError
from fireline.reads import Model
from fireline.reads.sight import DEFAULT_GRID, masked
from fireline.switches.spec import DEPLOY_FREEZE, QUARANTINE_PREFIX, SwitchSpec, lookup

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.service import Context
    from fireline.switches.state import SwitchRow

VIEW = "switches"


def etag(model: Model) -> str:
    """A strong ETag over the model's canonical JSON."""
    text = json.dumps(model, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def list_switches(ctx: Context, actor: str) -> Model:
    """`{"switches": [...]}`: every configured switch and every touched quarantine."""
    from fireline.db import read_only
    from fireline.switches import state

    specs = ctx.settings.switches
    with read_only(ctx.engine) as conn:
        rows = state.current(conn)
        readable = _readable(ctx, conn, actor, rows.values())
    names = [n for n in specs if n != "quarantine"]
    names += sorted(n for n in rows if n.startswith(QUARANTINE_PREFIX))
    out = [
        _freeze(ctx, actor, specs[n])
        if n == DEPLOY_FREEZE
        else _model(lookup(specs, n), rows.get(n), readable)
        for n in names
    ]
    return masked({"switches": out}, DEFAULT_GRID)


def get_switch(ctx: Context, actor: str, name: str) -> Model:
    """One switch; NotFoundError for a name no switch has (a quarantine never touched is
    `released`: any version may be asked about)."""
    from fireline.errors import InvalidCommandError

    try:
        spec = lookup(ctx.settings.switches, name)
    except InvalidCommandError as exc:
        raise NotFoundError(exc.message) from None
    if spec.kind == "freeze":
        return masked(_freeze(ctx, actor, spec), DEFAULT_GRID)
    from fireline.db import read_only
    from fireline.switches import state

    with read_only(ctx.engine) as conn:
        row = state.latest(conn, name)
        readable = _readable(ctx, conn, actor, [] if row is None else [row])
    return _masked_reason(_model(spec, row, readable))


def _masked_reason(model: dict[str, Any]) -> Model:
    """The one free-text field masked (the rest are names, states and times): what
    `masked` would do to the whole model, at a tenth of its cost on the hot read."""
    if model.get("reason"):
        from fireline.redaction import mask

        model["reason"] = mask(model["reason"], coordinate_precision=DEFAULT_GRID)
    return model


def fingerprint(ctx: Context) -> tuple[Any, ...]:
    """Changes whenever a read model here may: switch rows and the signed freeze record."""
    import sqlalchemy as sa

    from fireline.db import freeze_record, read_only
    from fireline.switches import state

    with read_only(ctx.engine) as conn:
        version = conn.execute(sa.select(freeze_record.c.version)).scalar()
        return (*state.fingerprint(conn), version)


# Visibility answers by (policy, actor, registry head, incident, incident head): the policy's
# inputs are the actor's registry entry and the incident's labels and role holders, which
# change only with a new event on those chains, so an answer keyed by both heads stays true.
_SEEN: dict[tuple[str, str, int, str, int], bool] = {}
_SEEN_LIMIT = 4096


def _readable(ctx: Context, conn: Connection, actor: str, rows: Any) -> frozenset[str]:
    """The holding incidents `actor` may see named, without the access trail."""
    held = sorted({r.incident_id for r in rows if not r.normal})
    if not held:
        return frozenset()
    import sqlalchemy as sa

    from fireline import governance
    from fireline.db import heads
    from fireline.domain import REGISTRY_CHAIN

    seqs = dict(
        conn.execute(
            sa.select(heads.c.incident_id, heads.c.seq).where(
                heads.c.incident_id.in_([*held, REGISTRY_CHAIN])
            )
        ).all()
    )
    registry = int(seqs.get(REGISTRY_CHAIN, 0))
    keys = {i: (ctx.policy.digest, actor, registry, i, int(seqs.get(i, 0))) for i in held}
    unknown = [i for i in held if keys[i] not in _SEEN]
    if unknown:
        access = governance.access(ctx.policy, conn, actor, unknown, view=VIEW)
        if len(_SEEN) > _SEEN_LIMIT:
            _SEEN.clear()
        for incident_id in unknown:
            seen = incident_id in access.visible and incident_id not in access.recorded
            _SEEN[keys[incident_id]] = seen
    return frozenset(i for i in held if _SEEN[keys[i]])


def _base(spec: SwitchSpec, state: str) -> dict[str, Any]:
    return {
        "name": spec.name,
        "kind": spec.kind,
        "state": state,
        "normal": spec.is_normal(state),
        "default": spec.default,
        "safe": spec.safe,
        "states": list(spec.states),
        "description": spec.description,
    }


def _model(spec: SwitchSpec, row: SwitchRow | None, readable: frozenset[str]) -> Model:
    model = _base(spec, spec.default if row is None else row.state)
    seen = row is not None and (row.normal or row.incident_id in readable)
    model.update(
        {
            "since": None if row is None else row.changed_at,
            "incident": row.incident_id if row is not None and seen else None,
            "restricted": row is not None and not seen,
            "reason": row.reason if row is not None and seen else None,
            "approver": row.approver if row is not None and seen else None,
        }
    )
    return model


def _freeze(ctx: Context, actor: str, spec: SwitchSpec) -> Model:
    from fireline.freeze import check

    settings = ctx.settings
    status = check(
        settings.database_url,
        actor=actor,
        policy_dir=settings.policy_dir,
        public_key_path=settings.public_key_path,
        engine=ctx.policy,
    )
    model = _base(spec, "frozen" if status.frozen else "open")
    first = status.shown[0][0] if status.shown else None
    model.update(
        {
            "since": None,
            "incident": first,
            "restricted": status.restricted and first is None,
            "reason": None,
            "approver": None,
            "frozen_by": [incident_id for incident_id, _sev, _status in status.shown],
        }
    )
    return model


def ofrep_value(model: Mapping[str, Any]) -> Model:
    """The switch as an OFREP evaluation: a boolean (true while flipped) for two-state
    switches, else the state's name; the variant is always the state."""
    boolean = len(model["states"]) == 2
    return {
        "key": model["name"],
        "value": (not model["normal"]) if boolean else model["state"],
        "reason": "DEFAULT" if model["normal"] else "STATIC",
        "variant": model["state"],
        "metadata": {
            "normal": model["normal"],
            "safe": model["safe"],
            "kind": model["kind"],
            **({"incident": model["incident"]} if model.get("incident") else {}),
            **({"since": model["since"]} if model.get("since") else {}),
        },
    }


def on_incident(ctx: Context, identity: Any, incident_id: str) -> Model:
    """What one incident did to switches and datasets: `{"switches": [...], "held": [...],
    "datasets": [...]}`, for `fireline dataset list`, the room panel and its API route.
    Need-to-know as for `show` (a hidden incident is `no incident …`)."""
    from fireline.db import read_only
    from fireline.reads.sight import see
    from fireline.switches import state

    sight = see(ctx, identity, "show", incident_id)
    with read_only(ctx.engine) as conn:
        own = state.incident_switches_of(conn, incident_id)
        held = {r.switch for r in state.held_by(conn, incident_id)}
        datasets = state.datasets_of(conn, incident_id)
    return sight.mask(
        {
            "incident_id": incident_id,
            "switches": [
                {
                    "name": r.switch,
                    "kind": r.kind,
                    "state": r.state,
                    "normal": r.normal,
                    "held": r.switch in held,
                    "changed_at": r.changed_at,
                    "changed_by": r.changed_by,
                    "reason": r.reason,
                    "approver": r.approver,
                    "handed_from": r.handed_from,
                    "stable_at": r.stable_at,
                }
                for r in own
            ],
            "held": sorted(held),
            "datasets": [
                {
                    "dataset": d.label,
                    "dataset_id": d.dataset_id,
                    "version_id": d.version_id,
                    "state": d.state,
                    "changed_at": d.changed_at,
                    "changed_by": d.changed_by,
                    "reason": d.reason,
                }
                for d in datasets
            ],
        }
    )
