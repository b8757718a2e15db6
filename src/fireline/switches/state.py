"""Switch state read back from `incident_switches`, for handlers, gates and read models.

A switch's current state is its latest row across incidents (by time, then incident id):
whoever touched it last decides it. An incident *holds* a switch while its own row is flipped
and is that latest row; turning it back (from any incident) or another incident taking it over
(`switch.handed_over`) ends the hold. Never a default: a switch no incident touched is normal.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import DriverStatement, incident_datasets, incident_switches


@dataclass(frozen=True)
class SwitchRow:
    """What one incident last did to one switch."""

    incident_id: str
    switch: str
    kind: str
    state: str
    normal: bool
    changed_at: str
    changed_by: str
    reason: str
    approver: str | None
    handed_from: str | None
    stable_at: str | None


_COLUMNS = (
    incident_switches.c.incident_id,
    incident_switches.c.switch,
    incident_switches.c.kind,
    incident_switches.c.state,
    incident_switches.c.normal,
    incident_switches.c.changed_at,
    incident_switches.c.changed_by,
    incident_switches.c.reason,
    incident_switches.c.approver,
    incident_switches.c.handed_from,
    incident_switches.c.stable_at,
)


def _rows(conn: Connection, where: sa.ColumnElement[bool] | None = None) -> list[SwitchRow]:
    query = sa.select(*_COLUMNS)
    if where is not None:
        query = query.where(where)
    return [SwitchRow(*row) for row in conn.execute(query)]


def _latest_of(rows: list[SwitchRow]) -> dict[str, SwitchRow]:
    latest: dict[str, SwitchRow] = {}
    for row in sorted(rows, key=lambda r: (r.changed_at, r.incident_id)):
        latest[row.switch] = row
    return latest


def current(conn: Connection) -> dict[str, SwitchRow]:
    """Every touched switch's latest row."""
    return _latest_of(_rows(conn))


# What every switch read asks: compiled once, run on the driver (`db.DriverStatement`).
_LATEST = DriverStatement(
    sa.select(*_COLUMNS)
    .where(incident_switches.c.switch == sa.bindparam("switch"))
    .order_by(incident_switches.c.changed_at.desc(), incident_switches.c.incident_id.desc())
    .limit(1)
)


def latest(conn: Connection, switch: str) -> SwitchRow | None:
    """The switch's latest row across incidents (None: no incident touched it)."""
    row = _LATEST.execute(conn, {"switch": switch}).fetchone()
    if row is None:
        return None
    values = list(row)
    values[4] = bool(values[4])  # sqlite3 answers 0/1 through the driver
    return SwitchRow(*values)


def held_by(conn: Connection, incident_id: str) -> list[SwitchRow]:
    """The switches `incident_id` left flipped and nobody has turned back or taken over."""
    own = _rows(conn, incident_switches.c.incident_id == incident_id)
    names = [row.switch for row in own if not row.normal]
    if not names:
        return []
    now = _latest_of(_rows(conn, incident_switches.c.switch.in_(names)))
    return sorted(
        (row for row in now.values() if row.incident_id == incident_id and not row.normal),
        key=lambda r: r.switch,
    )


def returned(conn: Connection, incident_id: str) -> list[SwitchRow]:
    """This incident's switches it turned back to normal, with when they count as stable."""
    own = _rows(conn, incident_switches.c.incident_id == incident_id)
    return sorted((r for r in own if r.normal and r.stable_at), key=lambda r: r.switch)


def incident_switches_of(conn: Connection, incident_id: str) -> list[SwitchRow]:
    """Every switch the incident touched, its own last word on each."""
    own = _rows(conn, incident_switches.c.incident_id == incident_id)
    return sorted(own, key=lambda r: r.switch)


@dataclass(frozen=True)
class DatasetRow:
    dataset_id: str
    version_id: str | None
    state: str
    changed_at: str
    changed_by: str
    reason: str

    @property
    def label(self) -> str:
        return self.dataset_id + (f":{self.version_id}" if self.version_id else "")


def datasets_of(conn: Connection, incident_id: str) -> list[DatasetRow]:
    rows = conn.execute(
        sa.select(
            incident_datasets.c.dataset_id,
            incident_datasets.c.version_id,
            incident_datasets.c.state,
            incident_datasets.c.changed_at,
            incident_datasets.c.changed_by,
            incident_datasets.c.reason,
        )
        .where(incident_datasets.c.incident_id == incident_id)
        .order_by(incident_datasets.c.dataset_id, incident_datasets.c.version_id)
    )
    return [DatasetRow(r[0], r[1] or None, r[2], r[3], r[4], r[5]) for r in rows]


def fingerprint(conn: Connection) -> tuple[int, str | None]:
    """A cheap value that changes whenever any switch row does: long-polls compare it."""
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.max(incident_switches.c.changed_at))
    ).one()
    return int(row[0]), row[1]


def gate_facts(conn: Connection, incident_id: str) -> dict[str, object]:
    """What the closure gates look at: switches held, switches returned and when they are
    stable, and the alert groups still firing (`stability.firing_groups`)."""
    from fireline.switches.stability import firing_groups

    back = returned(conn, incident_id)
    return {
        "held": [f"{r.switch} ({r.state})" for r in held_by(conn, incident_id)],
        "returned": [
            {"switch": r.switch, "state": r.state, "stable_at": r.stable_at} for r in back
        ],
        "firing_groups": sorted(firing_groups(conn, incident_id)) if back else [],
    }
