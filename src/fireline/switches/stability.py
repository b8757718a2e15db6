"""The seam between the stability window and the alert intake.

After a switch returns to normal, `mitigated` waits for its stability window *and* for no
alert still firing on the incident's alert groups. The intake (`fireline.intake`) owns alerts;
this module only asks it, through `fireline.intake.queries.firing_groups(conn, incident_id)`,
when that module is installed. Without it (a fireline without the intake), no group can be
firing and the window alone decides. INTEGRATOR: this is the one place to wire.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import cast

from sqlalchemy.engine import Connection

INTAKE_QUERIES = "fireline.intake.queries"
FiringGroups = Callable[[Connection, str], list[str]]


def _intake() -> FiringGroups | None:
    try:
        if importlib.util.find_spec(INTAKE_QUERIES) is None:
            return None
    except ModuleNotFoundError:  # fireline.intake itself absent
        return None
    module = importlib.import_module(INTAKE_QUERIES)
    return cast(FiringGroups | None, getattr(module, "firing_groups", None))


def firing_groups(conn: Connection, incident_id: str) -> list[str]:
    """The incident's alert groups with an alert still firing (none without the intake)."""
    found = _intake()
    return [] if found is None else list(found(conn, incident_id))
