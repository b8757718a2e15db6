"""`fireline runbook suggest` quality and speed on public libraries of different styles.

Reads the corpora under `shared/data/` beside the repository — the data is never copied into
it — (`runbook-suggest-dev`: 108 prometheus-operator runbooks and 135 kube-prometheus alert
rules; `runbook-suggest-govuk`: 205 GOV.UK operations-manual pages and 69 GOV.UK alert rules),
every alert with its `runbook_url` removed. Each corpus is indexed with `fireline runbook
index` into a fresh SQLite store and every alert is sent as Prometheus sends it (labels,
annotations and the expression in `generatorURL`). Every corpus is reported on its own:

- masked: the alert name replaced by an opaque token everywhere it appears, so only the text
  can match: top-1 and top-3 of the ranked list (ranking never abstains), the correct-abstain
  rate (alerts without a runbook whose first suggestion is flagged low-confidence) and the
  wrong-abstain rate (alerts with a runbook whose first suggestion is flagged so);
- unmasked: top-1 (the name as evidence);
- the baseline, measured in the same run on the same index: plain BM25 (k1 1.2, b 0.75) of
  the annotation text over each runbook's title and text, no stemming, no fields, never
  abstaining;
- transfer of the abstain threshold: chosen on one corpus, applied to the other, and on
  random halves of both together;
- speed over a library of at least 1,000 runbooks (the corpora copied side by side):
  suggestions per second over the index loaded once, beside the raw limit measured in the
  same run (bare FTS5 MATCH queries per second on the same index), and the cost of one
  `fireline runbook suggest` process, split into its parts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import resource
import shutil
import sqlite3
import subprocess
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
CORPORA = ("runbook-suggest-dev", "runbook-suggest-govuk")
TARGETS = {"top1": 0.85, "top3": 0.95, "abstain_ok": 0.70, "abstain_bad": 0.05, "unmasked": 0.99}
GOVUK_TOP3 = 0.80
SPEED_RUNBOOKS = 1000
SPEED_TARGET = 500.0


def find_data(name: str) -> Path:
    data = Path("shared") / "data" / name
    for base in (REPO.parent, *REPO.parents):
        if (base / data / "alerts.jsonl").exists():
            return base / data
    raise SystemExit(f"cannot find {data} beside {REPO}; pass --data")


def opaque(name: str) -> str:
    """A letters-only token for `name` that no runbook contains."""
    digest = hashlib.sha256(name.encode()).digest()
    return "Q" + "".join(chr(97 + b % 26) for b in digest[:9])


def as_alert(row: dict[str, Any], *, masked: bool) -> dict[str, Any]:
    """The alert as Prometheus sends it to Alertmanager; optionally with its name masked."""
    notes = {k: v for k, v in row["annotations"].items() if k != "runbook_url"}
    alert = {
        "labels": row["labels"],
        "annotations": notes,
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


def index(folder: Path, home: Path) -> tuple[dict[str, str], Corpus]:
    """Index `folder` with the CLI into a fresh store under `home`; the corpus as loaded."""
    env = {"FIRELINE_HOME": str(home), "FIRELINE_ACTOR": "bench"}
    engine_, _ = initialise(load_settings(env, cwd=home))
    engine_.dispose()
    result = CliRunner().invoke(
        app, ["runbook", "index", str(folder)], env={**env, "FIRELINE_CONFIG": ""}
    )
    if result.exit_code != 0:
        raise SystemExit(f"runbook index failed: {result.output}")
    store = make_engine(load_settings(env, cwd=home).database_url)
    with read_only(store) as conn:
        _info, corpus = load_corpus(conn)
    store.dispose()
    return env, corpus


Ranker = Callable[[dict[str, Any]], list[tuple[str, bool]]]


def evaluate(rows: Sequence[dict[str, Any]], rank: Ranker, *, masked: bool) -> dict[str, float]:
    """Top-1/top-3 of the ranked list; abstain rates from the first suggestion's flag."""
    top1 = top3 = abstain_ok = abstain_bad = 0
    positives = [r for r in rows if r["expected_runbooks"]]
    negatives = [r for r in rows if not r["expected_runbooks"]]
    for row in rows:
        ranked = rank(as_alert(row, masked=masked))
        paths = [p for p, _ in ranked]
        abstains = not ranked or not ranked[0][1]
        expected = set(row["expected_runbooks"])
        if not expected:
            abstain_ok += abstains
            continue
        abstain_bad += abstains
        top1 += bool(paths) and paths[0] in expected
        top3 += bool(expected & set(paths[:3]))
    return {
        "top1": top1 / max(len(positives), 1),
        "top3": top3 / max(len(positives), 1),
        "abstain_ok": abstain_ok / max(len(negatives), 1),
        "abstain_bad": abstain_bad / max(len(positives), 1),
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


def first_confidences(rows: Sequence[dict[str, Any]], corpus: Corpus) -> list[tuple[float, bool]]:
    """(confidence of the first suggestion, has a runbook) for every masked alert."""
    out = []
    for row in rows:
        found = engine.suggest(
            corpus, parse_alerts(as_alert(row, masked=True)), threshold=0.0, limit=1
        )
        out.append((found[0].score if found else 0.0, bool(row["expected_runbooks"])))
    return out


def abstain_rates(pairs: Sequence[tuple[float, bool]], threshold: float) -> tuple[float, float]:
    """(correct abstain, wrong abstain) at `threshold`."""
    negatives = [c for c, p in pairs if not p]
    positives = [c for c, p in pairs if p]
    ok = sum(c < threshold for c in negatives) / max(len(negatives), 1)
    bad = sum(c < threshold for c in positives) / max(len(positives), 1)
    return ok, bad


def threshold_window(pairs: Sequence[tuple[float, bool]]) -> tuple[float, float] | None:
    """The range of thresholds meeting both abstain targets on `pairs`."""
    good = []
    for step in range(1, 1000):
        ok, bad = abstain_rates(pairs, step / 1000)
        if ok >= TARGETS["abstain_ok"] and bad <= TARGETS["abstain_bad"]:
            good.append(step / 1000)
    return (min(good), max(good)) if good else None


def calibrate(pairs: Sequence[tuple[float, bool]]) -> float:
    """The threshold one corpus alone would choose: the middle of its window, or the one with
    the best correct-minus-wrong abstain rate when no threshold meets both targets."""
    window = threshold_window(pairs)
    if window:
        return round((window[0] + window[1]) / 2, 3)
    scored = [(abstain_rates(pairs, t / 1000), t / 1000) for t in range(1, 1000)]
    return max(scored, key=lambda item: item[0][0] - 2 * item[0][1])[1]


def transfer(confidences: dict[str, list[tuple[float, bool]]], *, halves: int = 20) -> None:
    """Print abstain rates with a threshold chosen on other data than it is applied to."""
    print("\nabstain threshold transfer (chosen on one set, applied to another)")
    names = list(confidences)
    for source in names:
        chosen = calibrate(confidences[source])
        for target in names:
            if target == source:
                continue
            ok, bad = abstain_rates(confidences[target], chosen)
            print(
                f"  chosen on {source} ({chosen:.3f}) -> {target}: correct {ok:.3f}, "
                f"wrong {bad:.3f}"
            )
    pool = [pair for name in names for pair in confidences[name]]
    rng = random.Random(19)
    oks, bads = [], []
    for _ in range(halves):
        shuffled = pool[:]
        rng.shuffle(shuffled)
        half = len(shuffled) // 2
        ok, bad = abstain_rates(shuffled[half:], calibrate(shuffled[:half]))
        oks.append(ok)
        bads.append(bad)
    print(
        f"  {halves} random halves of both: correct {sum(oks) / halves:.3f} "
        f"(min {min(oks):.3f}), wrong {sum(bads) / halves:.3f} (max {max(bads):.3f})"
    )


def raw_fts_rate(db: Path, queries: Sequence[str], seconds: float) -> float:
    """FTS5 MATCH queries per CPU second on the same index: the floor any retrieval pays."""
    conn = sqlite3.connect(db)
    words = [" OR ".join(f'"{w}"' for w in re.findall(r"[a-z0-9]+", q.lower())) for q in queries]
    words = [w for w in words if w]
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for q in words:
            conn.execute("SELECT path FROM runbook_fts WHERE runbook_fts MATCH ?", (q,)).fetchall()
        done += len(words)
    elapsed = time.process_time() - start
    conn.close()
    return done / elapsed


def report_corpus(data: Path, threshold: float, tmp: Path) -> tuple[bool, list[tuple[float, bool]]]:
    """Print one corpus's figures; whether it meets its targets, and its confidences."""
    rows = [json.loads(line) for line in (data / "alerts.jsonl").read_text().splitlines()]
    _env, corpus = index(data / "runbooks", tmp / data.name)

    def fireline_rank(alert: dict[str, Any]) -> list[tuple[str, bool]]:
        found = engine.suggest(corpus, parse_alerts(alert), threshold=threshold, limit=5)
        return [(s.path, s.fits) for s in found]

    docs = corpus.documents
    baseline = Baseline(data / "runbooks", [d.path for d in docs], [d.title for d in docs])

    def baseline_rank(alert: dict[str, Any]) -> list[tuple[str, bool]]:
        return [(path, True) for path in baseline.rank(alert)]

    masked = evaluate(rows, fireline_rank, masked=True)
    unmasked = evaluate(rows, fireline_rank, masked=False)
    base = evaluate(rows, baseline_rank, masked=True)
    confidences = first_confidences(rows, corpus)
    window = threshold_window(confidences)
    positives = sum(1 for r in rows if r["expected_runbooks"])
    print(
        f"\n== {data.name}: {len(corpus.documents)} runbooks indexed, {len(rows)} alerts "
        f"({positives} with a runbook)"
    )
    print(f"{'':30}{'fireline':>9}{'BM25':>8}")
    for label, key in (
        ("masked top-1", "top1"),
        ("masked top-3", "top3"),
        ("correct abstain (masked)", "abstain_ok"),
        ("wrong abstain (masked)", "abstain_bad"),
    ):
        print(f"{label:30}{masked[key]:9.3f}{base[key]:8.3f}")
    print(f"{'unmasked top-1':30}{unmasked['top1']:9.3f}")
    print(f"{'unmasked top-3':30}{unmasked['top3']:9.3f}")
    if window:
        print(f"thresholds meeting both abstain targets here: {window[0]:.3f} .. {window[1]:.3f}")
    else:
        print("no threshold meets both abstain targets here")
    met = masked["top3"] >= base["top3"]
    if data.name == CORPORA[0]:
        met = met and (
            masked["top1"] >= TARGETS["top1"]
            and masked["top3"] >= TARGETS["top3"]
            and masked["abstain_ok"] >= TARGETS["abstain_ok"]
            and masked["abstain_bad"] <= TARGETS["abstain_bad"]
            and unmasked["top1"] >= TARGETS["unmasked"]
        )
    elif data.name == CORPORA[1]:
        met = met and masked["top3"] >= GOVUK_TOP3
    print(f"targets ({data.name}): " + ("met" if met else "NOT met"))
    return met, confidences


def speed(datas: Sequence[Path], threshold: float, seconds: float, tmp: Path) -> bool:
    """Suggestions/s over a library of at least SPEED_RUNBOOKS runbooks, and one CLI call."""
    library = tmp / "library"
    count, copy = 0, 0
    while count < SPEED_RUNBOOKS:
        for data in datas:
            shutil.copytree(data / "runbooks", library / f"copy{copy}" / data.name)
            count += sum(1 for _ in (data / "runbooks").rglob("*.md"))
        copy += 1
    env, corpus = index(library, tmp / "speed")
    rows = [
        json.loads(line) for d in datas for line in (d / "alerts.jsonl").read_text().splitlines()
    ]
    alerts = [parse_alerts(as_alert(r, masked=True)) for r in rows]
    start = time.process_time()
    Corpus(corpus.documents)
    build = time.process_time() - start
    for alert in alerts:  # one warm-up pass: passage postings are built on first use
        engine.suggest(corpus, alert, threshold=threshold, limit=5)
    # CPU time, not wall time: the rate is the process's own work, steady on a shared machine.
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for alert in alerts:
            engine.suggest(corpus, alert, threshold=threshold, limit=5)
        done += len(alerts)
    rate = done / (time.process_time() - start)
    texts = [" ".join(r["annotations"].values()) for r in rows]
    raw = raw_fts_rate(tmp / "speed" / "fireline.db", texts, seconds)
    store = make_engine(load_settings(env, cwd=tmp / "speed").database_url)
    start = time.process_time()
    with read_only(store) as conn:
        load_corpus(conn)
    loading = time.process_time() - start
    store.dispose()
    alert_file = tmp / "alert.json"
    alert_file.write_text(json.dumps(as_alert(rows[0], masked=True)))
    base_cmd = [sys.executable, "-c", "import fireline.cli, fireline.suggest.store"]
    cli_cmd = [sys.executable, "-m", "fireline", "runbook", "suggest", "--alert", str(alert_file)]
    run_env = {
        **env,
        "FIRELINE_CONFIG": "",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": ":".join(sys.path),
    }
    times, cpu = {}, {}
    for label, cmd in (("imports", base_cmd), ("cli", cli_cmd)):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        for _ in range(3):
            subprocess.run(cmd, env=run_env, check=True, capture_output=True)
        times[label] = (time.perf_counter() - start) / 3
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        cpu[label] = used / 3
    print(f"\n== speed: {len(corpus.documents)} runbooks indexed, {len(alerts)} alerts")
    print(
        f"suggestions per CPU second over the loaded index: {rate:,.0f} "
        f"(target >= {SPEED_TARGET:.0f}); "
        f"raw FTS5 MATCH queries per CPU second: {raw:,.0f}; ratio {rate / raw:.3f}"
    )
    print(
        f"one `runbook suggest` process: {cpu['cli']:.2f} CPU s ({times['cli']:.2f} s wall) = "
        f"python and imports {cpu['imports']:.2f} CPU s + loading the index {loading:.2f} CPU s "
        f"(of which building the ranking corpus {build:.2f} CPU s) + the rest"
    )
    return rate >= SPEED_TARGET


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        default=None,
        help="a corpus folder (repeat for several); default: both public sets",
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="time per speed measurement")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="suggest_threshold to use (default: the setting's)",
    )
    args = parser.parse_args(argv)
    datas = args.data or [find_data(name) for name in CORPORA]
    threshold = args.threshold
    if threshold is None:
        threshold = load_settings({}, cwd=Path(tempfile.gettempdir())).suggest_threshold
    print(f"suggest_threshold: {threshold}")
    results, confidences = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for data in datas:
            met, pairs = report_corpus(data, threshold, Path(tmp))
            results.append(met)
            confidences[data.name] = pairs
        if len(confidences) > 1:
            transfer(confidences)
        fast = speed(datas, threshold, args.seconds, Path(tmp))
    met = all(results) and fast
    print("\nall targets: " + ("met" if met else "NOT met"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
