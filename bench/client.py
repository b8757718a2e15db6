"""Client mode's start-up: whole `fireline log` and `fireline show` processes against a running
`fireline serve`, beside the raw limit measured in the same run (a bare `python -c "import
httpx"` process: client mode cannot start faster than its HTTP library), and local mode.

Target: a client-mode `fireline log` or `show` in <= 300 ms (median of 10). Prints each
median, its ratio to the httpx floor and to the target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from fireline import accounts
from fireline.commands import AddUser
from fireline.config import load_settings
from fireline.domain import ActorId
from fireline.schema import initialise
from fireline.service import execute, open_context

TARGET_MS = 300.0


def fireline() -> list[str]:
    """The console script next to this interpreter (what a user runs), else `-m fireline`."""
    script = Path(sys.executable).with_name("fireline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fireline"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(home: Path) -> str:
    """A fresh store with one registered user (alice) and a write token for her."""
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home.parent)
    engine, _ = initialise(settings)
    engine.dispose()
    ctx = open_context(settings)
    try:
        execute(
            AddUser(name=ActorId("alice"), roles=("commander", "admin")), ActorId("alice"), ctx=ctx
        )
        issued = accounts.issue_token(
            ctx,
            ActorId("alice"),
            user="alice",
            name="bench",
            scope="write",
            expires_in=timedelta(hours=1),
        )
    finally:
        ctx.close()
    return issued.text


def wall_ms(argv: Sequence[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    """Median wall time of `runs` whole processes, and the last exit code."""
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
        code = done.returncode
        if code != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode().strip()}")
    return statistics.median(times), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="fireline-bench-client-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
    env["XDG_CONFIG_HOME"] = str(base / "xdg")
    served = base / "served"
    token = prepare(served)
    port = free_port()
    server = subprocess.Popen(
        [*fireline(), "serve", "--port", str(port)],
        env={**env, "FIRELINE_HOME": str(served)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        client = {**env, "FIRELINE_URL": url, "FIRELINE_TOKEN": token}
        deadline = time.monotonic() + 30
        while subprocess.run(
            [*fireline(), "declare", "bench", "--sev", "SEV2"], env=client, capture_output=True
        ).returncode:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        inc = subprocess.run(
            [*fireline(), "list", "--format", "json"], env=client, capture_output=True, text=True
        )
        import json

        incident = json.loads(inc.stdout)[0]["id"]
        local_home = base / "local"
        prepare(local_home)
        local = {**env, "FIRELINE_HOME": str(local_home), "FIRELINE_ACTOR": "alice"}
        subprocess.run(
            [*fireline(), "declare", "bench", "--sev", "SEV2"],
            env=local,
            check=True,
            capture_output=True,
        )

        floor, _ = wall_ms([sys.executable, "-c", "import httpx"], env, args.runs)
        bare, _ = wall_ms([sys.executable, "-c", "pass"], env, args.runs)
        rows = [
            ("client log", [*fireline(), "log", incident, "fact", "5xx rate 38%"], client),
            ("client show", [*fireline(), "show", incident], client),
            ("local log", [*fireline(), "log", incident, "fact", "5xx rate 38%"], local),
            ("local show", [*fireline(), "show", incident], local),
            ("--help", [*fireline(), "--help"], env),
        ]
        print(f"python -c pass            {bare:7.1f} ms")
        print(f"python -c 'import httpx'  {floor:7.1f} ms  (the raw limit)")
        for label, argv, environ in rows:
            median, _ = wall_ms(argv, environ, args.runs)
            print(
                f"fireline {label:<16} {median:7.1f} ms  {median / floor:4.2f}x httpx import  "
                f"{median / TARGET_MS:4.2f}x the {TARGET_MS:.0f} ms target"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
