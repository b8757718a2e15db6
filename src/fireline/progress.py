"""Read models of incident checklists: attached runbooks, their items, progress per section.

Reads the `checklists` and `checklist_items` projections only (`projections/checklists.py`
writes them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import checklist_items, checklists


@dataclass(frozen=True)
class ChecklistItemState:
    """One item and its latest check or uncheck (`changed_*` None until the first)."""

    checklist: str
    number: int
    section: str
    text: str
    depth: int
    line: int
    checked: bool
    changed_at: str | None
    changed_by: str | None
    note: str

    @property
    def ref(self) -> str:
        """The address `check` and `uncheck` take."""
        return f"{self.checklist}:{self.number}"

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.ref, **asdict(self)}


@dataclass(frozen=True)
class SectionProgress:
    section: str
    done: int
    total: int


@dataclass(frozen=True)
class ChecklistSummary:
    """An attached checklist: where it came from, its digests, and how far along it is."""

    name: str
    title: str
    path: str
    builtin: bool
    sha256: str
    git_blob: str
    git_commit: str | None
    attached_at: str
    attached_by: str
    seq: int
    total: int
    done: int
    sections: list[SectionProgress]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def checklist_attached_at(conn: Connection, incident_id: str, name: str) -> int | None:
    """The event that attached checklist `name`, or None if it is not attached."""
    seq: int | None = conn.execute(
        sa.select(checklists.c.seq).where(
            checklists.c.incident_id == incident_id, checklists.c.checklist == name
        )
    ).scalar()
    return seq


def attached_checklists(conn: Connection, incident_id: str) -> frozenset[str]:
    rows = conn.execute(
        sa.select(checklists.c.checklist).where(checklists.c.incident_id == incident_id)
    )
    return frozenset(rows.scalars())


def list_items(
    conn: Connection, incident_id: str, *, checklist: str | None = None
) -> list[ChecklistItemState]:
    """Items in attachment order, then file order."""
    query = (
        sa.select(checklist_items)
        .join(
            checklists,
            sa.and_(
                checklists.c.incident_id == checklist_items.c.incident_id,
                checklists.c.checklist == checklist_items.c.checklist,
            ),
        )
        .where(checklist_items.c.incident_id == incident_id)
        .order_by(checklists.c.seq, checklist_items.c.number)
    )
    if checklist is not None:
        query = query.where(checklist_items.c.checklist == checklist)
    return [_item(row) for row in conn.execute(query)]


def _item(row: sa.Row[Any]) -> ChecklistItemState:
    return ChecklistItemState(
        row.checklist,
        row.number,
        row.section,
        row.text,
        row.depth,
        row.line,
        bool(row.checked),
        row.changed_at,
        row.changed_by,
        row.note,
    )


def list_checklists(
    conn: Connection, incident_id: str, *, items: list[ChecklistItemState] | None = None
) -> list[ChecklistSummary]:
    """Every checklist attached to the incident, in attachment order, with progress.

    `items` are the incident's items when the caller has already read them.
    """
    if items is None:
        items = list_items(conn, incident_id)
    rows = conn.execute(
        sa.select(checklists)
        .where(checklists.c.incident_id == incident_id)
        .order_by(checklists.c.seq)
    )
    summaries = []
    for row in rows:
        mine = [item for item in items if item.checklist == row.checklist]
        sections: dict[str, list[int]] = {}
        for item in mine:
            tally = sections.setdefault(item.section, [0, 0])
            tally[0] += item.checked
            tally[1] += 1
        summaries.append(
            ChecklistSummary(
                name=row.checklist,
                title=row.title,
                path=row.path,
                builtin=bool(row.builtin),
                sha256=row.sha256,
                git_blob=row.git_blob,
                git_commit=row.git_commit,
                attached_at=row.attached_at,
                attached_by=row.attached_by,
                seq=row.seq,
                total=row.total,
                done=sum(item.checked for item in mine),
                sections=[SectionProgress(name, d, t) for name, (d, t) in sections.items()],
            )
        )
    return summaries


def gate_facts(conn: Connection, incident_id: str) -> dict[str, Any]:
    """Checklist completion as the closure gates see it: name → totals and open item ids."""
    items = list_items(conn, incident_id)
    summaries = {c.name: c for c in list_checklists(conn, incident_id, items=items)}
    open_refs: dict[str, list[str]] = {name: [] for name in summaries}
    for item in items:
        if not item.checked:
            open_refs[item.checklist].append(item.ref)
    return {
        name: {
            "title": c.title,
            "builtin": c.builtin,
            "total": c.total,
            "checked": c.done,
            "open": open_refs[name],
        }
        for name, c in summaries.items()
    }
