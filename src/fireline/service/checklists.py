"""Handlers for runbooks inside incidents: attach a runbook, check and uncheck its items.

Also the built-in stage checklists a severity level requires, planned into the declaration
and into a severity change in the same transaction. Handlers validate and plan; never write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from fireline import checklists, progress
from fireline.commands import AttachRunbook, CheckItem, UncheckItem
from fireline.domain import SeverityLevel
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.service.plan import Call, Plan, require_open

RUNBOOK_LIMIT = 1_000_000  # bytes: a runbook is a page of Markdown, not a data dump
NOTE_LIMIT = 2_000


def builtin_checklists(
    level: SeverityLevel, attached: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The level's built-in checklists not yet attached, as the declaring (or re-severitizing)
    event records them: inside its payload, so they are attached in that very event."""
    return [checklists.builtin(name).payload() for name in level.checklists if name not in attached]


def _attach_runbook(call: Call, cmd: AttachRunbook) -> Plan:
    state = require_open(call)
    if len(cmd.content) > RUNBOOK_LIMIT:
        raise InvalidCommandError(
            f"runbook {cmd.path} is {len(cmd.content):,} bytes; the limit is {RUNBOOK_LIMIT:,}"
        )
    checklist = checklists.read_checklist(cmd.content, path=cmd.path)
    seq = progress.checklist_attached_at(call.conn, state.id, checklist.name)
    if seq is not None:
        raise InvalidCommandError(
            f"runbook {checklist.name} is already attached to {state.id} (event {seq})"
        )
    if cmd.git_commit is not None and not _is_commit(cmd.git_commit):
        raise InvalidCommandError(
            f"malformed git commit {cmd.git_commit!r}; expected 40 hex digits"
        )
    return Plan(state.id, [("runbook.attached", checklist.payload(git_commit=cmd.git_commit))])


def _is_commit(text: str) -> bool:
    return len(text) == 40 and all(ch in "0123456789abcdef" for ch in text)


def _note(text: str) -> str:
    note = text.strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidCommandError(f"note is {len(note)} characters; the limit is {NOTE_LIMIT}")
    return note


def _mark(call: Call, cmd: CheckItem | UncheckItem, *, checked: bool) -> Plan:
    """Plan a check (or an uncheck) of every selected item, one event each, or refuse them all.

    Every selection is resolved before anything is planned, so one bad item (unknown, out of
    range, named twice, already in the wanted state) refuses the whole command.
    """
    state = require_open(call)
    note = _note(cmd.note)
    chosen = _select(call.conn, state.id, cmd.items, every=cmd.every, checked=checked)
    kind = "checklist.item_checked" if checked else "checklist.item_unchecked"
    return Plan(
        state.id,
        [(kind, {"checklist": i.checklist, "number": i.number, "note": note}) for i in chosen],
    )


def _select(
    conn: Connection, incident_id: str, selections: tuple[str, ...], *, every: bool, checked: bool
) -> list[progress.ChecklistItemState]:
    if not selections:
        raise InvalidCommandError("name at least one checklist item (CHECKLIST:N)")
    found: dict[str, progress.ChecklistItemState] = {}
    for selection in selections:
        picked = (
            _whole(conn, incident_id, selection, checked=checked)
            if every
            else _picked(conn, incident_id, selection, checked=checked)
        )
        for item in picked:
            if item.ref in found:
                raise InvalidCommandError(f"{item.ref} is named twice; name each item once")
            found[item.ref] = item
    return list(found.values())


def _items_of(conn: Connection, incident_id: str, name: str) -> list[progress.ChecklistItemState]:
    items = progress.list_items(conn, incident_id, checklist=name)
    if not items:  # an attached checklist always has items (attach refuses an empty one)
        names = ", ".join(c.name for c in progress.list_checklists(conn, incident_id)) or "none"
        raise NotFoundError(f"no checklist {name!r} on {incident_id}; attached: {names}")
    return items


def _picked(
    conn: Connection, incident_id: str, selection: str, *, checked: bool
) -> list[progress.ChecklistItemState]:
    name = selection.strip()
    if ":" not in name and name in progress.attached_checklists(conn, incident_id):
        raise InvalidCommandError(
            f"{name!r} names a checklist, not an item; use {name}:N or {name}:N-M, "
            "or --all for every item"
        )
    name, ranges = checklists.parse_item_selection(selection)
    items = _items_of(conn, incident_id, name)
    picked = []
    for low, high in ranges:
        if high > len(items):
            raise NotFoundError(
                f"no item {name}:{max(low, len(items) + 1)} on {incident_id}; "
                f"{name} has {len(items)} items"
            )
        picked.extend(items[low - 1 : high])
    for item in picked:
        _require_state(incident_id, item, checked=checked)
    return picked


def _whole(
    conn: Connection, incident_id: str, name: str, *, checked: bool
) -> list[progress.ChecklistItemState]:
    if not checklists.is_checklist_name(name.strip()):
        raise InvalidCommandError(
            f"--all takes checklist names, not items: {name!r} (e.g. `check INC mitigated --all`)"
        )
    items = _items_of(conn, incident_id, name.strip())
    todo = [item for item in items if item.checked is not checked]
    if not todo:
        state = "checked" if checked else "unchecked"
        raise InvalidCommandError(
            f"every item of {name.strip()} on {incident_id} is already {state}"
        )
    return todo


def _require_state(incident_id: str, item: progress.ChecklistItemState, *, checked: bool) -> None:
    if checked and item.checked:
        raise InvalidCommandError(
            f"{item.ref} on {incident_id} is already checked (by {item.changed_by} at "
            f"{item.changed_at})"
        )
    if not checked and not item.checked:
        raise InvalidCommandError(f"{item.ref} on {incident_id} is not checked")


def _check_item(call: Call, cmd: CheckItem) -> Plan:
    return _mark(call, cmd, checked=True)


def _uncheck_item(call: Call, cmd: UncheckItem) -> Plan:
    return _mark(call, cmd, checked=False)


CHECKLIST_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    AttachRunbook: _attach_runbook,
    CheckItem: _check_item,
    UncheckItem: _uncheck_item,
}
