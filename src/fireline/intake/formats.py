"""What each sender posts, parsed into fireline's normalised alerts. Pure: data in, data out.

Alertmanager (webhook payload version 4) and Grafana (the same shape, plus its own fields) send
whole groups; PagerDuty Events v2 and generic senders send one alert at a time and are grouped
by the `intake_group_by` labels. Every refusal is an InvalidCommandError naming the field: the
route answers it 4xx and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fireline.domain import iso_utc
from fireline.errors import InvalidCommandError
from fireline.service.alerts import group_id

Alert = dict[str, Any]
LABEL_KEY_LIMIT = 256
LABEL_VALUE_LIMIT = 4096
ANNOTATION_LIMIT = 16_384
# Alertmanager's "no end yet": Go's zero time.
_ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class Limits:
    """What one delivery may hold, and which times are believable (from the settings)."""

    now: datetime
    max_alerts: int
    max_labels: int
    max_future: timedelta
    max_age: timedelta
    group_by: tuple[str, ...]


@dataclass(frozen=True)
class Parsed:
    alerts: list[Alert]
    truncated: int = 0
    dedup_key: str | None = None  # PagerDuty answers it back


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InvalidCommandError(f"{where} must be a JSON object")
    return value


def _text(value: object, where: str, *, limit: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidCommandError(f"{where} must be a non-empty string")
    if len(value) > limit:
        raise InvalidCommandError(f"{where} is {len(value)} characters; the limit is {limit}")
    return value


def _string_map(value: object, where: str, *, limits: Limits, value_limit: int) -> dict[str, str]:
    if value is None:
        return {}
    found = _object(value, where)
    if len(found) > limits.max_labels:
        raise InvalidCommandError(
            f"{where} has {len(found)} entries; the limit is {limits.max_labels} "
            "(intake_max_labels)"
        )
    out: dict[str, str] = {}
    for key, item in found.items():
        _text(key, f"{where} key", limit=LABEL_KEY_LIMIT)
        if isinstance(item, bool | int | float):
            item = json.dumps(item)
        out[key] = _text(item, f"{where}.{key}", limit=value_limit, required=False)
    return out


def _time(value: object, where: str, *, limits: Limits, end: bool = False) -> str | None:
    """ISO 8601 → fireline's UTC form; far-future (or, for starts, far-past) times refused."""
    if value is None or value == "" or value == _ZERO_TIME:
        return None
    if not isinstance(value, str):
        raise InvalidCommandError(f"{where} must be an RFC 3339 timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidCommandError(f"{where} is not an RFC 3339 timestamp: {value[:64]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.year <= 1:
        return None
    if moment > limits.now + limits.max_future:
        raise InvalidCommandError(f"{where} {value[:64]} is in the future beyond intake_max_future")
    if not end and moment < limits.now - limits.max_age:
        raise InvalidCommandError(f"{where} {value[:64]} is older than intake_max_age")
    return iso_utc(moment)


def _labels_fingerprint(labels: Mapping[str, str]) -> str:
    text = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _grouped(source: str, labels: Mapping[str, str], limits: Limits) -> tuple[str, dict[str, str]]:
    chosen = {name: labels[name] for name in limits.group_by if name in labels}
    key = json.dumps(chosen, sort_keys=True, separators=(",", ":"))
    return key, chosen


def parse_alertmanager(body: object, source: str, limits: Limits) -> Parsed:
    """An Alertmanager webhook (version 4): the whole group, keyed by its `groupKey`."""
    doc = _object(body, "the body")
    version = doc.get("version")
    if version != "4":
        raise InvalidCommandError(
            f'version must be "4" (Alertmanager\'s webhook payload), got {str(version)[:16]!r}'
        )
    return _group_payload(doc, source, limits)


def parse_grafana(body: object, source: str, limits: Limits) -> Parsed:
    """A Grafana alerting webhook: Alertmanager's group shape with Grafana's fields beside it."""
    return _group_payload(_object(body, "the body"), source, limits)


def _group_payload(doc: Mapping[str, Any], source: str, limits: Limits) -> Parsed:
    key = _text(doc.get("groupKey"), "groupKey", limit=LABEL_VALUE_LIMIT)
    group_labels = _string_map(
        doc.get("groupLabels"), "groupLabels", limits=limits, value_limit=LABEL_VALUE_LIMIT
    )
    items = doc.get("alerts")
    if not isinstance(items, list) or not items:
        raise InvalidCommandError("alerts must be a non-empty list")
    _count(items, limits)
    truncated = doc.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise InvalidCommandError("truncatedAlerts must be a whole number")
    gid = group_id(source, key)
    out = []
    for n, item in enumerate(items):
        where = f"alerts[{n}]"
        alert = _object(item, where)
        status = alert.get("status")
        if status not in ("firing", "resolved"):
            raise InvalidCommandError(f"{where}.status must be firing or resolved")
        labels = _string_map(
            alert.get("labels"), f"{where}.labels", limits=limits, value_limit=LABEL_VALUE_LIMIT
        )
        if not labels:
            raise InvalidCommandError(f"{where}.labels must name the alert")
        annotations = _string_map(
            alert.get("annotations"),
            f"{where}.annotations",
            limits=limits,
            value_limit=ANNOTATION_LIMIT,
        )
        fingerprint = alert.get("fingerprint") or _labels_fingerprint(labels)
        out.append(
            {
                "fingerprint": _text(fingerprint, f"{where}.fingerprint", limit=200),
                "status": status,
                "starts_at": _time(alert.get("startsAt"), f"{where}.startsAt", limits=limits),
                "ends_at": _time(alert.get("endsAt"), f"{where}.endsAt", limits=limits, end=True)
                if status == "resolved"
                else None,
                "labels": labels,
                "annotations": annotations,
                "group_id": gid,
                "group_key": key,
                "group_labels": group_labels,
            }
        )
    return Parsed(out, truncated)


def _count(items: list[Any], limits: Limits) -> None:
    if len(items) > limits.max_alerts:
        raise InvalidCommandError(
            f"the delivery holds {len(items)} alerts; the limit is {limits.max_alerts} "
            "(intake_max_alerts)"
        )


PD_ACTIONS = {"trigger": "firing", "acknowledge": "firing", "resolve": "resolved"}
PD_SEVERITIES = ("critical", "error", "warning", "info")


def parse_pagerduty(body: object, source: str, limits: Limits) -> Parsed:
    """A PagerDuty Events API v2 event (`/v2/enqueue`): one alert, by `dedup_key`."""
    doc = _object(body, "the body")
    action = doc.get("event_action")
    if action not in PD_ACTIONS:
        raise InvalidCommandError("event_action must be trigger, acknowledge or resolve")
    dedup = doc.get("dedup_key")
    if action != "trigger" and not dedup:
        raise InvalidCommandError(f"dedup_key is required to {action} an alert")
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    starts_at = None
    if action == "trigger":
        payload = _object(doc.get("payload"), "payload")
        summary = _text(payload.get("summary"), "payload.summary", limit=1024)
        origin = _text(payload.get("source"), "payload.source", limit=LABEL_VALUE_LIMIT)
        severity = payload.get("severity")
        if severity not in PD_SEVERITIES:
            raise InvalidCommandError(f"payload.severity must be one of {', '.join(PD_SEVERITIES)}")
        labels = {"severity": severity, "source": origin}
        for name in ("component", "group", "class"):
            value = _text(
                payload.get(name), f"payload.{name}", limit=LABEL_VALUE_LIMIT, required=False
            )
            if value:
                labels[name] = value
        labels["alertname"] = labels.get("class") or summary[:200]
        labels["service"] = labels.get("component") or labels.get("group") or origin
        annotations["summary"] = summary
        details = payload.get("custom_details")
        if details is not None:
            text = details if isinstance(details, str) else json.dumps(details, sort_keys=True)
            annotations["custom_details"] = _text(
                text, "payload.custom_details", limit=ANNOTATION_LIMIT
            )
        for name in ("links", "images"):
            found = doc.get(name)
            if found is not None:
                if not isinstance(found, list):
                    raise InvalidCommandError(f"{name} must be a list")
                links = [_object(x, f"{name}[]").get("href") for x in found]
                hrefs = [h for h in links if isinstance(h, str)]
                if hrefs:
                    annotations[name] = " ".join(hrefs)[:ANNOTATION_LIMIT]
        if len(labels) > limits.max_labels:
            raise InvalidCommandError(f"too many labels; the limit is {limits.max_labels}")
        starts_at = _time(payload.get("timestamp"), "payload.timestamp", limits=limits)
        if dedup is None:
            dedup = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]
    key_text = _text(dedup, "dedup_key", limit=200)
    status = PD_ACTIONS[str(action)]
    if action == "resolve":
        return Parsed([_pd_resolution(source, key_text)], dedup_key=key_text)
    key, chosen = _grouped(source, labels, limits)
    alert = {
        "fingerprint": key_text,
        "status": status,
        "starts_at": starts_at,
        "ends_at": None,
        "labels": labels,
        "annotations": annotations,
        "group_id": group_id(source, key),
        "group_key": key,
        "group_labels": chosen,
    }
    return Parsed([alert], dedup_key=key_text)


def _pd_resolution(source: str, dedup: str) -> Alert:
    # A resolve names only the dedup_key: the receiving side fills in its group and labels.
    return {
        "fingerprint": dedup,
        "status": "resolved",
        "starts_at": None,
        "ends_at": None,
        "labels": {},
        "annotations": {},
        "group_id": "",
        "group_key": "",
        "group_labels": {},
    }


def _path(doc: object, path: str) -> object:
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def parse_generic(
    body: object, source: str, limits: Limits, *, mapping: Mapping[str, str]
) -> Parsed:
    """A JSON alert (or list of them, at `mapping.alerts`) read through the source's mapping.

    Mapping keys: alerts, fingerprint, status, firing (the status value meaning firing,
    default "firing"), labels, annotations, starts_at, ends_at, summary.
    """
    if "fingerprint" not in mapping:
        raise InvalidCommandError(
            f"generic source {source} has no field mapping; add [sources.{source}] with at "
            'least fingerprint = "json.path" to fireline.toml'
        )
    items = _path(body, mapping["alerts"]) if "alerts" in mapping else body
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        raise InvalidCommandError("the body holds no alert (an object, or a non-empty list)")
    _count(items, limits)
    firing_value = mapping.get("firing", "firing")
    out = []
    for n, item in enumerate(items):
        where = f"alert {n}"
        fingerprint = _path(item, mapping["fingerprint"])
        if isinstance(fingerprint, int | float) and not isinstance(fingerprint, bool):
            fingerprint = str(fingerprint)
        status_value = _path(item, mapping["status"]) if "status" in mapping else firing_value
        labels = _string_map(
            _path(item, mapping["labels"]) if "labels" in mapping else None,
            f"{where} labels",
            limits=limits,
            value_limit=LABEL_VALUE_LIMIT,
        )
        annotations = _string_map(
            _path(item, mapping["annotations"]) if "annotations" in mapping else None,
            f"{where} annotations",
            limits=limits,
            value_limit=ANNOTATION_LIMIT,
        )
        if "summary" in mapping:
            summary = _path(item, mapping["summary"])
            if isinstance(summary, str) and summary:
                annotations["summary"] = summary[:ANNOTATION_LIMIT]
        status = "firing" if status_value == firing_value else "resolved"
        key, chosen = _grouped(source, labels, limits)
        out.append(
            {
                "fingerprint": _text(fingerprint, f"{where} {mapping['fingerprint']}", limit=200),
                "status": status,
                "starts_at": _time(
                    _path(item, mapping["starts_at"]) if "starts_at" in mapping else None,
                    f"{where} starts_at",
                    limits=limits,
                ),
                "ends_at": _time(
                    _path(item, mapping["ends_at"]) if "ends_at" in mapping else None,
                    f"{where} ends_at",
                    limits=limits,
                    end=True,
                )
                if status == "resolved"
                else None,
                "labels": labels,
                "annotations": annotations,
                "group_id": group_id(source, key),
                "group_key": key,
                "group_labels": chosen,
            }
        )
    return Parsed(out)


Parser = Callable[[object, str, Limits], Parsed]
PARSERS: dict[str, Parser] = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "pagerduty": parse_pagerduty,
}
