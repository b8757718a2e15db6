"""The deploy freeze as one asker may see it (`fireline.freeze`), as a read model.

Imports no ORM and no policy engine unless something is frozen, as `freeze check` must start
fast in every CI run.
"""

from __future__ import annotations

from pathlib import Path

from fireline.reads import Model
from fireline.reads.sight import DEFAULT_GRID, masked

KEYS = ("incident_id", "severity", "status")


def freeze_check(
    database_url: str, *, actor: str, policy_dir: Path | None, public_key_path: Path
) -> Model:
    """`{"frozen": [{"incident_id","severity","status"}], "restricted": bool}`: the freezing
    incidents `actor` may see, and whether one they may not see freezes deploys too.
    IntegrityError when the store's rows do not match the signed freeze record."""
    from fireline.freeze import check

    status = check(
        database_url, actor=actor, policy_dir=policy_dir, public_key_path=public_key_path
    )
    return model(status.shown, status.restricted)


def model(shown: list[tuple[str, str, str]], restricted: bool) -> Model:
    frozen = [dict(zip(KEYS, row, strict=True)) for row in shown]
    return masked({"frozen": frozen, "restricted": restricted}, DEFAULT_GRID)


def as_configured() -> Model:
    """`freeze_check` for the configured actor and store (`freeze.check_as_configured`)."""
    from fireline.freeze import check_as_configured

    status = check_as_configured()
    return model(status.shown, status.restricted)
