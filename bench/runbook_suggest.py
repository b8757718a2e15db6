"""`fireline runbook suggest` quality and speed on the public development set.

Reads `shared/data/runbook-suggest-dev` (108 prometheus-operator runbooks, 135 kube-prometheus
alert rules with their runbook link removed) from beside the repository — the data is never
copied into it — indexes the runbooks with `fireline runbook index` into a fresh SQLite store,
and asks fireline's suggestion engine for every alert, sent as Prometheus sends it (labels,
annotations and the expression in `generatorURL`):

- masked: the alert name replaced by an opaque token everywhere it appears (labels.alertname,
  annotation text, expression), so only the text can match: top-1, top-3, correct-abstain rate
  on the alerts without a runbook, abstain rate on the others;
- unmasked: top-1 (the name match);
- the baseline, measured in the same run: plain BM25 (k1 1.2, b 0.75) of the annotation text
  over each runbook's title and text, no stemming, no fields, never abstaining — once with
  every annotation, once with the summary (or message) alone;
- speed: suggestions per second over the loaded index, beside the raw limit measured in the
  same run: bare FTS5 MATCH queries per second on the same index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from typer.testing import CliRunner

from fireline.cli import app
from fireline.config import load_settings
from fireline.db import make_engine, read_only
from fireline.schema import initialise
from fireline.suggest import engine
from fireline.suggest.alert import parse_alerts
from fireline.suggest.rank import Corpus
from fireline.suggest.store import load_corpus

REPO = Path(__file__).resolve().parent.parent
DATA_NAME = Path("shared") / "data" / "runbook-suggest-dev"
TARGETS = {"top1": 0.85, "top3": 0.95, "abstain_ok": 0.70, "abstain_bad": 0.05, "unmasked": 0.99}


def find_data() -> Path:
    for base in (REPO.parent, *REPO.parents):
        if (base / DATA_NAME / "alerts.jsonl").exists():
            return base / DATA_NAME
    raise SystemExit(f"cannot find {DATA_NAME} beside {REPO}; pass --data")


def opaque(name: str) -> str:
    """A letters-only token for `name` that no runbook contains."""
    digest = hashlib.sha256(name.encode()).digest()
    return "Q" + "".join(chr(97 + b % 26) for b in digest[:9])


def as_alert(row: dict[str, Any], *, masked: bool) -> dict[str, Any]:
    """The alert as Prometheus sends it to Alertmanager; optionally with its name masked."""
    alert = {
        "labels": row["labels"],
        "annotations": row["annotations"],
        "generatorURL": "http://prometheus.example/graph?g0.expr="
        + quote(row["expr"], safe="")
        + "&g0.tab=1",
    }
    if not masked:
        return alert
    text = json.dumps(alert).replace(row["alertname"], opaque(row["alertname"]))
    masked_alert: dict[str, Any] = json.loads(text)
    # The name may also hide URL-encoded in the expression (it does not here, but be sure).
    masked_alert["generatorURL"] = masked_alert["generatorURL"].replace(
        quote(row["alertname"], safe=""), opaque(row["alertname"])
    )
    return masked_alert


def index(data: Path, home: Path) -> dict[str, str]:
    env = {"FIRELINE_HOME": str(home), "FIRELINE_ACTOR": "bench"}
    engine_, _ = initialise(load_settings(env, cwd=home))
    engine_.dispose()
    result = CliRunner().invoke(
        app, ["runbook", "index", str(data / "runbooks")], env={**env, "FIRELINE_CONFIG": ""}
    )
    if result.exit_code != 0:
        raise SystemExit(f"runbook index failed: {result.output}")
    print(result.stdout.strip())
    return env


def evaluate(
    rows: Sequence[dict[str, Any]], rank: Callable[[dict[str, Any]], list[str]], *, masked: bool
) -> dict[str, float]:
    top1 = top3 = abstain_ok = abstain_bad = 0
    positives = [r for r in rows if r["expected_runbooks"]]
    negatives = [r for r in rows if not r["expected_runbooks"]]
    for row in rows:
        paths = rank(as_alert(row, masked=masked))
        expected = set(row["expected_runbooks"])
        if not expected:
            abstain_ok += not paths
            continue
        abstain_bad += not paths
        top1 += bool(paths) and paths[0] in expected
        top3 += bool(expected & set(paths[:3]))
    return {
        "top1": top1 / len(positives),
        "top3": top3 / len(positives),
        "abstain_ok": abstain_ok / len(negatives),
        "abstain_bad": abstain_bad / len(positives),
    }


class Baseline:
    """Plain BM25 over title + text: one field, lower-cased words, no stemming or stop words."""

    def __init__(self, folder: Path, paths: Sequence[str], titles: Sequence[str]) -> None:
        self.paths = list(paths)
        self.docs = [
            Counter(self.tokens(title + "\n" + (folder / path).read_text()))
            for path, title in zip(paths, titles, strict=True)
        ]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / len(self.lengths)
        self.df: Counter[str] = Counter(t for d in self.docs for t in d)

    @staticmethod
    def tokens(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    def rank(self, alert: dict[str, Any], *, keys: Sequence[str] = ()) -> list[str]:
        """Top five paths for the alert's annotation text (only `keys` if given)."""
        notes = alert["annotations"]
        query = self.tokens(" ".join(v for k, v in notes.items() if not keys or k in keys))
        n = len(self.docs)
        scores = []
        for i, doc in enumerate(self.docs):
            score = 0.0
            for term in query:
                tf = doc.get(term, 0)
                if tf:
                    idf = math.log(1 + (n - self.df[term] + 0.5) / (self.df[term] + 0.5))
                    norm = tf + 1.2 * (1 - 0.75 + 0.75 * self.lengths[i] / self.avg)
                    score += idf * tf * 2.2 / norm
            scores.append((-score, self.paths[i]))
        return [path for _, path in sorted(scores)[:5]]


