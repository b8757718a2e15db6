"""Field-weighted BM25 (BM25F) over indexed runbooks, and a confidence to abstain on. Pure.

Every backend hands the same stored terms to this module, so a ranking is identical on SQLite
and PostgreSQL. Scores are BM25F with a title-precision factor (a runbook whose title the
query only half explains loses to one it explains fully: "CPU overcommit" vs "CPU quota
overcommit"). The confidence divides the score by the best score the query could reach
(IDF-weighted), times the square root of how much of the query's IDF mass the runbook
matches: a comparable number between 0 and 1 for any query and any corpus.
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
    """Term statistics over a set of documents, built once per index load."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = tuple(documents)
        self._tf: list[dict[str, Counter[str]]] = []
        self._len: list[dict[str, int]] = []
        self._df: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        for doc in self.documents:
            counts: dict[str, Counter[str]] = {}
            lengths: dict[str, int] = {}
            seen: set[str] = set()
            for name in FIELDS:
                tokens = list(doc.fields.get(name, ()))
                counter = Counter(tokens)
                counter.update(bigrams(tokens))
                counts[name] = counter
                lengths[name] = len(tokens)
                totals[name] += len(tokens)
                seen.update(counter)
            self._tf.append(counts)
            self._len.append(lengths)
            self._df.update(seen)
        size = max(len(self.documents), 1)
        self._avg = {name: max(totals[name] / size, 1.0) for name in FIELDS}
        self._title = [set(doc.fields.get("title", ())) for doc in self.documents]

    def idf(self, term: str) -> float:
        """BM25's IDF, always positive; a term no document holds gets the highest value."""
        df = self._df.get(term, 0)
        n = len(self.documents)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def rank(self, query: Mapping[str, float], *, only: set[int] | None = None) -> list[Hit]:
        """Every document (or those in `only`) with any matching term, best first."""
        ceiling = sum(weight * self.idf(term) for term, weight in query.items())
        known = {t: w for t, w in query.items() if t in self._df}
        hits: list[tuple[float, int, Hit]] = []
        for i, doc in enumerate(self.documents):
            if only is not None and i not in only:
                continue
            score, parts, where = self._score(i, known)
            if score <= 0:
                continue
            score *= TITLE_FLOOR + (1 - TITLE_FLOOR) * self._title_coverage(i, query)
            matched_mass = sum(known[t] * self.idf(t) for t in parts)
            coverage = matched_mass / ceiling if ceiling else 0.0
            confidence = min(1.0, score / ceiling * math.sqrt(coverage)) if ceiling else 0.0
            top = tuple(t for t, _ in sorted(parts.items(), key=lambda p: (-p[1], p[0]))[:6])
            hits.append((-score, i, Hit(doc, score, confidence, top, where)))
        hits.sort(key=lambda h: (h[0], h[1]))
        return [hit for _, _, hit in hits]

    def _score(
        self, i: int, query: Mapping[str, float]
    ) -> tuple[float, dict[str, float], tuple[str, ...]]:
        counts, lengths = self._tf[i], self._len[i]
        total = 0.0
        parts: dict[str, float] = {}
        where: set[str] = set()
        for term, weight in query.items():
            tf = 0.0
            for name in FIELDS:
                n = counts[name].get(term, 0)
                if n:
                    b = FIELD_B[name]
                    tf += FIELD_WEIGHTS[name] * n / (1 - b + b * lengths[name] / self._avg[name])
                    where.add(name)
            if tf:
                part = weight * self.idf(term) * tf / (K1 + tf)
                parts[term] = part
                total += part
        return total, parts, tuple(name for name in FIELDS if name in where)

    def _title_coverage(self, i: int, query: Mapping[str, float]) -> float:
        title = self._title[i]
        mass = sum(self.idf(t) for t in title)
        return sum(self.idf(t) for t in title if t in query) / mass if mass else 0.0
