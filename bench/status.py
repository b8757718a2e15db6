"""The public status page with 10,000 incidents in the store: ≤ 50 ms p99 per request.

Builds the store (`learning_store.build`: 2,000 of the incidents have a public update), starts
a real `uvicorn` process serving `create_app`, and times `/status`, its Atom feed and the
three Statuspage v2 documents beside the raw limit measured in the same run on the same
server: a no-op GET route. Pages are cached per store state (the last event) and minute, so
the figures are cache hits; the cost of a miss (the page rebuilt after a write) is measured
in-process and printed apart.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).parent))
from learning_store import build, count_incidents, environment

TARGET_P99_MS = 50.0


def served() -> FastAPI:
    """The uvicorn factory: the configured store's app plus a no-op route (the raw limit)."""
    from fireline.api.app import create_app
    from fireline.config import load_settings

    app = create_app(load_settings())

    @app.get("/noop")
    def noop() -> dict[str, bool]:
        return {"ok": True}

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def timings(client: httpx.Client, path: str, runs: int) -> list[float]:
    for _ in range(max(1, runs // 10)):
        client.get(path).raise_for_status()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def miss_ms(home: Path, runs: int) -> float:
    """Median time to rebuild the page model and its HTML (a cache miss), in-process."""
    from fireline.config import load_settings
    from fireline.db import read_only
    from fireline.service import open_context
    from fireline.statuspage import html, model

    ctx = open_context(load_settings(environment(home), cwd=home))
    try:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            with read_only(ctx.engine) as conn:
                page = model.build(conn, ctx.settings, ctx.policy, now=datetime.now(UTC))
            html.render(page)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)
    finally:
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--home", type=Path, help="reuse (or build once into) this store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "data"
        have = count_incidents(home)
        if have < args.incidents:
            home.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            build(home, args.incidents, start=have)
            print(f"built {args.incidents:,} incidents in {time.perf_counter() - started:.1f} s")
        port = free_port()
        env = {**os.environ, **environment(home)}
        env.pop("FIRELINE_URL", None)
        here = Path(__file__).resolve().parent
        command = [sys.executable, "-m", "uvicorn", "--factory", "status:served"]
        command += ["--app-dir", str(here), "--port", str(port), "--log-level", "warning"]
        server = subprocess.Popen(command, env=env, cwd=tmp)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
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
                    "GET /status": "/status",
                    "GET /status/feed.atom": "/status/feed.atom",
                    "GET summary.json": "/status/api/v2/summary.json",
                    "GET incidents.json": "/status/api/v2/incidents.json",
                    "GET components.json": "/status/api/v2/components.json",
                }
                results = {name: timings(client, path, args.runs) for name, path in routes.items()}
        finally:
            server.terminate()
            server.wait(timeout=10)
        miss = miss_ms(home, 5)
    raw_p50, raw_p99 = p(raw, 50), p(raw, 99)
    print(f"{'no-op route (raw limit)':<24} p50 {raw_p50:6.2f} ms  p99 {raw_p99:6.2f} ms")
    worst = 0.0
    for name, values in results.items():
        p50, p99 = p(values, 50), p(values, 99)
        worst = max(worst, p99)
        print(
            f"{name:<24} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
            f"({p50 / raw_p50:.1f}x / {p99 / raw_p99:.1f}x the no-op p50 / p99)"
        )
    print(f"cache miss (model + HTML rebuilt after a write), in-process: median {miss:.0f} ms")
    verdict = "ok" if worst <= TARGET_P99_MS else "OVER TARGET"
    print(f"worst p99 {worst:.2f} ms, target <= {TARGET_P99_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
