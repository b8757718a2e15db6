"""Handlers for alert intake, on the ALERTS chain: sources, deliveries and routing decisions.

A delivery (`RecordAlerts`) keeps only the alerts whose state changed (new fingerprint, status,
start or end), folds them into their groups and decides firing → resolved transitions and
flapping here, once, so the projection replays them without reading configuration. One event
per delivery, however many alerts it holds: the chain stays verifiable at intake rates because
its events are few and each carries its alerts whole. Handlers never write (an HMAC key is
placed by the plan's effect, inside the same transaction).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from fireline.commands import AddSource, RecordAlerts, RecordRouting, RemoveSource
from fireline.db import alert_deliveries, alert_groups, alert_source_keys, alert_sources, alerts
from fireline.domain import ALERTS_CHAIN, IncidentId, iso_utc
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.redaction import Redactor
from fireline.service.plan import Call, Plan

SOURCE_KINDS = ("alertmanager", "pagerduty", "grafana", "generic")
SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Strings joined for one redaction pass; a secret never spans it (no rule matches a NUL).
_JOIN = "\n\x00\n"


class AlreadyRecordedError(InvalidCommandError):
    """The delivery changes nothing: the same body was recorded before, or no alert in it
    changed state. Intake answers the sender with success; nothing was written."""

    http_status = 200


def group_id(source: str, key: str) -> str:
    """A group's short stable id: its source and key, hashed (group keys can be long)."""
    return hashlib.sha256(f"{source}\n{key}".encode()).hexdigest()[:16]


def check_source_name(name: str) -> str:
    if not SOURCE_NAME.fullmatch(name):
        raise InvalidCommandError(
            f"invalid source name {name!r}; use 1-32 lowercase letters, digits or - "
            "(starting alphanumeric)"
        )
    return name


