"""The one-line timeline summary of each event kind, from its payload alone."""

from __future__ import annotations

from collections.abc import Callable

from fireline.postmortem.summaries import POSTMORTEM_SUMMARIES
from fireline.projections.kinds import Payload
from fireline.receipts.summaries import INTEGRITY_SUMMARIES


def _reason(p: Payload) -> str:
    return f": {p['reason']}" if p.get("reason") else ""


def _attached(p: Payload) -> str:
    names = [c["checklist"] for c in p.get("checklists", ())]
    return f" (checklists {', '.join(names)} attached)" if names else ""


SUMMARIES: dict[str, Callable[[Payload], str]] = {
    "incident.declared": lambda p: (
        f"Declared {'DRILL ' if p.get('drill') else ''}{p['severity']}: {p['title']}{_attached(p)}"
    ),
    "role.assigned": lambda p: (
        f"{p['holder']} is {p['role']}" + (f" (replacing {p['replaces']})" if p["replaces"] else "")
    ),
    "role.overridden": lambda p: (
        f"Admin override: {p['holder']} is {p['role']}"
        + (f" (replacing {p['replaces']})" if p["replaces"] else "")
        + f": {p['reason']}"
    ),
    "role.released": lambda p: f"{p['holder']} released {p['role']}",
    "severity.changed": lambda p: (
        f"Severity {p['from_severity']} → {p['to_severity']}{_reason(p)}{_attached(p)}"
    ),
    "status.changed": lambda p: f"Status {p['from_status']} → {p['to_status']}{_reason(p)}",
    "entry.fact": lambda p: str(p["text"]),
    "entry.hypothesis": lambda p: str(p["text"]),
    "entry.decision": lambda p: str(p["text"]),
    "entry.mitigation": lambda p: str(p["text"]),
    "entry.detection": lambda p: str(p["text"]),
    "entry.root_cause": lambda p: str(p["text"]) + (" (partial)" if p["partial"] else ""),
    "entry.corrected": lambda p: str(p["text"]),
    "entry.erased": lambda p: f"Erased event {p['target_seq']}{_reason(p)}",
    "update.published": lambda p: (
        f"{'Public update' if p.get('public') else 'Update'} #{p['number']} ({p['status']})"
        + (f": {p['impact']}" if p["impact"] else "")
    ),
    "action_item.added": lambda p: (
        f"Action #{p['number']}: {p['title']} (owner {p['owner']}"
        + (f", due {p['due']}" if p["due"] else "")
        + f", {p['priority']})"
    ),
    "action_item.completed": lambda p: (
        f"Action #{p['number']} done" + (f": {p['note']}" if p["note"] else "")
    ),
    "action_item.verified": lambda p: (
        f"Action #{p['number']} verified" + (f": {p['note']}" if p["note"] else "")
    ),
    "user.added": lambda p: f"User {p['name']} added as {', '.join(p['roles'])}",
    "user.updated": lambda p: f"User {p['name']} now {', '.join(p['roles'])}",
    "password.set": lambda p: (
        f"Password set for {p['user']}"
        + (" (one-time: to be changed at first login)" if p["must_change"] else "")
    ),
    "token.created": lambda p: (
        f"Token {p['id']} ({p['name']}, {p['scope']}) created for "
        f"{p['user']}, expires {p['expires_at']}"
    ),
    "token.revoked": lambda p: (
        f"Token {p['id']} of {p['user']} revoked" + (f": {p['reason']}" if p["reason"] else "")
    ),
    "token.expiry_changed": lambda p: (
        f"Token {p['id']} of {p['user']} now expires {p['expires_at']}"
    ),
    "channel.added": lambda p: (
        f"Channel {p['name']} ({p['kind']}"
        + (", restricted" if p["restricted"] else "")
        + (", drills" if p["drills"] else "")
        + ") added"
    ),
    "channel.removed": lambda p: f"Channel {p['name']} removed",
    "subscription.added": lambda p: (
        f"{p['channel']} subscribed to {', '.join(p['events'])}"
        + (f" for {', '.join(p['severities'])}" if p["severities"] else "")
        + (f" labelled {', '.join(p['labels'])}" if p["labels"] else "")
    ),
    "notification.delivered": lambda p: (
        f"Notified {p['channel']} of event {p['event_seq']} ({p['event_kind']}): "
        f"status {p['status']}, attempt {p['attempt']}"
    ),
    "notification.failed": lambda p: (
        f"Notifying {p['channel']} of event {p['event_seq']} failed "
        f"(attempt {p['attempt']}{', dead' if p['dead'] else ''}): {p['reason']}"
    ),
    "account.locked": lambda p: (
        f"Account {p['user']} locked until {p['until']} after {p['failures']} failed logins"
    ),
    "postmortem.scheduled": lambda p: f"Postmortem due {p['due']} (owner {p['owner']})",
    "postmortem.completed": lambda p: f"Postmortem done: {p['link']}",
    **POSTMORTEM_SUMMARIES,
    "governance.reviewed": lambda p: f"Governance review signed off: {p['outcome']}",
    "gate.exception": lambda p: (
        f"Exception requested for gate {p['gate']} (as {p['as_role']}): {p['justification']}"
    ),
    "gate.approved": lambda p: f"Exception {p['exception_seq']} approved as {p['as_role']}",
    "breakglass.granted": lambda p: (  # the why is the entry's detail
        f"Breakglass for {p['to']} ({p['scope']}) until {p['expires_at']}"
    ),
    "breakglass.revoked": lambda p: f"Breakglass grant {p['grant_seq']} revoked" + _reason(p),
    "freeze.lifted": lambda p: f"Deploy freeze lifted{_reason(p)}",
    "access.read": lambda p: f"Read ({p['view']})",
    "export.created": lambda p: (
        f"Exported ({'masked' if p['masked'] else 'unmasked'}) up to event {p['seq']}"
    ),
    "runbook.attached": lambda p: (
        f"{'Checklist' if p['builtin'] else 'Runbook'} {p['checklist']} attached: {p['title']} "
        f"({len(p['items'])} item{'' if len(p['items']) == 1 else 's'})"
    ),
    "checklist.item_checked": lambda p: (
        f"Checked {p['checklist']}:{p['number']}" + (f": {p['note']}" if p["note"] else "")
    ),
    "checklist.item_unchecked": lambda p: (
        f"Unchecked {p['checklist']}:{p['number']}" + (f": {p['note']}" if p["note"] else "")
    ),
    "evidence.added": lambda p: _evidence_summary(p),
    "source.added": lambda p: f"Alert source {p['name']} added ({p['kind']}, {p['auth']})",
    "source.removed": lambda p: f"Alert source {p['name']} removed{_reason(p)}",
    "alert.received": lambda p: (
        f"{len(p['alerts'])} alert change(s) from {p['source']} in {len(p['groups'])} group(s)"
    ),
    "alert.routed": lambda p: (
        f"Alert group {p['group_id']} ({p['status']}): {p['action']}"
        + (f" → {p['incident_id']}" if p["incident_id"] else "")
        + _reason(p)
    ),
    "update.reminder": lambda p: (
        f"Update due {p['due_at']} ({p['minutes_left']} min): reminded "
        + (", ".join([*p["ic"], *p["comms"]]) or "nobody (no IC or Comms Lead)")
    ),
    "update.overdue": lambda p: f"Update overdue: slot {p['slot']} was due {p['due_at']}",
    "obligation.opened": lambda p: (
        f"Obligation {p['name']} opened: {p['title']} by {p['due_at']} (owner {p['owner']})"
    ),
    "obligation.met": lambda p: f"Obligation {p['name']} met: {p['evidence']}",
    "obligation.missed": lambda p: f"Obligation {p['name']} missed (due {p['due_at']})",
    **INTEGRITY_SUMMARIES,
    "milestone.recorded": lambda p: (
        f"Milestone {p['milestone']} at {p['at']}" + (f": {p['note']}" if p["note"] else "")
    ),
    "drill.completed": lambda p: (
        f"DRILL {p['kind']} done: {p['outcome']}"
        + (f" ({len(p['findings'])} finding(s) as action items)" if p["findings"] else "")
    ),
}


def _evidence_summary(p: Payload) -> str:
    what = p["ref"] if p["ref"] is not None else f"{p['name'] or 'stdin'}, {p['size']} bytes"
    digest = f", sha256 {p['sha256'][:12]}" if p["sha256"] else ""
    unscanned = ", unscanned" if p["sha256"] and not p["scanned"] else ""
    note = f": {p['note']}" if p["note"] else ""
    return f"Evidence E{p['number']} ({p['kind']}) {what}{digest}{unscanned}{note}"
