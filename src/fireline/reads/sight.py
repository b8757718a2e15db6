"""Need-to-know, the access trail and masking: the gate every incident read passes first.

Moved here from the CLI (`seeing` and its masking contextvar) so that every adapter gets the
same answer: an incident the viewer may not see is "not found", never a leak; each read of a
restricted incident goes on its chain before anything is shown; what is shown is masked unless
the viewer holds the `sensitive` clearance (masked by default: fail closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fireline.reads import Model

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.service import Context
    from fireline.service.identity import Identity

# The grid a read is masked to when no viewer's clearance was looked up (runbooks, users,
# verify, freeze): the same default the CLI always masked its output to.
DEFAULT_GRID = 0.1


@dataclass(frozen=True)
class Sight:
    """What one viewer may see of the incidents a read asked for, and how it is masked."""

    visible: frozenset[str]
    precision: float | None  # the coordinate grid, or None: the viewer holds `sensitive`

    def mask(self, data: Model) -> Model:
        """`data` with every string masked for this viewer (unchanged if they are cleared)."""
        return masked(data, self.precision)


def masked(data: Model, precision: float | None) -> Model:
    """`data` with PII masked and coordinates generalised to `precision` (None: as it is)."""
    if precision is None:
        return data
    from fireline.redaction import mask_data

    return mask_data(data, coordinate_precision=precision)


def see(
    ctx: Context,
    identity: Identity,
    view: str,
    incident_id: str | None = None,
    *,
    among: Callable[[Connection], list[str]] | None = None,
) -> Sight:
    """Need-to-know for `identity` over `incident_id` (or those `among` selects: a listing).

    NotFoundError for an incident they may not see, worded exactly as for a missing one; each
    restricted incident read is recorded (RecordAccess) before this returns. Raises
    PolicyUndecidableError when the policy cannot say: never an empty answer.
    """
    from fireline import governance
    from fireline.commands import RecordAccess
    from fireline.db import read_only
    from fireline.domain import IncidentId
    from fireline.errors import NotFoundError
    from fireline.service import check_identity, execute

    check_identity(ctx, identity)
    actor = identity.actor
    with read_only(ctx.engine) as conn:
        wanted = [incident_id] if incident_id is not None else among(conn) if among else []
        access = governance.access(ctx.policy, conn, actor, wanted, view=view)
        cleared = governance.sees_sensitive(conn, actor, ctx.settings)
    if incident_id is not None and incident_id not in access.visible:
        raise NotFoundError(f"no incident {incident_id}")
    for seen in sorted(access.recorded):
        execute(RecordAccess(incident_id=IncidentId(seen), view=view), identity, ctx=ctx)
    return Sight(access.visible, None if cleared else ctx.settings.coordinate_precision)


def as_json(value: Any) -> Model:
    """A dataclass-free copy of `value` fit for JSON (tuples become lists)."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value
