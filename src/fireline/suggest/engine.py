"""Which runbooks fit an alert, ranked always, each flagged fits or low confidence. Pure.

1. An explicit `runbook_url` / `runbook` annotation that names an indexed runbook comes first.
2. Every other runbook is ranked by text retrieval (`rank.py`: BM25F, best passage, service
   field) of the alert's annotations, labels and expression. The alert name, normalised (case,
   CamelCase, snake_case, kebab-case), matching a runbook's front-matter `alerts`, file name or
   id is strong evidence merged into that score — the best text score is added — not a
   verdict: a team's own broader runbook still ranks beside an upstream runbook of the same
   name.
3. Abstaining is separate from ranking: each suggestion's confidence is its score's margin over
   the background of the runners-up (`confidence.py`), and it `fits` when that reaches the
   threshold (runners-up of a fitting first answer down to half of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from fireline.suggest.alert import Alert, Query, alert_query, text_query
from fireline.suggest.confidence import BACKGROUND_RANKS, with_confidence
from fireline.suggest.rank import Corpus, Document, Hit
from fireline.suggest.text import normalise_name

EXPLICIT_SCORE = 1.0
ALERTS_FIELD_SCORE = 0.99
FILE_NAME_SCORE = 0.98
# Runbooks after the first fit down to this fraction of the threshold: once one runbook
# clearly fits, close runners-up are worth seeing.
RUNNER_UP_FRACTION = 0.5
# How many ranked runbooks an alert keeps before merging a group's alerts.
RANKED = 10


@dataclass(frozen=True)
class Suggestion:
    """One suggested runbook: where it is, how sure, whether it fits, and why."""

    path: str
    id: str
    title: str
    score: float
    reason: str
    stage: int = 3  # 1 named by an annotation, 2 by the alert name, 3 text
    fits: bool = True

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "id": self.id,
            "title": self.title,
            "score": round(self.score, 3),
            "fits": self.fits,
            "reason": self.reason,
        }


def suggest(
    corpus: Corpus, alerts: Sequence[Alert], *, threshold: float, limit: int
) -> list[Suggestion]:
    """Ranked runbooks for the alerts of one notification, each flagged `fits` or not.

    Several alerts (a webhook group) are ranked one by one and merged: each runbook keeps its
    best confidence and that confidence's reason. Callers that only want answers keep the
    fitting ones (`fitting`).
    """
    best: dict[str, Suggestion] = {}
    for alert in alerts:
        for found in _for_alert(corpus, alert, threshold=threshold):
            kept = best.get(found.path)
            if kept is None or _order(found) < _order(kept):
                best[found.path] = found
    ranked = sorted(best.values(), key=lambda s: (*_order(s), s.path))
    return ranked[:limit]


def fitting(suggestions: Sequence[Suggestion]) -> list[Suggestion]:
    """The suggestions that fit: what `runbook suggest` prints unless asked for all."""
    return [s for s in suggestions if s.fits]


def search(corpus: Corpus, text: str, *, among: set[str], limit: int) -> list[Hit]:
    """Free-text search: documents whose paths are in `among`, in fireline's ranking order."""
    only = {i for i, doc in enumerate(corpus.documents) if doc.path in among}
    hits = corpus.rank(text_query(text).weights, only=only, depth=limit + BACKGROUND_RANKS + 1)
    return with_confidence(hits)[:limit]


def _order(s: Suggestion) -> tuple[int, float]:
    return (1 if s.stage == 1 else 2, -s.score)


def _for_alert(corpus: Corpus, alert: Alert, *, threshold: float) -> list[Suggestion]:
    found: list[Suggestion] = []
    for annotation, value in alert.explicit:
        for doc in _named_by_link(corpus.documents, value):
            found.append(
                _make(doc, EXPLICIT_SCORE, f"the alert's {annotation} annotation names it", 1)
            )
    taken = {s.path for s in found}
    query = alert_query(alert)
    hits = [
        h for h in corpus.rank(query.weights, service=query.service) if h.document.path not in taken
    ]
    named = _named_by_alert(corpus, alert)
    ranked = {h.document.path for h in hits}
    extra = [
        Hit(doc, 0.0, 0.0, (), ())
        for doc in corpus.documents
        if doc.path in named and doc.path not in ranked and doc.path not in taken
    ]
    hits = _boost(hits + extra, named)
    hits = with_confidence(hits)
    anchored = bool(found)  # something above fits: runners-up need only half the threshold
    for hit in hits[:RANKED]:
        name_reason = named.get(hit.document.path)
        if name_reason:
            score, reason, fits = max(hit.confidence, name_reason[1]), name_reason[0], True
        else:
            score, reason = hit.confidence, _text_reason(hit, query)
            fits = score >= (threshold * RUNNER_UP_FRACTION if anchored else threshold)
        anchored = anchored or fits
        found.append(_make(hit.document, score, reason, 2 if name_reason else 3, fits=fits))
    return found


def _named_by_alert(corpus: Corpus, alert: Alert) -> dict[str, tuple[str, float]]:
    """Runbooks the alert's name matches: path → (reason, score shown)."""
    name = normalise_name(alert.name) if alert.name else ""
    named: dict[str, tuple[str, float]] = {}
    if not name:
        return named
    for doc in corpus.documents:
        if name in doc.alerts:
            reason = f"alert name {alert.name} is in its front-matter alerts"
            named[doc.path] = (reason, ALERTS_FIELD_SCORE)
        elif name in doc.names:
            reason = f"alert name {alert.name} matches its file name or id"
            named[doc.path] = (reason, FILE_NAME_SCORE)
    return named


def _boost(hits: list[Hit], named: dict[str, tuple[str, float]]) -> list[Hit]:
    """Add the best text score to the runbooks the alert name matches, and re-rank."""
    if not named:
        return hits
    top = max((h.score for h in hits), default=0.0) or 1.0
    boosted = [replace(h, score=h.score + top) if h.document.path in named else h for h in hits]
    return sorted(boosted, key=lambda h: (-h.score, h.document.path))


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


def _make(doc: Document, score: float, reason: str, stage: int, *, fits: bool = True) -> Suggestion:
    return Suggestion(doc.path, doc.id, doc.title, score, reason, stage, fits)


def _text_reason(hit: Hit, query: Query) -> str:
    words = ", ".join(query.say(term) for term in hit.matched)
    if not words:
        return f"matched where it is ({', '.join(hit.where)})"
    return f"text match in {', '.join(hit.where)}: {words}"
