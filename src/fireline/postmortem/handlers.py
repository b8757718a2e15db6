"""Write handlers for the postmortem: schedule, draft, edit, submit, approve, publish, overdue.

Each validates against the locked incident and its postmortem document (the projection's
fold) and returns a Plan; `service.execute` asks the policy (which refuses an author's own
approval) and records the events. A draft is written from the record itself: the incident's
events folded as the export folds them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from fireline.commands import (
    ApprovePostmortem,
    DraftPostmortem,
    EditPostmortem,
    PublishPostmortem,
    RecordPostmortemOverdue,
    SchedulePostmortem,
    SubmitPostmortem,
)
from fireline.db import incidents, postmortems
from fireline.domain import check_due, parse_actor, require_text
from fireline.errors import InvalidCommandError
from fireline.export.record import fold
from fireline.ledger import store
from fireline.postmortem import document, generate
from fireline.postmortem.calendar import add_business_days, load_holidays
from fireline.postmortem.templates import get_template
from fireline.service.plan import Call, Plan, today

SECTION_LIMIT = 100_000


def current(call: Call) -> document.Doc:
    """The incident's postmortem document (empty when none has begun)."""
    row = call.conn.execute(
        sa.select(postmortems.c.doc).where(postmortems.c.incident_id == call.incident.id)
    ).first()
    return document.empty() if row is None else dict(row.doc)


def _resolved_at(call: Call) -> str | None:
    row = call.conn.execute(
        sa.select(incidents.c.resolved_at, incidents.c.closed_at).where(
            incidents.c.id == call.incident.id
        )
    ).one()
    found: str | None = row.resolved_at or row.closed_at
    return found


def due_from_resolution(call: Call, owner: str) -> dict[str, Any]:
    """The `postmortem.scheduled` payload for a due date N business days after resolution."""
    resolved = _resolved_at(call)
    if resolved is None:
        raise InvalidCommandError(
            f"{call.incident.id} is not resolved yet, so its postmortem has no due date to "
            "compute; give --due YYYY-MM-DD"
        )
    settings = call.ctx.settings
    holidays = load_holidays(settings.holidays_file)
    day = datetime.fromisoformat(resolved.replace("Z", "+00:00")).astimezone(UTC).date()
    days = settings.postmortem_business_days
    due = add_business_days(day, days, holidays)
    skipped = sorted(h.isoformat() for h in holidays if day < h <= due)
    return {
        "due": due.isoformat(),
        "owner": owner,
        "business_days": days,
        "resolved_at": resolved,
        "holidays": skipped,
    }


def _schedule(call: Call, cmd: SchedulePostmortem) -> Plan:
    owner = parse_actor(cmd.owner)
    if cmd.due is None:
        payload = due_from_resolution(call, owner)
    else:
        due: date = check_due("--due", cmd.due, today=today(call))
        payload = {"due": due.isoformat(), "owner": owner}
    return Plan(call.incident.id, [("postmortem.scheduled", payload)])


def _draft(call: Call, cmd: DraftPostmortem) -> Plan:
    state = call.incident
    template = cmd.template.strip().lower()
    get_template(template)
    doc = current(call)
    internal = doc["internal"]["state"]
    if internal not in (None, document.DRAFT):
        raise InvalidCommandError(
            f"the postmortem of {state.id} is {internal}; a new draft would discard its review"
        )
    if doc["template"] not in (None, template) and doc["internal"]["authors"][1:]:
        raise InvalidCommandError(
            f"the postmortem of {state.id} is a {doc['template']} draft with human edits; "
            f"draft it again with --template {doc['template']}"
        )
    events = store.read_events(call.conn, state.id)
    record = fold(state.id, events)
    payload = {
        "template": template,
        "through_seq": events[-1].seq,
        "sections": _sections(generate.draft(record, template)),
        "external_sections": _sections(generate.draft(record, template, external=True)),
    }
    drafts: list[tuple[str, dict[str, Any]]] = [("postmortem.drafted", payload)]
    if doc["due"] is None and _resolved_at(call) is not None:
        drafts.insert(0, ("postmortem.scheduled", due_from_resolution(call, call.actor)))
    return Plan(state.id, drafts)


def _sections(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "text": text} for name, text in pairs]


def _require_draft(call: Call) -> document.Doc:
    doc = current(call)
    if doc["template"] is None:
        raise InvalidCommandError(
            f"{call.incident.id} has no postmortem draft; write one with "
            "`fireline postmortem draft INC --template kfm|ir|evidence-kit`"
        )
    return doc


