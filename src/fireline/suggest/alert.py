"""Alerts as `runbook suggest` reads them: one Alertmanager alert, a webhook, or labels/annotations.

Pure: parses already-decoded JSON into `Alert` values and turns an alert into a weighted query.
Accepted shapes (the first that fits):

- an Alertmanager webhook (version 4) envelope: an object with an `alerts` list; every alert in
  it is read (one notification is one group, so their suggestions are merged);
- one Alertmanager alert, or any object with `labels` and/or `annotations` (string maps),
  such as an alerting rule (whose name may sit in a top-level `alertname` or `alert`).

The PromQL expression comes from an `expr` field if present, else from the alert's
`generatorURL` (`…/graph?g0.expr=…`), which is what Prometheus sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from fireline.errors import InvalidCommandError
from fireline.suggest.text import analyse, bigrams

EXPLICIT_ANNOTATIONS = ("runbook_url", "runbook")

# How much each part of an alert says about its subject. The summary is written for humans to
# name the problem; descriptions add detail (and template noise); the expression names the
# metrics; labels are mostly routing (namespace, pod), so they count least.
QUERY_WEIGHTS: dict[str, float] = {
    "summary": 1.0,
    "message": 0.8,
    "description": 0.5,
    "expr": 0.3,
    "labels": 0.3,
}
OTHER_ANNOTATION_WEIGHT = 0.5
BIGRAM_WEIGHT = 0.6
IGNORED_LABELS = frozenset({"alertname", "severity"})
# Rule sets name their one-line summary differently; the first of these an alert has is its
# summary, so an alert with only a `description` or a `title` is read as well as one with a
# `summary`.
SUMMARY_KEYS = ("summary", "title", "message", "subject", "headline", "description")
# Annotations that point somewhere (dashboards, links, panel and dashboard ids) say nothing of
# the subject, in any rule set.
_POINTER_KEY = re.compile(r"(^|_)(url|uri|link|path|href|dashboard|panel|id|uid)s?($|_)", re.I)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)
# The component an alert is about: matched against a runbook's folder, services and title.
SERVICE_LABELS = ("service", "component", "app", "job", "type", "namespace", "container")
# Whose alert it is: matched against a runbook's owner and team, and its folder.
TEAM_LABELS = ("team", "owner", "squad")
SERVICE_WEIGHT = 1.0
TEAM_WEIGHT = 0.5
_MATCHER = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*(=~|=|!=|!~)\s*\"((?:[^\"\\]|\\.)*)\"")


@dataclass(frozen=True)
class Query:
    """Weighted terms to rank by, and the word each term stands for (for reasons)."""

    weights: dict[str, float]
    words: dict[str, str]
    service: dict[str, float] = field(default_factory=dict)

    def say(self, term: str) -> str:
        """A term in words: `lead_chang` → "leader changes"."""
        return " ".join(self.words.get(part, part) for part in term.split("_"))


@dataclass(frozen=True)
class Alert:
    """What suggestion uses of one alert: its name, labels, annotations and expression."""

    name: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    expr: str = ""

    @property
    def explicit(self) -> tuple[tuple[str, str], ...]:
        """The runbook annotations the alert carries, as (annotation, value) pairs."""
        return tuple(
            (key, self.annotations[key])
            for key in EXPLICIT_ANNOTATIONS
            if self.annotations.get(key, "").strip()
        )


def parse_alerts(data: object, *, source: str = "alert") -> tuple[Alert, ...]:
    """The alerts in decoded JSON `data`; InvalidCommandError naming `source` if none fit."""
    if isinstance(data, dict) and "alerts" in data:
        items = data["alerts"]
        if not isinstance(items, list) or not items:
            raise InvalidCommandError(f"{source}: `alerts` must be a non-empty list of alerts")
        return tuple(_alert(item, f"{source}: alerts[{n}]") for n, item in enumerate(items))
    return (_alert(data, source),)


def _alert(data: object, where: str) -> Alert:
    if not isinstance(data, dict):
        raise InvalidCommandError(f"{where} must be a JSON object with labels and annotations")
    labels = _string_map(data.get("labels"), f"{where}: labels")
    annotations = _string_map(data.get("annotations"), f"{where}: annotations")
    if not labels and not annotations:
        raise InvalidCommandError(f"{where} has no labels or annotations to match on")
    expr = data.get("expr")
    if not isinstance(expr, str):
        expr = _expr_from_url(data.get("generatorURL"))
    # A rule (as exported from a rules file) names itself at the top level, not in labels.
    rule_name = data.get("alertname", data.get("alert"))
    name = labels.get("alertname") or (rule_name if isinstance(rule_name, str) else "")
    return Alert(name=name, labels=labels, annotations=annotations, expr=expr)


def _string_map(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidCommandError(f"{where} must be an object of strings")
    return dict(value)


def _expr_from_url(url: object) -> str:
    if not isinstance(url, str) or not url:
        return ""
    query = parse_qs(urlsplit(url).query)
    return "\n".join(query.get("g0.expr", []))


def alert_query(alert: Alert) -> Query:
    """The alert as weighted terms: each term keeps the weight of the best part it occurs in.

    Annotations are read by meaning: the summary under any of its usual names, pointers
    (URLs, dashboard and panel ids) dropped. Bigrams of each part are added at a lower weight,
    so "leader changes" as a phrase counts more than "leader" and "changes" far apart. The
    service field (service labels and the expression's label matchers) is kept apart, to be
    matched where a runbook is rather than in what it says.
    """
    parts: list[tuple[float, list[tuple[str, str]]]] = []
    notes = {
        k: _URL.sub(" ", v)
        for k, v in alert.annotations.items()
        if k not in EXPLICIT_ANNOTATIONS and not _POINTER_KEY.search(k) and v.strip()
    }
    summary = next((k for k in SUMMARY_KEYS if k in notes), None)
    for key, value in sorted(notes.items()):
        weight = QUERY_WEIGHTS["summary"] if key == summary else None
        parts.append((weight or QUERY_WEIGHTS.get(key, OTHER_ANNOTATION_WEIGHT), analyse(value)))
    routing = " ".join(
        f"{k} {v}" for k, v in sorted(alert.labels.items()) if k not in IGNORED_LABELS
    )
    parts.append((QUERY_WEIGHTS["labels"], analyse(routing)))
    if alert.expr:
        parts.append((QUERY_WEIGHTS["expr"], analyse(alert.expr, promql=True)))
    query = weigh(parts)
    return Query(query.weights, query.words, service_terms(alert))


def service_terms(alert: Alert) -> dict[str, float]:
    """The service field: what the alert is about, from its labels and expression matchers."""
    values: dict[str, float] = {}
    matchers = [(k, v) for k, op, v in _MATCHER.findall(alert.expr) if op in ("=", "=~")]
    for key, value in (*alert.labels.items(), *matchers):
        weight = SERVICE_WEIGHT if key in SERVICE_LABELS else TEAM_WEIGHT * (key in TEAM_LABELS)
        if not weight:
            continue
        for term, _word in analyse(re.sub(r"[|.*+?^$()\\]", " ", value)):
            values[term] = max(values.get(term, 0.0), weight)
    return values


def text_query(text: str) -> Query:
    """A free-text search (`runbook search`) as weighted terms."""
    return weigh([(1.0, analyse(text))])


def weigh(parts: list[tuple[float, list[tuple[str, str]]]]) -> Query:
    """Merge (weight, analysed words) parts into one query, each term at its best weight."""
    weights: dict[str, float] = {}
    words: dict[str, str] = {}
    for weight, analysed in parts:
        tokens = [term for term, _ in analysed]
        for term, word in analysed:
            weights[term] = max(weights.get(term, 0.0), weight)
            words.setdefault(term, word)
        for pair in bigrams(tokens):
            weights[pair] = max(weights.get(pair, 0.0), weight * BIGRAM_WEIGHT)
    return Query(weights, words)
