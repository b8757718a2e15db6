"""`fireline metrics` over 10,000 incidents: the whole process must answer in ≤ 1 s.

Builds the store (`learning_store.build`), then times whole `fireline metrics` processes
(text, json, csv, and --by label) beside the raw limit measured in the same run: a bare
`python -c "import sqlite3"` process, and the two SQL statements metrics runs, alone.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from learning_store import build, count_incidents, environment

TARGET_MS = 1000.0


def wall_ms(argv: Sequence[str], env: dict[str, str], runs: int) -> tuple[float, float, float, int]:
    """Median and worst wall time of `runs` processes, their median CPU time (user + system:
    what the machine's load does not inflate), and the last exit code."""
    times, cpu, code = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        code = subprocess.run(argv, env=env, capture_output=True, check=False).returncode
        times.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        cpu.append(used * 1000)
    return statistics.median(times), max(times), statistics.median(cpu), code


def sql_ms(home: Path, runs: int) -> float:
    from fireline.metrics.store import ACTIONS, MILESTONES

    params = ("2000-01-01T00:00:00", "2100-01-01T00:00:00")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        conn = sqlite3.connect(f"file:{home / 'fireline.db'}?mode=ro", uri=True)
        for sql in (MILESTONES, ACTIONS):
            conn.execute(sql.format(false="0", param="?"), params).fetchall()
        conn.close()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--home", type=Path, help="reuse (or build once into) this store")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fireline-metrics-") as tmp:
        home = args.home or Path(tmp)
        have = count_incidents(home)
        if have < args.incidents:
            home.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            build(home, args.incidents, start=have)
            print(f"built {args.incidents:,} incidents in {time.perf_counter() - start:.1f} s")
        env = {**environment(home), "PATH": "/usr/bin:/bin"}
        if "PYTHONPATH" in os.environ:  # a checkout's tree, not the installed one
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        fireline = str(Path(sys.executable).with_name("fireline"))
        raw_ms, _, raw_cpu, _ = wall_ms([sys.executable, "-c", "import sqlite3"], env, args.runs)
        query_ms = sql_ms(home, args.runs)
        print(f"raw python -c 'import sqlite3': median {raw_ms:.0f} ms ({raw_cpu:.0f} ms CPU)")
        print(f"the two metrics statements alone (sqlite3): median {query_ms:.0f} ms")
        print()
        for extra in ([], ["--format", "json"], ["--format", "csv"], ["--by", "label"]):
            argv_ = [fireline, "metrics", "--since", "2000-01-01", *extra]
            median, worst, cpu, code = wall_ms(argv_, env, args.runs)
            verdict = "ok" if worst <= TARGET_MS else "ABOVE"
            label = " ".join(extra) or "text"
            print(
                f"metrics {label:<14} (exit {code}) median {median:>5.0f} ms  worst {worst:>5.0f}"
                f"  CPU {cpu:>4.0f} ms  raw {raw_ms:>4.0f} ({raw_cpu:.0f} CPU)  ratio "
                f"{median / raw_ms:.1f}x  target <= {TARGET_MS:.0f} ms wall  {verdict}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