def _edit(call: Call, cmd: EditPostmortem) -> Plan:
    doc = _require_draft(call)
    name = document.find_section(doc, cmd.section, external=cmd.external)
    if name is None:
        version = doc[document.track(cmd.external)]
        known = ", ".join(repr(s["name"]) for s in version["sections"])
        where = "external version" if cmd.external else "postmortem"
        raise InvalidCommandError(f"the {where} has no section {cmd.section!r}; known: {known}")
    state = doc[document.track(cmd.external)]["state"]
    if state == document.PUBLISHED:
        raise InvalidCommandError(
            f"the {_what(cmd.external)} of {call.incident.id} is published; it can no longer "
            "be edited"
        )
    payload = {
        "section": name,
        "text": require_text("section text", cmd.text, limit=SECTION_LIMIT),
        "external": cmd.external,
        "reopened": state in (document.IN_REVIEW, document.APPROVED),
    }
    return Plan(call.incident.id, [("postmortem.edited", payload)])


def _what(external: bool) -> str:
    return "external postmortem" if external else "postmortem"


def _submit(call: Call, cmd: SubmitPostmortem) -> Plan:
    doc = _require_draft(call)
    version = doc[document.track(cmd.external)]
    if cmd.external and doc["internal"]["state"] not in (document.APPROVED, document.PUBLISHED):
        raise InvalidCommandError(
            f"the postmortem of {call.incident.id} must be approved before its external "
            "version is submitted"
        )
    if version["state"] != document.DRAFT:
        raise InvalidCommandError(
            f"the {_what(cmd.external)} of {call.incident.id} is {version['state']}, not a draft"
        )
    reviewers = list(dict.fromkeys(parse_actor(r) for r in cmd.reviewers))
    if not reviewers:
        raise InvalidCommandError("name at least one --reviewer")
    payload = {"external": cmd.external, "reviewers": reviewers}
    return Plan(call.incident.id, [("postmortem.submitted", payload)])


def _approve(call: Call, cmd: ApprovePostmortem) -> Plan:
    doc = _require_draft(call)
    version = doc[document.track(cmd.external)]
    if version["state"] != document.IN_REVIEW:
        raise InvalidCommandError(
            f"the {_what(cmd.external)} of {call.incident.id} is {version['state']}, not in review"
        )
    if call.actor not in version["reviewers"]:
        raise InvalidCommandError(
            f"{call.actor} is not a reviewer of the {_what(cmd.external)} of "
            f"{call.incident.id} (reviewers: {', '.join(version['reviewers'])})"
        )
    if call.actor in version["approvals"]:
        raise InvalidCommandError(f"{call.actor} has already approved it")
    authors = list(version["authors"])
    if cmd.external:
        authors += [a for a in doc["internal"]["authors"] if a not in authors]
    approved = {*version["approvals"], call.actor}
    payload = {
        "external": cmd.external,
        "authors": authors,
        "complete": approved >= set(version["reviewers"]),
    }
    return Plan(call.incident.id, [("postmortem.approved", payload)])


def _publish(call: Call, cmd: PublishPostmortem) -> Plan:
    doc = _require_draft(call)
    version = doc[document.track(cmd.external)]
    if cmd.external and doc["internal"]["state"] != document.PUBLISHED:
        raise InvalidCommandError(
            f"publish the postmortem of {call.incident.id} before its external version"
        )
    if version["state"] != document.APPROVED:
        raise InvalidCommandError(
            f"the {_what(cmd.external)} of {call.incident.id} is {version['state']}; only an "
            "approved one can be published"
        )
    return Plan(call.incident.id, [("postmortem.published", {"external": cmd.external})])


def _overdue(call: Call, cmd: RecordPostmortemOverdue) -> Plan:
    doc = current(call)
    due = cmd.due.isoformat()
    if doc["due"] != due or due in doc["overdue"]:
        raise InvalidCommandError(f"the postmortem of {call.incident.id} is not newly overdue")
    if not document.is_overdue(doc, today(call).isoformat()):
        raise InvalidCommandError(f"the postmortem of {call.incident.id} is not overdue")
    return Plan(call.incident.id, [("postmortem.overdue", {"due": due})])


POSTMORTEM_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    SchedulePostmortem: _schedule,
    DraftPostmortem: _draft,
    EditPostmortem: _edit,
    SubmitPostmortem: _submit,
    ApprovePostmortem: _approve,
    PublishPostmortem: _publish,
    RecordPostmortemOverdue: _overdue,
}
