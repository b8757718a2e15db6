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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
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
# The null-document score, scaled: on two libraries of different styles the 10th runner-up
# scores 2 to 4 times it, so twice it is where the crowd starts when the library is small.
NULL_FACTOR = 2.0
# A share of the query's scale (`Corpus.query_scale`): the old absolute confidence, now a floor.
SCALE_FACTOR = 0.15


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
    # What the list is ordered by: the confidence, which for a name match (shown as 0.99 or
    # 0.98, as before) is at least every other runbook's confidence for that alert.
    order: float = field(default=0.0, compare=False)

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
        for found in _for_alert(corpus, alert, threshold=threshold, limit=limit):
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
    return with_confidence(hits, floor=floor(corpus, text_query(text).weights))[:limit]


def floor(corpus: Corpus, weights: Mapping[str, float]) -> float:
    """The least background a score is judged against, whatever the crowd: the null-document
    score and a share of the query's own scale, so a small library or a single rare word
    does not make a weak match stand out."""
    return max(NULL_FACTOR * corpus.null_score(weights), SCALE_FACTOR * corpus.query_scale(weights))


def _order(s: Suggestion) -> tuple[int, float]:
    return (1 if s.stage == 1 else 2, -max(s.order, s.score))


def _for_alert(corpus: Corpus, alert: Alert, *, threshold: float, limit: int) -> list[Suggestion]:
    found: list[Suggestion] = []
    for annotation, value in alert.explicit:
        for doc in _named_by_link(corpus.documents, value):
            found.append(
                _make(doc, EXPLICIT_SCORE, f"the alert's {annotation} annotation names it", 1)
            )
    taken = {s.path for s in found}
    query = alert_query(alert)
    named_at = _named_by_alert(corpus, alert)
    named = {corpus.documents[i].path: reason for i, reason in named_at.items()}
    ranked = corpus.rank(
        query.weights,
        service=query.service,
        keep=set(named_at),
        depth=limit + BACKGROUND_RANKS + 1,
        explain=limit,
    )
    seen = {h.document.path for h in ranked}
    # A named runbook no query term matches still ranks, on its name alone.
    ranked += [
        Hit(corpus.documents[i], 0.0, 0.0, (), ())
        for i in named_at
        if corpus.documents[i].path not in seen
    ]
    hits = [h for h in _boost(ranked, named) if h.document.path not in taken]
    hits = with_confidence(hits, floor=floor(corpus, query.weights))
    anchored = bool(found)  # something above fits: runners-up need only half the threshold
    for hit in hits[:limit]:
        name_reason = named.get(hit.document.path)
        if name_reason:
            score, reason, fits = name_reason[1], name_reason[0], True
        else:
            score, reason = hit.confidence, _text_reason(hit, query)
            fits = score >= (threshold * RUNNER_UP_FRACTION if anchored else threshold)
        anchored = anchored or fits
        stage = 2 if name_reason else 3
        found.append(
            _make(hit.document, score, reason, stage, fits=fits, order=max(score, hit.confidence))
        )
    return found


def _named_by_alert(corpus: Corpus, alert: Alert) -> dict[int, tuple[str, float]]:
    """Runbooks the alert's name matches: document index → (reason, score shown)."""
    name = normalise_name(alert.name) if alert.name else ""
    named: dict[int, tuple[str, float]] = {}
    for i, in_alerts in corpus.by_name.get(name, ()) if name else ():
        if in_alerts:
            named[i] = (
                f"alert name {alert.name} is in its front-matter alerts",
                ALERTS_FIELD_SCORE,
            )
        else:
            named[i] = (f"alert name {alert.name} matches its file name or id", FILE_NAME_SCORE)
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


def _make(
    doc: Document, score: float, reason: str, stage: int, *, fits: bool = True, order: float = 0.0
) -> Suggestion:
    return Suggestion(doc.path, doc.id, doc.title, score, reason, stage, fits, order)


def _text_reason(hit: Hit, query: Query) -> str:
    words = ", ".join(query.say(term) for term in hit.matched)
    if not words:
        return f"matched where it is ({', '.join(hit.where)})"
    return f"text match in {', '.join(hit.where)}: {words}"