def active_source(conn: sa.Connection, name: str) -> Any:
    """The source's row, or NotFoundError when there is none (or it was removed)."""
    row = conn.execute(
        sa.select(alert_sources).where(
            alert_sources.c.name == name, alert_sources.c.removed_at.is_(None)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no alert source {name}; add it with `fireline source add`")
    return row


def _add_source(call: Call, cmd: AddSource) -> Plan:
    name = check_source_name(cmd.name)
    if cmd.kind not in SOURCE_KINDS:
        raise InvalidCommandError(
            f"unknown source kind {cmd.kind!r}; allowed: {', '.join(SOURCE_KINDS)}"
        )
    if not _SHA256.fullmatch(cmd.secret_sha256):
        raise InvalidCommandError("a source secret must be recorded by its SHA-256 digest")
    if cmd.hmac_key is not None and cmd.kind != "generic":
        raise InvalidCommandError("only a generic source signs its bodies with HMAC")
    existing = call.conn.execute(
        sa.select(alert_sources.c.removed_at).where(alert_sources.c.name == name)
    ).first()
    if existing is not None:
        raise InvalidCommandError(f"alert source {name} exists already; choose another name")
    payload = {
        "name": name,
        "kind": cmd.kind,
        "auth": "hmac" if cmd.hmac_key is not None else "bearer",
        "secret_sha256": cmd.secret_sha256,
    }
    effects: tuple[Callable[[], object], ...] = ()
    if cmd.hmac_key is not None:
        key = cmd.hmac_key
        effects = (
            lambda: call.conn.execute(alert_source_keys.insert().values(name=name, key=key)),
        )
    return Plan(IncidentId(ALERTS_CHAIN), [("source.added", payload)], effects=effects)


def _remove_source(call: Call, cmd: RemoveSource) -> Plan:
    row = active_source(call.conn, cmd.name)
    name = row.name
    effects = (
        lambda: call.conn.execute(
            alert_source_keys.delete().where(alert_source_keys.c.name == name)
        ),
    )
    payload = {"name": name, "reason": cmd.reason.strip()}
    return Plan(IncidentId(ALERTS_CHAIN), [("source.removed", payload)], effects=effects)


def _record_alerts(call: Call, cmd: RecordAlerts) -> Plan:
    source = active_source(call.conn, cmd.source).name
    seen = call.conn.execute(
        sa.select(alert_deliveries.c.seq).where(
            alert_deliveries.c.source == source,
            alert_deliveries.c.body_sha256 == cmd.body_sha256,
        )
    ).first()
    if seen is not None:
        raise AlreadyRecordedError(f"this delivery was recorded already (event {seen.seq})")
    incoming = _latest_per_fingerprint(cmd.alerts)
    current = _current_alerts(call.conn, source, incoming)
    for fingerprint, alert in list(incoming.items()):
        if alert["group_id"]:
            continue
        # A resolution naming only its key (PagerDuty's resolve): it ends the alert it names,
        # in that alert's group, with its labels; one nothing knows changes nothing.
        known = current.get(fingerprint)
        if known is None:
            del incoming[fingerprint]
        else:
            incoming[fingerprint] = {
                **alert,
                "group_id": known.group_id,
                "labels": json.loads(known.labels),
                "annotations": json.loads(known.annotations),
                "starts_at": known.starts_at,
                "ends_at": alert["ends_at"] or iso_utc(call.now),
            }
    changed = [a for fp, a in incoming.items() if _is_change(current.get(fp), a)]
    if not changed:
        raise AlreadyRecordedError("no alert in this delivery changed state")
    records, summary, sensitive = redact_records(call.ctx.redactor, changed)
    groups = _group_changes(call, source, changed, current)
    payload = {
        "source": source,
        "body_sha256": cmd.body_sha256,
        "alerts": records,
        "groups": groups,
        "truncated": cmd.truncated,
        "redacted": summary,
        "sensitive": sensitive,
    }
    return Plan(IncidentId(ALERTS_CHAIN), [("alert.received", payload)])


def _latest_per_fingerprint(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    # A body naming one fingerprint twice keeps its last word, as Alertmanager would.
    return {str(a["fingerprint"]): a for a in items}


def _current_alerts(
    conn: sa.Connection, source: str, incoming: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    names = list(incoming)
    for start in range(0, len(names), 500):  # within every backend's bind limit
        chunk = names[start : start + 500]
        rows = conn.execute(
            sa.select(
                alerts.c.fingerprint,
                alerts.c.status,
                alerts.c.starts_at,
                alerts.c.ends_at,
                alerts.c.group_id,
                alerts.c.labels,
                alerts.c.annotations,
            ).where(alerts.c.source == source, alerts.c.fingerprint.in_(chunk))
        )
        found.update({row.fingerprint: row for row in rows})
    return found


def _is_change(row: Any, alert: dict[str, Any]) -> bool:
    if row is None:
        return True
    return bool(
        (row.status, row.starts_at, row.ends_at, row.group_id)
        != (alert["status"], alert["starts_at"], alert["ends_at"], alert["group_id"])
    )


def redact_records(
    redactor: Redactor, changed: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int], list[str]]:
    """The records with their labels and annotations redacted, and the redaction summary.

    One pass over all their strings joined, because a redactor call costs far more than its
    length: when that pass finds no secret, no string holds one (kept as they are); otherwise
    each string is redacted on its own, so placeholders number per value as everywhere else.
    """
    texts: list[str] = []
    for alert in changed:
        for part in (alert["labels"], alert["annotations"]):
            for key, value in part.items():
                texts.append(key)
                texts.append(value)
    whole = redactor.redact(_JOIN.join(texts))
    sensitive = set(whole.sensitive)
    counts: dict[str, int] = {}
    clean: Callable[[str], str] = str
    if whole.findings:

        def clean(text: str) -> str:
            result = redactor.redact(text)
            for kind, count in result.summary.items():
                counts[kind] = counts.get(kind, 0) + count
            return result.text

    records = []
    for alert in changed:
        records.append(
            {
                "fingerprint": alert["fingerprint"],
                "status": alert["status"],
                "starts_at": alert["starts_at"],
                "ends_at": alert["ends_at"],
                "labels": {clean(k): clean(v) for k, v in alert["labels"].items()},
                "annotations": {clean(k): clean(v) for k, v in alert["annotations"].items()},
                "group_id": alert["group_id"],
            }
        )
    return records, dict(sorted(counts.items())), sorted(sensitive)


def _group_changes(
    call: Call, source: str, changed: Sequence[dict[str, Any]], current: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each touched group's state after this delivery: firing count, status, flapping."""
    settings = call.ctx.settings
    touched: dict[str, dict[str, Any]] = {}
    for alert in changed:
        touched.setdefault(
            alert["group_id"], {"key": alert["group_key"], "labels": alert["group_labels"]}
        )
    rows = {
        row.id: row
        for row in call.conn.execute(
            sa.select(alert_groups).where(alert_groups.c.id.in_(list(touched)))
        )
    }
    delta: dict[str, list[int]] = {gid: [0, 0] for gid in touched}  # firing, total
    for alert in changed:
        before = current.get(alert["fingerprint"])
        if before is not None and before.group_id != alert["group_id"]:
            # An alert that moved groups (a changed grouping) counts as new in its new one.
            before = None
        step = delta[alert["group_id"]]
        step[0] += (alert["status"] == "firing") - (
            before is not None and before.status == "firing"
        )
        step[1] += before is None
    now = call.now
    window = timedelta(minutes=settings.intake_flap_minutes)
    out = []
    for gid, info in touched.items():
        row = rows.get(gid)
        firing = max(0, (row.firing if row is not None else 0) + delta[gid][0])
        total = max(0, (row.total if row is not None else 0) + delta[gid][1])
        status = "firing" if firing else "resolved"
        previous = None if row is None else row.status
        transitions = [] if row is None else list(json.loads(row.transitions))
        if previous != status:
            transitions.append(iso_utc(now))
        transitions = [t for t in transitions if _parse(t) > now - window][-64:]
        flapping = len(transitions) >= settings.intake_flap_changes
        out.append(
            {
                "id": gid,
                "key": info["key"],
                "labels": info["labels"] if row is None else json.loads(row.labels),
                "status": status,
                "previous": previous,
                "firing": firing,
                "total": total,
                "flapping": flapping,
                "transitions": transitions,
            }
        )
    return sorted(out, key=lambda g: g["id"])


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _record_routing(call: Call, cmd: RecordRouting) -> Plan:
    row = call.conn.execute(
        sa.select(alert_groups).where(alert_groups.c.id == cmd.group_id)
    ).first()
    if row is None or row.source != cmd.source:
        raise NotFoundError(f"no alert group {cmd.group_id} from {cmd.source}")
    payload = {
        "source": cmd.source,
        "group_id": cmd.group_id,
        "status": cmd.status,
        "action": cmd.action,
        "reason": cmd.reason,
        "incident_id": cmd.incident_id,
        "severity": cmd.severity,
        # Scores as text: a float's JSON form is not canonical JSON's (1.0 is stored as 1), and
        # the projection must read back exactly what the live write saw.
        "suggestions": [
            {**s, "score": f"{float(str(s.get('score', 0))):.3f}"} for s in cmd.suggestions
        ],
    }
    return Plan(IncidentId(ALERTS_CHAIN), [("alert.routed", payload)])


ALERT_COMMANDS = (AddSource, RemoveSource, RecordAlerts, RecordRouting)
ALERT_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    AddSource: _add_source,
    RemoveSource: _remove_source,
    RecordAlerts: _record_alerts,
    RecordRouting: _record_routing,
}
