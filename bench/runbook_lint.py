"""`fireline runbook lint` throughput: runbooks/s against reading + markdown-it tokenizing them.

Writes a corpus of complete thirteen-section runbooks (prose, nested checklists, command
fences that say where they run, relative links; about 3.4 KB each) and lints it in process,
beside the raw limit measured in the same run on the same files: read, decode and tokenize
each one with markdown-it's CommonMark block rules (what the parser runs) and nothing else.
Rounds alternate so drift hits both alike; rates are per CPU-second of the process
(`time.process_time`), so other jobs on a shared machine do not count against either.
Target: at least 1,000 runbooks/s. `--corpus DIR` also lints that folder, read in place
(e.g. ../shared/data/runbook-suggest-dev/runbooks, four-section runbooks of about 1 KB).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from markdown_it import MarkdownIt

from fireline.runbooks import DEFAULT_SCHEMA
from fireline.runbooks.lint import LintOptions, collect, lint_paths

TARGET = 1_000.0
WORDS = [
    "gateway",
    "error",
    "rate",
    "latency",
    "rollout",
    "deploy",
    "pod",
    "node",
    "queue",
    "replica",
    "database",
    "index",
    "cache",
    "shard",
    "region",
    "traffic",
    "canary",
    "alert",
    "dashboard",
    "metric",
    "trace",
    "log",
    "token",
    "quota",
    "disk",
    "memory",
    "cpu",
]


def prose(rng: random.Random, sentences: int) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
        for _ in range(sentences)
    )


def section_text(rng: random.Random, n: int, k: int) -> str:
    """Section `k` of runbook `n`: prose; every third a nested checklist, every fourth a command
    that says where it runs, every fifth a relative link to another runbook of the corpus."""
    parts = [prose(rng, rng.randint(1, 3))]
    if k % 3 == 1:
        items = [f"{'  ' if i % 3 else ''}- [ ] {prose(rng, 1)}" for i in range(rng.randint(2, 5))]
        parts.append("\n".join(items))
    if k % 4 == 2:
        parts.append(f"```bash {{run=prod-bastion}}\nkubectl -n api get pods -l run={n}\n```")
    if k % 5 == 3:
        parts.append(f"See [the previous runbook](RBK-bench-r{max(n - 1, 0)}.md).")
    return "\n\n".join(parts)


def write_corpus(folder: Path, count: int) -> None:
    """`count` runbooks that lint clean: every field, every section in order, filled."""
    today = datetime.now(UTC).date().isoformat()
    rng = random.Random(4)
    for n in range(count):
        front = (
            f"---\nid: RBK-bench-r{n}\ntitle: Bench runbook {n}\nowner: team-bench\n"
            f"last_reviewed: {today}\nseverity: SEV2\ntags: [bench, {rng.choice(WORDS)}]\n"
            f"services: [{rng.choice(WORDS)}]\nalerts: [Bench{n}Firing]\n---\n"
        )
        body = "".join(
            f"\n## {name}\n\n{section_text(rng, n, k)}\n"
            for k, name in enumerate(DEFAULT_SCHEMA.sections)
        )
        (folder / f"RBK-bench-r{n}.md").write_text(f"{front}# Bench runbook {n}\n{body}")


def raw_limit(files: Sequence[Path], md: MarkdownIt) -> None:
    for path in files:
        md.parse(path.read_bytes().decode("utf-8"))


def rate(count: int, fn: Callable[[], object]) -> float:
    """Runbooks per CPU-second of this process: other jobs on a shared machine do not skew it."""
    start = time.process_time()
    fn()
    return count / (time.process_time() - start)


def measure(folder: Path, rounds: int) -> tuple[float, float, int, int]:
    """Median (lint runbooks/s, raw runbooks/s), file count and findings of the last lint."""
    files = collect([folder])
    options = LintOptions(today=datetime.now(UTC).date())
    # The same block-level tokenizer the parser runs (inline rules off), and nothing else.
    md = MarkdownIt("commonmark").disable(["inline", "text_join"])
    lint_rates, raw_rates, findings = [], [], 0
    for _ in range(rounds):
        raw_rates.append(rate(len(files), lambda: raw_limit(files, md)))
        findings = len(lint_paths([folder], options).findings)
        lint_rates.append(rate(len(files), lambda: lint_paths([folder], options)))
    return statistics.median(lint_rates), statistics.median(raw_rates), len(files), findings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runbooks", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, help="also lint this folder, read in place")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fireline-lint-") as tmp:
        folder = Path(tmp)
        write_corpus(folder, args.runbooks)
        size = sum(p.stat().st_size for p in folder.iterdir()) / args.runbooks
        lint_rate, raw_rate, files, findings = measure(folder, args.rounds)
        fireline = str(Path(sys.executable).with_name("fireline"))
        start = time.perf_counter()
        code = subprocess.run(
            [fireline, "runbook", "lint", tmp], capture_output=True, check=False
        ).returncode
        whole = time.perf_counter() - start
    verdict = "ok" if lint_rate >= TARGET else "BELOW"
    print(f"{files:,} generated runbooks, {size / 1024:.1f} KB each, {findings} findings")
    print(
        f"fireline runbook lint as a process (exit {code}): {whole:.2f} s, {files / whole:,.0f}/s"
    )
    print()
    print(
        f"lint runbooks/s  {lint_rate:>8,.0f}  raw (read + markdown-it) {raw_rate:>8,.0f}"
        f"  ratio {lint_rate / raw_rate:.2f}  target >= {TARGET:,.0f}  {verdict}"
    )
    if args.corpus:
        lint_rate, raw_rate, files, findings = measure(args.corpus, args.rounds)
        print(
            f"{args.corpus}: {files} runbooks, {findings} findings; lint {lint_rate:,.0f}/s"
            f"  raw {raw_rate:,.0f}/s  ratio {lint_rate / raw_rate:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
