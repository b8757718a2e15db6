"""Runbooks for one incident: the indexed runbooks ranked for its title, impact, systems (and
its alerts, when an adapter has them), each flagged `fits` or low confidence, and which are
attached already — what the room's "attach a runbook" panel shows.

The incident is read behind `sight.see` like any other view of it (`incident_suggestions`),
or handed in already read (`suggestions_for`). The ranking is the one
`runbook suggest` uses (`fireline.suggest.engine.suggest`), so the web and the CLI agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fireline.reads import Model
from fireline.reads.sight import DEFAULT_GRID, masked

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.service import Context
    from fireline.service.identity import Identity
    from fireline.suggest.alert import Alert

SUGGEST_LIMIT = 5


def incident_alert(title: str, impact: str, systems: Sequence[str]) -> Alert:
    """The incident as the alert suggestion ranks for: its title is the summary, its impact
    the description, its first system the service (the rest ride along as labels)."""
    from fireline.suggest.alert import Alert

    labels: dict[str, Any] = {}
    for n, system in enumerate(systems):
        labels["service" if n == 0 else f"system{n}"] = system
    return Alert(name="", labels=labels, annotations={"summary": title, "description": impact})


def incident_suggestions(
    ctx: Context,
    identity: Identity,
    incident_id: str,
    *,
    alerts: Sequence[Alert] = (),
    limit: int = SUGGEST_LIMIT,
) -> Model:
    """`{"indexed": bool, "suggestions": [{path, id, title, score, fits, reason, attached}]}`:
    ranked for the incident (and `alerts`), fitting or not (the flag says which); `indexed`
    false, with no suggestions, until `fireline runbook index` has run."""
    from fireline.reads.incidents import get_incident

    incident = get_incident(ctx, identity, incident_id)
    return suggestions_for(ctx, incident, alerts=alerts, limit=limit)


def suggestions_for(
    ctx: Context, incident: Model, *, alerts: Sequence[Alert] = (), limit: int = SUGGEST_LIMIT
) -> Model:
    """`incident_suggestions` for an incident the caller has read already (its model from
    `reads.incidents.get_incident`, which passed need-to-know and went on the trail): the
    room's panel ranks from the model the room shows, so one view is one read."""
    from fireline.db import read_only
    from fireline.errors import NotFoundError
    from fireline.suggest import engine
    from fireline.suggest.store import cached_corpus

    attached = {c["sha256"] for c in incident.get("checklists", [])}
    asked = [incident_alert(incident["title"], incident["impact"], incident["systems"]), *alerts]
    with read_only(ctx.engine) as conn:
        try:
            _info, corpus = cached_corpus(conn)
        except NotFoundError:
            return {"indexed": False, "suggestions": []}
        found = engine.suggest(corpus, asked, threshold=ctx.settings.suggest_threshold, limit=limit)
        digests = _index_digests(conn, [s.path for s in found])
    rows = [{**s.as_json(), "attached": digests.get(s.path) in attached} for s in found]
    return {"indexed": True, "suggestions": masked(rows, DEFAULT_GRID)}


def _index_digests(conn: Connection, paths: list[str]) -> dict[str, str]:
    """The sha256 the index holds for each of `paths`: a runbook is attached when a checklist
    of the incident pinned the same bytes, wherever its file was read from."""
    import sqlalchemy as sa

    from fireline.db import runbook_index

    if not paths:
        return {}
    rows = conn.execute(
        sa.select(runbook_index.c.path, runbook_index.c.sha256).where(
            runbook_index.c.path.in_(paths)
        )
    )
    return {row.path: row.sha256 for row in rows}


def indexed_file(conn: Connection, path: str) -> Path | None:
    """The file the runbook index lists under `path` (its path within the indexed folder),
    or None: what a web form may name to attach, so no other file of the server is read."""
    import sqlalchemy as sa

    from fireline.db import runbook_index

    row = conn.execute(
        sa.select(runbook_index.c.folder, runbook_index.c.path).where(runbook_index.c.path == path)
    ).first()
    return None if row is None else Path(row.folder) / row.path
