"""Reading governed switches: what services and scripts pay to obey them.

1. `GET /api/v1/switches/global-readonly` on a real `uvicorn` process, beside the raw limit
   measured in the same run on the same server: a no-op GET route behind the same token
   authentication. Target: the switch read's throughput >= 0.8x the no-op's (p50 ratio).
   Measured with the switch normal and flipped (flipped, the holder's visibility is asked).
2. `fireline switch check global-readonly` as a whole process (the console script), beside
   `python -c pass` and `fireline freeze check`. Target: <= 100 ms (median).
3. A flip written by another process reaching a long-polling reader (`If-None-Match`,
   `?wait=`): from the flip's commit to the reader's answer. Target: <= 1 s (max).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from fireline import accounts
from fireline.api.auth import Reader
from fireline.commands import AddUser, Declare, SetSwitch
from fireline.config import load_settings
from fireline.domain import ActorId, IncidentId
from fireline.schema import initialise
from fireline.service import Context, execute, open_context

GET_TARGET = 0.8
CHECK_TARGET_MS = 100.0
FLIP_TARGET_MS = 1000.0


def served() -> FastAPI:
    """The uvicorn factory: the configured store's app plus an authenticated no-op route."""
    from fireline.api.app import create_app

    app = create_app(load_settings())

    @app.get("/noop")
    def noop(_principal: Reader) -> dict[str, bool]:
        return {"ok": True}

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def prepare(home: Path) -> tuple[Context, str, IncidentId]:
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home.parent)
    engine, _ = initialise(settings)
    engine.dispose()
    ctx = open_context(settings)
    execute(AddUser(name=ActorId("alice"), roles=("admin",)), ActorId("alice"), ctx=ctx)
    issued = accounts.issue_token(
        ctx,
        ActorId("alice"),
        user="alice",
        name="bench",
        scope="read",
        expires_in=timedelta(hours=1),
    )
    declared = execute(
        Declare(title="bench", severity="SEV3", ic="alice"), ActorId("alice"), ctx=ctx
    )
    return ctx, issued.text, IncidentId(declared[0].incident_id)


def p50s(client: httpx.Client, paths: list[str], runs: int) -> list[float]:
    """Median milliseconds of each path, requests interleaved (path A, B, A, B …) so that
    the machine's load falls on every path alike; after a warm-up of a tenth as many."""
    times: list[list[float]] = [[] for _ in paths]
    for round_ in range(runs + max(1, runs // 10)):
        for i, path in enumerate(paths):
            start = time.perf_counter()
            client.get(path).raise_for_status()
            if round_ >= max(1, runs // 10):
                times[i].append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


def flip(ctx: Context, incident: IncidentId, state: str) -> None:
    execute(
        SetSwitch(incident_id=incident, name="global-readonly", state=state, reason="bench"),
        ActorId("alice"),
        ctx=ctx,
    )


def process_ms(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) milliseconds of `runs` whole processes: on a busy
    machine the wall time is mostly waiting for a core, the CPU time is the process's own."""
    import resource

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=False)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def long_poll_ms(
    client: httpx.Client, ctx: Context, incident: IncidentId, rounds: int
) -> list[float]:
    """Milliseconds from each flip's commit to the waiting reader's 200."""
    out = []
    path = "/api/v1/switches/global-readonly"
    state = client.get(path).json()["state"]
    for _ in range(rounds):
        tag = client.get(path).headers["etag"]
        got: list[float] = []

        def wait(tag: str = tag, got: list[float] = got) -> None:
            answer = client.get(
                path, params={"wait": 10}, headers={"If-None-Match": tag}, timeout=20
            )
            if answer.status_code == 200:
                got.append(time.perf_counter())

        reader = threading.Thread(target=wait)
        reader.start()
        time.sleep(0.2)  # the reader is waiting
        state = "off" if state == "on" else "on"
        flip(ctx, incident, state)
        committed = time.perf_counter()
        reader.join(15)
        if not got:
            raise SystemExit("a waiting reader never saw the flip")
        out.append((got[0] - committed) * 1000)
    return out


def console() -> list[str]:
    script = Path(sys.executable).with_name("fireline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fireline"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--processes", type=int, default=15)
    parser.add_argument("--flips", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "data"
        ctx, token, incident = prepare(home)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
        env.update(
            {
                "FIRELINE_HOME": str(home),
                "FIRELINE_ACTOR": "alice",
                "XDG_CONFIG_HOME": str(Path(tmp) / "xdg"),
            }
        )
        port = free_port()
        here = Path(__file__).resolve().parent
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "switches:served",
            "--app-dir",
            str(here),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        server = subprocess.Popen(command, env=env, cwd=tmp)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10
            ) as client:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        client.get("/noop").raise_for_status()
                        break
                    except httpx.HTTPError as exc:
                        if time.monotonic() > deadline:
                            raise SystemExit(f"the server did not start: {exc}") from None
                        time.sleep(0.1)
                one = "/api/v1/switches/global-readonly"
                raw, normal = p50s(client, ["/noop", one], args.runs)
                flip(ctx, incident, "on")
                raw_flipped, flipped = p50s(client, ["/noop", one], args.runs)
                flip(ctx, incident, "off")
                for label, base, value in (
                    ("GET one switch, normal", raw, normal),
                    ("GET one switch, flipped", raw_flipped, flipped),
                ):
                    print(
                        f"{label:<34} p50 {value:6.2f} ms  no-op GET (raw limit) p50 {base:6.2f}"
                        f" ms  {base / value:4.2f}x the no-op's throughput (target >= "
                        f"{GET_TARGET})"
                    )
                lags = long_poll_ms(client, ctx, incident, args.flips)
                print(
                    f"{'flip -> long-polling reader':<34} median {statistics.median(lags):6.1f}"
                    f" ms  max {max(lags):6.1f} ms  ({max(lags) / FLIP_TARGET_MS:4.2f}x the "
                    f"{FLIP_TARGET_MS:.0f} ms target)"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
            ctx.close()
        rows = (
            ("python -c 'import sqlite3' (raw)", [sys.executable, "-c", "import sqlite3"]),
            ("fireline switch check", [*console(), "switch", "check", "global-readonly"]),
            ("fireline freeze check (SEV3 open)", [*console(), "freeze", "check"]),
        )
        raw_wall = 0.0
        for label, argv in rows:
            wall, cpu = process_ms(argv, env, args.processes)
            raw_wall = raw_wall or wall
            print(
                f"{label:<34} wall {wall:6.1f} ms  cpu {cpu:6.1f} ms  {wall / raw_wall:4.2f}x raw"
                f"  {wall / CHECK_TARGET_MS:4.2f}x the {CHECK_TARGET_MS:.0f} ms target"
            )


if __name__ == "__main__":
    main()