def threshold_window(rows: Sequence[dict[str, Any]], corpus: Corpus) -> tuple[float, float] | None:
    """The range of thresholds meeting both abstain targets (masked): how calibrated it is."""
    confidences: list[tuple[float, bool]] = []
    for row in rows:
        alerts = parse_alerts(as_alert(row, masked=True))
        found = engine.suggest(corpus, alerts, threshold=0.0, limit=1)
        confidences.append((found[0].score if found else 0.0, bool(row["expected_runbooks"])))
    negatives = sum(1 for _, p in confidences if not p)
    positives = len(confidences) - negatives
    good = []
    for step in range(1, 1000):
        t = step / 1000
        ok = sum(1 for c, p in confidences if not p and c < t) / negatives
        bad = sum(1 for c, p in confidences if p and c < t) / positives
        if ok >= TARGETS["abstain_ok"] and bad <= TARGETS["abstain_bad"]:
            good.append(t)
    return (min(good), max(good)) if good else None


def raw_fts_rate(db: Path, queries: Sequence[str], seconds: float) -> float:
    """FTS5 MATCH queries per second on the same index: the floor any retrieval pays."""
    conn = sqlite3.connect(db)
    words = [" OR ".join(f'"{w}"' for w in re.findall(r"[a-z0-9]+", q.lower())) for q in queries]
    words = [w for w in words if w]
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for q in words:
            conn.execute("SELECT path FROM runbook_fts WHERE runbook_fts MATCH ?", (q,)).fetchall()
        done += len(words)
    elapsed = time.perf_counter() - start
    conn.close()
    return done / elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="the runbook-suggest-dev folder")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per speed measurement")
    args = parser.parse_args(argv)
    data = args.data or find_data()
    rows = [json.loads(line) for line in (data / "alerts.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = index(data, home)
        settings = load_settings(env, cwd=home)
        store = make_engine(settings.database_url)
        with read_only(store) as conn:
            _info, corpus = load_corpus(conn)
        store.dispose()
        threshold = settings.suggest_threshold

        def fireline_rank(alert: dict[str, Any]) -> list[str]:
            found = engine.suggest(corpus, parse_alerts(alert), threshold=threshold, limit=5)
            return [s.path for s in found]

        docs = corpus.documents
        baseline = Baseline(data / "runbooks", [d.path for d in docs], [d.title for d in docs])
        masked = evaluate(rows, fireline_rank, masked=True)
        unmasked = evaluate(rows, fireline_rank, masked=False)
        base = evaluate(rows, baseline.rank, masked=True)
        short = evaluate(rows, lambda a: baseline.rank(a, keys=("summary", "message")), masked=True)
        window = threshold_window(rows, corpus)

        alerts = [parse_alerts(as_alert(r, masked=True)) for r in rows]
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            for alert in alerts:
                engine.suggest(corpus, alert, threshold=threshold, limit=5)
            done += len(alerts)
        rate = done / (time.perf_counter() - start)
        texts = [" ".join(r["annotations"].values()) for r in rows]
        raw = raw_fts_rate(home / "fireline.db", texts, args.seconds)

    print(f"runbooks indexed: {len(corpus.documents)}, alerts: {len(rows)}")
    print(f"suggest_threshold: {threshold}")
    print("baseline BM25: all annotation text / summary (or message) only, never abstains")
    print(f"{'':30}{'fireline':>9}{'baseline':>10}{'summary':>9}   target")
    lines = (
        ("masked top-1", masked["top1"], base["top1"], short["top1"], ">= 0.85"),
        ("masked top-3", masked["top3"], base["top3"], short["top3"], ">= 0.95"),
        ("correct abstain (masked)", masked["abstain_ok"], 0.0, 0.0, ">= 0.70"),
        ("abstain on others", masked["abstain_bad"], 0.0, 0.0, "<= 0.05"),
        ("unmasked top-1", unmasked["top1"], None, None, ">= 0.99"),
        ("unmasked top-3", unmasked["top3"], None, None, ""),
        ("correct abstain, unmasked", unmasked["abstain_ok"], None, None, ""),
        ("abstain on others, unmasked", unmasked["abstain_bad"], None, None, ""),
    )
    for label, ours, theirs, summary, target in lines:
        other = "" if theirs is None else f"{theirs:.3f}"
        brief = "" if summary is None else f"{summary:.3f}"
        print(f"{label:30}{ours:9.3f}{other:>10}{brief:>9}   {target}".rstrip())
    if window:
        print(f"thresholds meeting both abstain targets: {window[0]:.3f} .. {window[1]:.3f}")
    else:
        print("no threshold meets both abstain targets")
    print(
        f"suggestions/s: {rate:,.0f}; raw FTS5 MATCH queries/s: {raw:,.0f}; ratio {rate / raw:.3f}"
    )
    met = (
        masked["top1"] >= TARGETS["top1"]
        and masked["top3"] >= TARGETS["top3"]
        and masked["abstain_ok"] >= TARGETS["abstain_ok"]
        and masked["abstain_bad"] <= TARGETS["abstain_bad"]
        and unmasked["top1"] >= TARGETS["unmasked"]
    )
    print("quality targets: " + ("met" if met else "NOT met"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
