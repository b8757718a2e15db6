"""Field-weighted BM25 (BM25F) over indexed runbooks, and a confidence to abstain on. Pure.

Every backend hands the same stored terms to this module, so a ranking is identical on SQLite
and PostgreSQL. Scores are BM25F with a title-precision factor (a runbook whose title the
query only half explains loses to one it explains fully: "CPU overcommit" vs "CPU quota
overcommit"). The confidence is `score / (score + sqrt(ceiling × idf_max))`: `ceiling` is
the best score the query could reach (every term matched: Σ weight × IDF) and `idf_max` the
IDF of a word no runbook holds. The geometric mean of the two is the scale a score is judged
on: dividing by the ceiling alone would punish a long, detailed alert for every word no
runbook needs; dividing by `idf_max` alone would reward it. The result is between 0 and 1,
independent of the corpus size, and only its order matters for abstaining.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fireline.suggest.text import bigrams

FIELDS = ("title", "signals", "tags", "body")
# Title (with the split file name and id) names the problem; Signals/Detection (Meaning or
# Summary in imported runbooks) describes when it fires; tags and services say where; the rest
# of the body is diagnosis and mitigation, which mentions many other things.
FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "signals": 2.5, "tags": 2.0, "body": 0.5}
FIELD_B: dict[str, float] = {"title": 0.6, "signals": 0.75, "tags": 0.5, "body": 0.75}
K1 = 1.2
TITLE_FLOOR = 0.5
# The best single passage (heading and its text) counts beside the whole document, so a long
# topic runbook whose one section is about the alert is not drowned by its own length.
PASSAGE_WEIGHT = 0.3
PASSAGE_B = 0.75
# The service field (the component the alert is about) matched in a runbook's title, tags,
# services or folder: where it is, not what it says.
LOCATION_FIELDS = ("title", "tags")
SERVICE_WEIGHT = 0.3
# Passages are scored for this many best documents only: the passage term refines an order
# among close candidates, it does not bring a document up from nowhere.
PASSAGE_CANDIDATES = 20
# A term in more than this fraction of the documents (and more than COMMON_FLOOR of them) is
# only added to documents rarer terms found: a document that only common words match is no
# answer, and walking those postings is most of the cost of a query over a large library.
COMMON_FRACTION = 0.1
COMMON_FLOOR = 50


@dataclass(frozen=True)
class Document:
    """One indexed runbook as ranking sees it: its names and analysed terms per field."""

    path: str
    id: str
    title: str
    names: tuple[str, ...]  # normalised file name and id
    alerts: tuple[str, ...]  # normalised front-matter alert names
    fields: Mapping[str, Sequence[str]]
    passages: Sequence[Sequence[str]] = ()  # analysed terms of each passage (`passages.py`)


@dataclass(frozen=True)
class Hit:
    """A ranked document: BM25F score, confidence in [0, 1] and the terms that matched most."""

    document: Document
    score: float
    confidence: float
    matched: tuple[str, ...]
    where: tuple[str, ...]


class Corpus:
    """Term statistics and postings over a set of documents, built once per index load.

    A term's field-weighted, length-normalised and saturated frequency in a document does not
    depend on the query, so it is computed here once; ranking then only walks the postings of
    query terms. Passage postings are built per document the first time it is a candidate,
    so loading an index stays cheap.
    """

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = tuple(documents)
        size = max(len(self.documents), 1)
        average = {
            name: max(sum(len(d.fields.get(name, ())) for d in self.documents) / size, 1.0)
            for name in FIELDS
        }
        postings: defaultdict[str, dict[int, float]] = defaultdict(dict)
        self._titles: dict[str, list[int]] = {}
        self._located: dict[str, list[int]] = {}
        for i, doc in enumerate(self.documents):
            weighted: dict[str, float] = {}
            get = weighted.get
            for name in FIELDS:
                tokens = list(doc.fields.get(name, ()))
                if not tokens:
                    continue
                norm = 1 - FIELD_B[name] + FIELD_B[name] * len(tokens) / average[name]
                scale = FIELD_WEIGHTS[name] / norm
                for term, tf in Counter(tokens + bigrams(tokens)).items():
                    weighted[term] = get(term, 0.0) + scale * tf
            for term, frequency in weighted.items():
                postings[term][i] = frequency / (K1 + frequency)
            for term in set(doc.fields.get("title", ())):
                self._titles.setdefault(term, []).append(i)
            for term in {t for name in LOCATION_FIELDS for t in doc.fields.get(name, ())}:
                self._located.setdefault(term, []).append(i)
        self._postings: dict[str, dict[int, float]] = dict(postings)
        count = sum(len(p) for p in self._postings.values())
        self._mean_saturated = (
            sum(sum(p.values()) for p in self._postings.values()) / count if count else 0.0
        )
        # normalised name → (document, named in its front-matter alerts rather than file/id)
        self.by_name: dict[str, list[tuple[int, bool]]] = {}
        for i, doc in enumerate(self.documents):
            for name in dict.fromkeys((*doc.alerts, *doc.names)):
                self.by_name.setdefault(name, []).append((i, name in doc.alerts))
        lengths = [len(p) for doc in self.documents for p in doc.passages]
        self._passage_average = max(sum(lengths) / len(lengths), 1.0) if lengths else 1.0
        self._passages: dict[int, dict[str, list[tuple[int, float]]]] = {}
        self._field_terms: dict[int, dict[str, set[str]]] = {}
        n = len(self.documents)
        self._idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self._postings.items()
        }
        self._unseen_idf = math.log(1 + (n + 0.5) / 0.5)
        self._title_mass = [
            sum(self.idf(t) for t in set(doc.fields.get("title", ()))) for doc in self.documents
        ]

    def idf(self, term: str) -> float:
        """BM25's IDF, always positive; a term no document holds gets the highest value."""
        return self._idf.get(term, self._unseen_idf)

    def null_score(self, query: Mapping[str, float]) -> float:
        """The score a typical document is expected to get: each query term present with the
        probability a document holds it, at the mean saturated frequency. A background that
        does not need the library to be large (`confidence.py`)."""
        n = len(self.documents) or 1
        return (
            sum(
                weight * self.idf(term) * len(self._postings.get(term, ())) / n
                for term, weight in query.items()
            )
            * self._mean_saturated
        )

    def query_scale(self, query: Mapping[str, float]) -> float:
        """`sqrt(ceiling × idf_max)`: the best score the query could reach (Σ weight × IDF)
        judged against the IDF of a word no document holds. A floor for the background that
        keeps a weak match of one rare word from standing out in an empty crowd."""
        ceiling = sum(weight * self.idf(term) for term, weight in query.items())
        return math.sqrt(ceiling * self._unseen_idf)

    def rank(
        self,
        query: Mapping[str, float],
        *,
        service: Mapping[str, float] | None = None,
        only: set[int] | None = None,
        keep: set[int] | None = None,
        depth: int = 20,
        explain: int = 10,
        _exact: bool = False,
    ) -> list[Hit]:
        """The best `depth` documents (of those in `only`) with any matching term, best first.

        A document's score is its BM25F score (times title precision), plus the IDF of the
        `service` terms found where it is (title, tags, services, folder), plus — for the
        best PASSAGE_CANDIDATES and those in `keep` — its best passage's BM25 score. The
        first `explain` hits say which terms matched most and in which fields.
        """
        scales = {term: weight * self.idf(term) for term, weight in query.items()}
        located: dict[int, float] = {}
        for term, weight in (service or {}).items():
            for i in self._located.get(term, ()):
                located[i] = located.get(i, 0.0) + weight * self.idf(term)
        scores, common = self._accumulate(scales, located, exact=_exact)
        titled: dict[int, float] = {}
        for term in query:
            for i in self._titles.get(term, ()):
                titled[i] = titled.get(i, 0.0) + self.idf(term)
        if only is not None:
            scores = {i: v for i, v in scores.items() if i in only}
        # score × (TITLE_FLOOR + (1 − TITLE_FLOOR) × title coverage) + service, in three passes
        # over dictionaries rather than one per document: this runs for every matched runbook.
        total = {i: v * TITLE_FLOOR for i, v in scores.items()}
        mass = self._title_mass
        for i, covered in titled.items():
            if i in total:
                coverage = covered / (mass[i] or 1.0)
                total[i] = scores[i] * (TITLE_FLOOR + (1 - TITLE_FLOOR) * coverage)
        for i, value in located.items():
            if i in total:
                total[i] += SERVICE_WEIGHT * value
        candidates = set(heapq.nlargest(PASSAGE_CANDIDATES, total, key=total.__getitem__))
        candidates |= {i for i in keep or () if i in total}
        for i in candidates:
            total[i] += PASSAGE_WEIGHT * self._best_passage(i, scales)
        best = sorted(candidates, key=lambda i: (-total[i], i))
        if len(best) < depth:
            rest = sorted((i for i in total if i not in candidates), key=lambda i: (-total[i], i))
            best += rest[: depth - len(best)]
        hits = []
        for rank, i in enumerate(best[:depth]):
            top: tuple[str, ...] = ()
            where: tuple[str, ...] = ()
            if rank < explain:
                top, where = self._explain(i, scales)
                if i in located:
                    where += ("service",)
            hits.append(Hit(self.documents[i], total[i], 0.0, top, where))
        return hits

    def _accumulate(
        self, scales: Mapping[str, float], located: Mapping[int, float], *, exact: bool
    ) -> tuple[dict[int, float], list[tuple[dict[int, float], float]]]:
        """Σ scale × saturated frequency per document, walking as few postings as it can.

        Rare terms' postings are walked; a common term (in more than COMMON_FRACTION of the
        documents) is only added to documents a rare term or the service field already
        found, looked up or walked, whichever is shorter. Returns the scores and the common
        terms so skipped (none when `exact`).
        """
        cut = max(COMMON_FRACTION * len(self.documents), COMMON_FLOOR)
        scores: dict[int, float] = dict.fromkeys(located, 0.0)
        get = scores.get  # the hot loop: one bound lookup per posting
        common: list[tuple[dict[int, float], float]] = []
        for term, scale in scales.items():
            postings = self._postings.get(term)
            if not postings:
                continue
            if len(postings) > cut and not exact:
                common.append((postings, scale))
                continue
            for i, saturated in postings.items():
                scores[i] = get(i, 0.0) + scale * saturated
        if not scores:
            return self._accumulate(scales, located, exact=True) if common else (scores, [])
        found = list(scores)
        for postings, scale in common:
            if len(postings) < len(found):
                for i, saturated in postings.items():
                    if i in scores:
                        scores[i] += scale * saturated
            else:
                lookup = postings.get
                for i in found:
                    value = lookup(i)
                    if value is not None:
                        scores[i] += scale * value
        return scores, common

    def _best_passage(self, i: int, scales: Mapping[str, float]) -> float:
        postings = self._passages.get(i)
        if postings is None:
            postings = {}
            for j, tokens in enumerate(self.documents[i].passages):
                norm = 1 - PASSAGE_B + PASSAGE_B * len(tokens) / self._passage_average
                for t, tf in Counter([*tokens, *bigrams(tokens)]).items():
                    postings.setdefault(t, []).append((j, tf / norm / (K1 + tf / norm)))
            self._passages[i] = postings
        sums: dict[int, float] = {}
        for term, scale in scales.items():
            for j, saturated in postings.get(term, ()):
                sums[j] = sums.get(j, 0.0) + scale * saturated
        return max(sums.values(), default=0.0)

    def _explain(
        self, i: int, scales: Mapping[str, float]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The six terms that matched most in document `i`, and the fields they are in."""
        matched = {
            t: scale * self._postings[t][i]
            for t, scale in scales.items()
            if i in self._postings.get(t, {})
        }
        top = tuple(t for t, _ in sorted(matched.items(), key=lambda p: (-p[1], p[0]))[:6])
        fields = self._field_terms.get(i)
        if fields is None:
            doc = self.documents[i]
            fields = {
                name: {*doc.fields.get(name, ()), *bigrams(doc.fields.get(name, ()))}
                for name in FIELDS
            }
            self._field_terms[i] = fields
        where = tuple(name for name in FIELDS if any(t in fields[name] for t in matched))
        return top, where
