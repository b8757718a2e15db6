"""`fireline freeze check` on a store of 10,000 incidents: the CI gate must answer in < 200 ms.

Builds the store through `service.execute` (non-durably, synchronous=OFF, to build fast), then
times whole `fireline freeze check` processes, as a CI job runs them, beside the raw limit
measured in the same run: a bare `python -c "import sqlite3"` process.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

from fireline import commands, service
from fireline.config import load_settings
from fireline.db import make_engine
from fireline.domain import ActorId
from fireline.schema import initialise

ACTOR = ActorId("bench")
TARGET_MS = 200.0


def build(home: Path, count: int) -> None:
    """`count` incidents, one in fifty a SEV1 (a freezing level on the kfm ladder)."""
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    ctx = service.open_context(settings)
    fast = make_engine(settings.database_url)

    @event.listens_for(fast, "connect")
    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    quick = dataclasses.replace(ctx, engine=fast)
    try:
        for n in range(count):
            severity = "SEV1" if n % 50 == 0 else "SEV3"
            cmd = commands.Declare(title=f"bench incident {n}", severity=severity)
            service.execute(cmd, ACTOR, ctx=quick)
    finally:
        quick.close()
        ctx.close()


def wall_ms(argv: Sequence[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    """Median wall time of `runs` processes, and the last exit code."""
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run(argv, env=env, capture_output=True, check=False).returncode
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fireline-freeze-") as tmp:
        home = Path(tmp)
        start = time.perf_counter()
        build(home, args.incidents)
        print(f"built {args.incidents:,} incidents in {time.perf_counter() - start:.1f} s")
        env = {"FIRELINE_HOME": str(home), "PATH": "/usr/bin:/bin"}
        if "PYTHONPATH" in os.environ:  # a checkout's tree, not the installed one
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        fireline = str(Path(sys.executable).with_name("fireline"))
        check_ms, code = wall_ms([fireline, "freeze", "check"], env, args.runs)
        raw_ms, _ = wall_ms([sys.executable, "-c", "import sqlite3"], env, args.runs)
    verdict = "ok" if check_ms < TARGET_MS else "ABOVE"
    print(f"freeze check (exit {code}): median {check_ms:.0f} ms over {args.runs} runs")
    print(f"raw python -c 'import sqlite3': median {raw_ms:.0f} ms")
    print()
    print(
        f"freeze check ms  {check_ms:>6.0f}  raw {raw_ms:>6.0f}  ratio {check_ms / raw_ms:.1f}x"
        f"  target < {TARGET_MS:.0f} ms  {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
