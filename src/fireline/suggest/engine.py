"""Which runbooks fit an alert, in three stages, with the reason for each. Pure.

1. An explicit `runbook_url` / `runbook` annotation that names an indexed runbook wins.
2. The alert name, normalised (case, CamelCase, snake_case, kebab-case), against each
   runbook's front-matter `alerts`, file name and id.
3. Text retrieval (BM25F, `rank.py`) of the alert's annotations, labels and expression against
   the runbooks' title, Signals / Detection, tags and body; a runbook is suggested only when its
   confidence reaches the threshold, so an alert with no fitting runbook gets none (abstains).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from fireline.suggest.alert import Alert, Query, alert_query, text_query
from fireline.suggest.rank import Corpus, Document, Hit
from fireline.suggest.text import normalise_name

EXPLICIT_SCORE = 1.0
ALERTS_FIELD_SCORE = 0.99
FILE_NAME_SCORE = 0.98
# Runbooks after the first are listed down to this fraction of the threshold: once one runbook
# clearly fits, close runners-up are worth seeing.
RUNNER_UP_FRACTION = 0.5


@dataclass(frozen=True)
class Suggestion:
    """One suggested runbook: where it is, how sure, and why."""

    path: str
    id: str
    title: str
    score: float
    reason: str
    stage: int = 3  # 1 named by an annotation, 2 by the alert name, 3 text: the order shown

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "id": self.id,
            "title": self.title,
            "score": round(self.score, 3),
            "reason": self.reason,
        }


def suggest(
    corpus: Corpus, alerts: Sequence[Alert], *, threshold: float, limit: int
) -> list[Suggestion]:
    """Ranked runbooks for the alerts of one notification; [] when none is good enough.

    Several alerts (a webhook group) are ranked one by one and merged: each runbook keeps its
    best score and that score's reason.
    """
    best: dict[str, Suggestion] = {}
    for alert in alerts:
        for found in _for_alert(corpus, alert, threshold=threshold):
            kept = best.get(found.path)
            if kept is None or (found.stage, -found.score) < (kept.stage, -kept.score):
                best[found.path] = found
    ranked = sorted(best.values(), key=lambda s: (s.stage, -s.score, s.path))
    return ranked[:limit]


def search(corpus: Corpus, text: str, *, among: set[str], limit: int) -> list[Hit]:
    """Free-text search: documents whose paths are in `among`, in fireline's ranking order."""
    only = {i for i, doc in enumerate(corpus.documents) if doc.path in among}
    return corpus.rank(text_query(text).weights, only=only)[:limit]


def _for_alert(corpus: Corpus, alert: Alert, *, threshold: float) -> list[Suggestion]:
    found: list[Suggestion] = []
    for annotation, value in alert.explicit:
        for doc in _named_by_link(corpus.documents, value):
            found.append(
                _make(doc, EXPLICIT_SCORE, f"the alert's {annotation} annotation names it", 1)
            )
    name = normalise_name(alert.name) if alert.name else ""
    if name:
        for doc in corpus.documents:
            if name in doc.alerts:
                reason = f"alert name {alert.name} is in its front-matter alerts"
                found.append(_make(doc, ALERTS_FIELD_SCORE, reason, 2))
            elif name in doc.names:
                reason = f"alert name {alert.name} matches its file name or id"
                found.append(_make(doc, FILE_NAME_SCORE, reason, 2))
    taken = {s.path for s in found}
    query = alert_query(alert)
    hits = [hit for hit in corpus.rank(query.weights) if hit.document.path not in taken]
    if hits and (found or hits[0].confidence >= threshold):
        floor = threshold * RUNNER_UP_FRACTION
        for n, hit in enumerate(hits):
            if hit.confidence < (threshold if n == 0 and not found else floor):
                break
            found.append(_make(hit.document, hit.confidence, _text_reason(hit, query), 3))
    return found


def _named_by_link(documents: Sequence[Document], link: str) -> list[Document]:
    """Indexed runbooks a runbook URL, relative path or id points to (longest path match)."""
    target = unquote(urlsplit(link.strip()).path or link.strip())
    wanted = [normalise_name(PurePosixPath(p).stem) for p in target.split("/") if p]
    if not wanted:
        return []
    best: list[Document] = []
    best_len = 0
    for doc in documents:
        parts = [normalise_name(PurePosixPath(p).stem) for p in doc.path.split("/")]
        length = 0
        while length < min(len(parts), len(wanted)) and parts[-1 - length] == wanted[-1 - length]:
            length += 1
        if length == 0 and wanted[-1] in (*doc.names, *doc.alerts):
            length = 1
        if length > best_len:
            best, best_len = [doc], length
        elif length and length == best_len:
            best.append(doc)
    return best


def _make(doc: Document, score: float, reason: str, stage: int) -> Suggestion:
    return Suggestion(doc.path, doc.id, doc.title, score, reason, stage)


def _text_reason(hit: Hit, query: Query) -> str:
    words = ", ".join(query.say(term) for term in hit.matched)
    return f"text match in {', '.join(hit.where)}: {words}"
