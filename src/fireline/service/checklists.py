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


def _target(conn: Connection, incident_id: str, ref: str) -> progress.ChecklistItemState:
    name, number = checklists.parse_item_ref(ref)
    item = progress.get_item(conn, incident_id, name, number)
    if item is not None:
        return item
    attached = progress.list_checklists(conn, incident_id)
    sizes = {c.name: c.total for c in attached}
    if name not in sizes:
        names = ", ".join(sizes) or "none"
        raise NotFoundError(f"no checklist {name!r} on {incident_id}; attached: {names}")
    raise NotFoundError(f"no item {name}:{number} on {incident_id}; {name} has {sizes[name]} items")


def _note(text: str) -> str:
    note = text.strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidCommandError(f"note is {len(note)} characters; the limit is {NOTE_LIMIT}")
    return note


def _mark(call: Call, ref: str, note: str, *, checked: bool) -> Plan:
    """Plan a check (or an uncheck) of one item; refuse one already in that state."""
    state = require_open(call)
    item = _target(call.conn, state.id, ref)
    if checked and item.checked:
        raise InvalidCommandError(
            f"{item.ref} on {state.id} is already checked (by {item.changed_by} at "
            f"{item.changed_at})"
        )
    if not checked and not item.checked:
        raise InvalidCommandError(f"{item.ref} on {state.id} is not checked")
    kind = "checklist.item_checked" if checked else "checklist.item_unchecked"
    payload = {"checklist": item.checklist, "number": item.number, "note": _note(note)}
    return Plan(state.id, [(kind, payload)])


def _check_item(call: Call, cmd: CheckItem) -> Plan:
    return _mark(call, cmd.item, cmd.note, checked=True)


def _uncheck_item(call: Call, cmd: UncheckItem) -> Plan:
    return _mark(call, cmd.item, cmd.note, checked=False)


CHECKLIST_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    AttachRunbook: _attach_runbook,
    CheckItem: _check_item,
    UncheckItem: _uncheck_item,
}
