"""Attached checklists (runbooks and the built-in stage checklists) and their items."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from fireline.db import checklist_items, checklists
from fireline.ledger.chain import Event
from fireline.projections.kinds import Applier, Payload


def attach(conn: Connection, event: Event, p: Payload) -> None:
    """A checklist attached by `event`: by `runbook.attached`, or inside a declaration or a
    severity change (the built-in stage checklists)."""
    conn.execute(
        checklists.insert(),
        {
            "incident_id": event.incident_id,
            "checklist": p["checklist"],
            "seq": event.seq,
            "title": p["title"],
            "path": p["path"],
            "builtin": p["builtin"],
            "sha256": p["sha256"],
            "git_blob": p["git_blob"],
            "git_commit": p["git_commit"],
            "attached_at": event.ts,
            "attached_by": event.actor,
            "total": len(p["items"]),
        },
    )
    if p["items"]:
        conn.execute(
            checklist_items.insert(),
            [
                {
                    "incident_id": event.incident_id,
                    "checklist": p["checklist"],
                    "number": item["number"],
                    "section": item["section"],
                    "text": item["text"],
                    "depth": item["depth"],
                    "line": item["line"],
                    "checked": False,
                    "changed_at": None,
                    "changed_by": None,
                    "changed_seq": None,
                    "note": "",
                }
                for item in p["items"]
            ],
        )


def mark(checked: bool) -> Callable[[Connection, Event, Payload], None]:
    def apply_mark(conn: Connection, event: Event, p: Payload) -> None:
        conn.execute(
            checklist_items.update()
            .where(
                checklist_items.c.incident_id == event.incident_id,
                checklist_items.c.checklist == p["checklist"],
                checklist_items.c.number == p["number"],
            )
            .values(
                checked=checked,
                changed_at=event.ts,
                changed_by=event.actor,
                changed_seq=event.seq,
                note=p["note"],
            )
        )

    return apply_mark


HANDLERS: dict[str, Applier] = {
    "runbook.attached": attach,
    "checklist.item_checked": mark(True),
    "checklist.item_unchecked": mark(False),
}
