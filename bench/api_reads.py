"""Reads through the API on an incident of 10,000 events: `GET` of the incident and of timeline
pages must answer with p99 <= 50 ms.

Builds the store through `service.execute` (non-durably, synchronous=OFF, to build fast),
starts a real `uvicorn` process serving `create_app` (its caller fixed, as accounts are not
this benchmark's subject) and times sequential requests with one httpx client, beside the raw
limit measured in the same run on the same server: a no-op GET route.

The incident is not restricted, so its reads leave no access trail: a restricted read writes
one `access.read` event first, which is a write's cost, measured by the write benchmark.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from fireline import commands, service
from fireline.config import load_settings
from fireline.db import make_engine
from fireline.domain import ActorId, IncidentId
from fireline.schema import initialise

ACTOR = ActorId("bench")
TARGET_P99_MS = 50.0


def served() -> FastAPI:
    """The uvicorn factory: the configured store's app, every caller `bench`, plus a no-op
    route for the raw limit."""
    from fireline.api.app import create_app
    from fireline.api.auth import Principal, authenticated

    app = create_app(load_settings())
    app.dependency_overrides[authenticated] = lambda: Principal(ACTOR, "admin")

    @app.get("/noop")
    def noop() -> dict[str, bool]:
        return {"ok": True}

    return app


def build(home: Path, events: int) -> IncidentId:
    """One SEV2 incident with `events` events in all (log entries after the declaration)."""
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
        declared = service.execute(
            commands.Declare(title="bench incident", severity="SEV2"), ACTOR, ctx=quick
        )
        incident = IncidentId(declared[0].incident_id)
        have = len(declared)
        kinds = ("fact", "hypothesis", "fact", "detection")
        n = 0
        while have < events:
            cmd = commands.LogEntry(incident_id=incident, kind=kinds[n % 4], text=f"entry {n}")
            have += len(service.execute(cmd, ACTOR, ctx=quick))
            n += 1
    finally:
        quick.close()
        ctx.close()
    return incident


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def timings(client: httpx.Client, path: str, runs: int) -> list[float]:
    """Milliseconds per request, after a warm-up of a tenth as many."""
    for _ in range(max(1, runs // 10)):
        client.get(path).raise_for_status()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "data"
        started = time.perf_counter()
        incident = build(home, args.events)
        print(f"built {args.events} events in {time.perf_counter() - started:.1f} s")
        port = free_port()
        env = {**os.environ, "FIRELINE_HOME": str(home)}
        env.pop("FIRELINE_URL", None)
        here = Path(__file__).resolve().parent
        command = [sys.executable, "-m", "uvicorn", "--factory", "api_reads:served"]
        command += ["--app-dir", str(here), "--port", str(port), "--log-level", "warning"]
        server = subprocess.Popen(command, env=env, cwd=tmp)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=10) as client:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        client.get("/noop")
                        break
                    except httpx.HTTPError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.1)
                raw = timings(client, "/noop", args.runs)
                routes = {
                    "GET incident": f"/api/v1/incidents/{incident}",
                    "GET timeline first page (200)": f"/api/v1/incidents/{incident}/timeline",
                    "GET timeline page after 5000": (
                        f"/api/v1/incidents/{incident}/timeline?after_seq=5000&limit=200"
                    ),
                    "GET timeline last 50": f"/api/v1/incidents/{incident}/timeline?last=50",
                }
                results = {name: timings(client, path, args.runs) for name, path in routes.items()}
        finally:
            server.terminate()
            server.wait(timeout=10)
    raw_p50, raw_p99 = p(raw, 50), p(raw, 99)
    print(f"{'no-op route (raw limit)':<32} p50 {raw_p50:6.2f} ms  p99 {raw_p99:6.2f} ms")
    worst = 0.0
    for name, values in results.items():
        p50, p99 = p(values, 50), p(values, 99)
        worst = max(worst, p99)
        print(
            f"{name:<32} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({p50 / raw_p50:.1f}x the no-op p50)"
        )
    verdict = "ok" if worst <= TARGET_P99_MS else "OVER TARGET"
    print(f"worst p99 {worst:.2f} ms, target <= {TARGET_P99_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
