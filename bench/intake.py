"""Alert intake throughput: Alertmanager webhooks against `fireline serve` on SQLite, beside a
no-op route taking the same bodies on the same server, in the same run.

A real Uvicorn process serves a fresh SQLite store (WAL, synchronous=FULL) with one alert
source. 8 concurrent senders POST Alertmanager-shaped webhooks (payload version 4) of 100
alerts each, every alert a new state change (a new fingerprint), spread over 50 groups, as
fast as the answers come back. Every 200 means the delivery's alerts were committed durably
(one `alert.received` event per webhook through the group-commit writer) and its changed
groups routed by the policy's rule. Beside it, with the same senders and bodies: a no-op POST
route (mounted only in this benchmark's app) that reads the body and decodes the JSON.

Targets: >= 5,000 alerts/s, p99 <= 100 ms per webhook, >= 0.5x the no-op route's alerts/s.
A report: it exits 0 even when BELOW target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from fireline import service
from fireline.api.app import from_environment
from fireline.commands import AddSource
from fireline.config import load_settings
from fireline.domain import ActorId
from fireline.intake.sources import make_secret
from fireline.schema import initialise

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import free_port, wait_until_up

HERE = Path(__file__).resolve().parent
SENDERS = 8
ALERTS = 100
GROUPS = 50
NOOP = "/bench/noop"
TARGET_RATE = 5_000.0
TARGET_P99_MS = 100.0
TARGET_RATIO = 0.5


def bench_app() -> FastAPI:
    """The production app plus the no-op route."""
    app = from_environment()

    @app.post(NOOP)
    async def noop(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        return JSONResponse({"status": "success", "recorded": len(body["alerts"])})

    return app


@dataclass(frozen=True)
class Run:
    alerts_per_s: float
    p50: float
    p99: float
    failed: int


def webhook(sender: int, k: int, started: str) -> bytes:
    group = (sender * 7 + k) % GROUPS
    alerts = [
        {
            "status": "firing",
            "labels": {
                "alertname": f"BenchAlert{group}",
                "service": f"svc-{group}",
                "severity": "warning",
                "instance": f"node-{sender}-{k}-{n}:9100",
                "job": "node",
            },
            "annotations": {
                "summary": f"disk almost full on node-{sender}-{k}-{n}",
                "description": "Filesystem has less than 5% space left for 10 minutes.",
            },
            "startsAt": started,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=node_filesystem_avail_bytes",
            "fingerprint": f"{sender:02x}{k:08x}{n:04x}",
        }
        for n in range(ALERTS)
    ]
    body = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="BenchAlert{group}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "fireline",
        "groupLabels": {"alertname": f"BenchAlert{group}"},
        "commonLabels": {"alertname": f"BenchAlert{group}", "severity": "warning"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }
    return json.dumps(body).encode()


async def load(url: str, path: str, secret: str, seconds: float, *, offset: int) -> Run:
    latencies: list[float] = []
    failed = 0
    stop = time.perf_counter() + seconds
    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    async def sender(number: int) -> None:
        nonlocal failed
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            k = offset
            while time.perf_counter() < stop:
                body = webhook(number, k, started)
                began = time.perf_counter()
                answer = await http.post(path, content=body, headers=headers)
                latencies.append(time.perf_counter() - began)
                failed += answer.status_code != 200
                k += 1

    began = time.perf_counter()
    await asyncio.gather(*(sender(n) for n in range(SENDERS)))
    elapsed = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return Run(len(ms) * ALERTS / elapsed, statistics.median(ms), p99, failed)


def prepare(home: Path) -> str:
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    secret, digest = make_secret()
    ctx = service.open_context(settings)
    try:
        service.execute(
            AddSource(name="bench", kind="alertmanager", secret_sha256=digest),
            ActorId("bench"),
            ctx=ctx,
        )
    finally:
        ctx.close()
    return secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per route")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fireline-bench-intake-") as tmp:
        home = Path(tmp) / "data"
        home.mkdir()
        secret = prepare(home)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "FIRELINE_HOME": str(home)}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "intake:bench_app",
                "--factory",
                "--app-dir",
                str(HERE),
            ]
            + ["--port", str(port), "--log-level", "warning", "--no-access-log"],
            env=env,
            cwd=tmp,
        )
        try:
            wait_until_up(url)
            path = "/api/v1/intake/bench"
            asyncio.run(load(url, path, secret, 1.0, offset=0))  # warm-up: the 50 groups route
            asyncio.run(load(url, NOOP, secret, 0.5, offset=0))
            intake = asyncio.run(load(url, path, secret, args.seconds, offset=1_000_000))
            noop = asyncio.run(load(url, NOOP, secret, args.seconds, offset=0))
            ratio = intake.alerts_per_s / noop.alerts_per_s
            print(
                f"{SENDERS} senders, webhooks of {ALERTS} alerts over {GROUPS} groups, "
                f"{args.seconds:.0f} s per route"
            )
            print(
                f"intake: {intake.alerts_per_s:,.0f} alerts/s, p50 {intake.p50:.1f} ms, "
                f"p99 {intake.p99:.1f} ms per webhook"
                + (f" ({intake.failed} answers were not 200)" if intake.failed else "")
            )
            print(
                f"no-op:  {noop.alerts_per_s:,.0f} alerts/s, p50 {noop.p50:.1f} ms, "
                f"p99 {noop.p99:.1f} ms per webhook"
            )
            ok = (
                intake.alerts_per_s >= TARGET_RATE
                and intake.p99 <= TARGET_P99_MS
                and ratio >= TARGET_RATIO
            )
            print(
                f"intake ÷ no-op: {ratio:.2f}; targets >= {TARGET_RATE:,.0f} alerts/s, "
                f"p99 <= {TARGET_P99_MS:.0f} ms, >= {TARGET_RATIO}x no-op: "
                + ("ok" if ok else "BELOW")
            )
        finally:
            server.terminate()
            server.wait(60)


if __name__ == "__main__":
    main()
