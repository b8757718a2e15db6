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

import math
from collections import Counter
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


@dataclass(frozen=True)
class Document:
    """One indexed runbook as ranking sees it: its names and analysed terms per field."""

    path: str
    id: str
    title: str
    names: tuple[str, ...]  # normalised file name and id
    alerts: tuple[str, ...]  # normalised front-matter alert names
    fields: Mapping[str, Sequence[str]]


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

    A term's field-weighted, length-normalised frequency in a document does not depend on the
    query, so it is computed here once; ranking then only walks the postings of query terms.
    """

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = tuple(documents)
        totals: Counter[str] = Counter()
        counted: list[dict[str, Counter[str]]] = []
        for doc in self.documents:
            counts = {}
            for name in FIELDS:
                tokens = list(doc.fields.get(name, ()))
                counts[name] = Counter(tokens) + Counter(bigrams(tokens))
                totals[name] += len(tokens)
            counted.append(counts)
        size = max(len(self.documents), 1)
        average = {name: max(totals[name] / size, 1.0) for name in FIELDS}
        self._postings: dict[str, dict[int, float]] = {}
        self._where: dict[tuple[str, int], tuple[str, ...]] = {}
        self._titles: dict[str, list[int]] = {}
        for i, (doc, counts) in enumerate(zip(self.documents, counted, strict=True)):
            norms = {
                name: 1
                - FIELD_B[name]
                + FIELD_B[name] * len(doc.fields.get(name, ())) / average[name]
                for name in FIELDS
            }
            for term in set().union(*counts.values()):
                inside = tuple(name for name in FIELDS if counts[name][term])
                weight = sum(FIELD_WEIGHTS[n] * counts[n][term] / norms[n] for n in inside)
                self._postings.setdefault(term, {})[i] = weight
                self._where[term, i] = inside
            for term in set(doc.fields.get("title", ())):
                self._titles.setdefault(term, []).append(i)
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

    def rank(
        self, query: Mapping[str, float], *, only: set[int] | None = None, explain: int = 10
    ) -> list[Hit]:
        """Every document (or those in `only`) with any matching term, best first.

        The first `explain` hits say which terms matched most and in which fields.
        """
        idf = {term: self.idf(term) for term in query}
        ceiling = sum(weight * idf[term] for term, weight in query.items())
        parts: dict[int, dict[str, float]] = {}
        for term, weight in query.items():
            postings = self._postings.get(term)
            if not postings:
                continue
            scale = weight * idf[term]
            for i, tf in postings.items():
                if only is None or i in only:
                    parts.setdefault(i, {})[term] = scale * tf / (K1 + tf)
        titled: dict[int, float] = {}
        for term in query:
            for i in self._titles.get(term, ()):
                titled[i] = titled.get(i, 0.0) + idf[term]
        scored = []
        for i, matched in parts.items():
            coverage_of_title = titled.get(i, 0.0) / (self._title_mass[i] or 1.0)
            score = sum(matched.values()) * (TITLE_FLOOR + (1 - TITLE_FLOOR) * coverage_of_title)
            scored.append((-score, i))
        scored.sort()
        scale = math.sqrt(ceiling * self._unseen_idf)
        hits = []
        for rank, (negative, i) in enumerate(scored):
            matched = parts[i]
            confidence = -negative / (-negative + scale)
            top: tuple[str, ...] = ()
            where: tuple[str, ...] = ()
            if rank < explain:
                top = tuple(t for t, _ in sorted(matched.items(), key=lambda p: (-p[1], p[0]))[:6])
                inside = {name for t in matched for name in self._where[t, i]}
                where = tuple(name for name in FIELDS if name in inside)
            hits.append(Hit(self.documents[i], -negative, confidence, top, where))
        return hits
