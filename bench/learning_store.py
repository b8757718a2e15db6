"""A store of N incidents for the learning benchmarks (`bench/metrics.py`, `bench/status.py`).

Built through `service.execute` like every benchmark store, non-durably (synchronous=OFF) to
build fast: each incident is declared with a detection time on one of three components'
systems; one in five gets a public update, every other one an internal update, one in fifty
is a drill, one in twenty restricted.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from fireline import commands, service
from fireline.config import load_settings
from fireline.db import make_engine
from fireline.domain import ActorId, IncidentId
from fireline.schema import initialise

ACTOR = ActorId("bench")
SYSTEMS = ("api", "web", "search")
CONFIG = (
    '[components.api]\nname = "Catalog API"\nsystems = ["api"]\n'
    '[components.web]\nname = "Website"\nsystems = ["web"]\n'
    '[components.search]\nname = "Search"\nsystems = ["search"]\n'
)


def build(home: Path, count: int, *, start: int = 0) -> None:
    """Incidents number `start` to `count - 1` (a larger count tops an existing store up)."""
    (home / "fireline.toml").write_text(CONFIG)
    env = {"FIRELINE_HOME": str(home), "FIRELINE_CONFIG": str(home / "fireline.toml")}
    settings = load_settings(env, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    ctx = service.open_context(settings)
    fast = make_engine(settings.database_url)

    @event.listens_for(fast, "connect")
    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    quick = dataclasses.replace(ctx, engine=fast)
    try:
        for n in range(start, count):
            now = datetime.now(UTC)
            declared = service.execute(
                commands.Declare(
                    title=f"bench incident {n}",
                    severity=("SEV1", "SEV2", "SEV3")[n % 3],
                    systems=(SYSTEMS[n % 3],),
                    labels=("restricted",) if n % 20 == 0 else (),
                    detected_at=now - timedelta(minutes=n % 45),
                    drill=n % 50 == 1,
                ),
                ACTOR,
                ctx=quick,
            )
            incident = IncidentId(declared[0].incident_id)
            if n % 5 == 2:
                update = commands.PublishUpdate(
                    incident_id=incident, impact="Some requests fail", public=True
                )
                service.execute(update, ACTOR, ctx=quick)
            elif n % 2 == 0:
                update = commands.PublishUpdate(incident_id=incident, impact="internal note")
                service.execute(update, ACTOR, ctx=quick)
    finally:
        quick.close()
        ctx.close()


def environment(home: Path) -> dict[str, str]:
    return {"FIRELINE_HOME": str(home), "FIRELINE_CONFIG": str(home / "fireline.toml")}


def count_incidents(home: Path) -> int:
    """How many incidents a store built here already holds (0 when there is none)."""
    import sqlite3

    if not (home / "fireline.db").exists():
        return 0
    conn = sqlite3.connect(f"file:{home / 'fireline.db'}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM incidents").fetchone()[0])
    finally:
        conn.close()
