"""Durable writes through the HTTP API against the limits underneath it, measured in one run.

A real Uvicorn process serves a fresh SQLite store (WAL, synchronous=FULL); 1, 4 and 16
concurrent httpx clients each POST `LogEntry` bodies to `/api/v1/incidents/{id}/entries` as
fast as the answers come back. Every 201 means the write was committed durably by the group-
commit writer. Beside it, in the same server process and with the same clients and bodies:

(a) a no-op POST route (mounted only in this benchmark's app) that authenticates, reads and
    parses the same JSON body and answers 201: what HTTP, Uvicorn and FastAPI cost by
    themselves. Target: fireline's writes/s >= 0.5x the no-op's at 16 clients, p99 <= 50 ms.
(b) raw single-row sqlite3 commits/s with the same durability (WAL, synchronous=FULL), one
    transaction each: what the disk allows without group commit.

Authentication is the one thing replaced (a fixed principal), on both routes alike, so the
figures are HTTP + fireline's work per write. A report: it exits 0 even when BELOW target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from fireline import service, wire
from fireline.api.app import from_environment
from fireline.api.auth import Principal, Writer, authenticated
from fireline.api.writes import json_body
from fireline.commands import Declare, LogEntry
from fireline.config import load_settings
from fireline.domain import ActorId, IncidentId
from fireline.schema import initialise

HERE = Path(__file__).resolve().parent
CLIENTS = (1, 4, 16)
NOOP = "/bench/noop"
INCIDENTS = 4
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0


def bench_app() -> FastAPI:
    """The production app plus the no-op route, authenticating everyone as `bench`."""
    app = from_environment()
    app.dependency_overrides[authenticated] = lambda: Principal(ActorId("bench"), "write")

    @app.post(NOOP, status_code=201)
    async def noop(request: Request, principal: Writer) -> JSONResponse:
        await json_body(request)
        return JSONResponse({"events": []}, status_code=201)

    return app


@dataclass(frozen=True)
class Run:
    """One load level: answers per second and latency percentiles (ms)."""

    rate: float
    p50: float
    p99: float
    failed: int


async def load(url: str, paths: list[str], clients: int, seconds: float) -> Run:
    """`clients` loops POSTing back to back for `seconds`; every answer must be 201."""
    latencies: list[float] = []
    failed = 0
    stop = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal failed
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            k = 0
            while time.perf_counter() < stop:
                path = paths[(number + k) % len(paths)]
                body = {"kind": "fact", "text": f"client {number} write {k}: 5xx rate 4%"}
                start = time.perf_counter()
                answer = await http.post(path, json=body)
                latencies.append(time.perf_counter() - start)
                failed += answer.status_code != 201
                k += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return Run(len(ms) / elapsed, statistics.median(ms), p99, failed)


def raw_commit_rate(directory: Path, seconds: float) -> float:
    """Single-row sqlite3 commits/s, WAL + synchronous=FULL, one transaction each."""
    conn = sqlite3.connect(directory / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, text TEXT)")
    count = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO raw (text) VALUES (?)", ("client 0 write 0: 5xx rate 4%",))
        conn.execute("COMMIT")
        count += 1
    elapsed = time.perf_counter() - began
    conn.close()
    return count / elapsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def prepare(home: Path) -> list[IncidentId]:
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    ctx = service.open_context(settings)
    try:
        return [
            IncidentId(
                service.execute(
                    Declare(title=f"bench incident {n}", severity="SEV2"), ActorId("bench"), ctx=ctx
                )[0].incident_id
            )
            for n in range(INCIDENTS)
        ]
    finally:
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per load level")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fireline-bench-api-") as tmp:
        home = Path(tmp) / "data"
        home.mkdir()
        incidents = prepare(home)
        entries = [
            wire.to_request(LogEntry(incident_id=i, kind="fact", text="x")).path for i in incidents
        ]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "FIRELINE_HOME": str(home)}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api:bench_app", "--factory", "--app-dir", str(HERE)]
            + ["--port", str(port), "--log-level", "warning", "--no-access-log"],
            env=env,
            cwd=tmp,
        )
        try:
            wait_until_up(url)
            raw = raw_commit_rate(Path(tmp), args.seconds)
            print(f"raw sqlite3 single-row commits/s (WAL, synchronous=FULL): {raw:,.0f}")
            print(
                f"{'clients':>7}  {'writes/s':>9}  {'p50 ms':>7}  {'p99 ms':>7}  "
                f"{'no-op/s':>8}  {'no-op p99':>9}  {'÷ no-op':>7}  {'÷ raw':>6}"
            )
            for clients in CLIENTS:
                asyncio.run(load(url, entries, clients, 0.5))  # warm-up, untimed
                writes = asyncio.run(load(url, entries, clients, args.seconds))
                noop = asyncio.run(load(url, [NOOP], clients, args.seconds))
                ratio, of_raw = writes.rate / noop.rate, writes.rate / raw
                line = (
                    f"{clients:>7}  {writes.rate:>9,.0f}  {writes.p50:>7.1f}  {writes.p99:>7.1f}  "
                    f"{noop.rate:>8,.0f}  {noop.p99:>9.1f}  {ratio:>7.2f}  {of_raw:>6.2f}"
                )
                if clients == CLIENTS[-1]:
                    ok = ratio >= TARGET_RATIO and writes.p99 <= TARGET_P99_MS
                    line += (
                        f"  target >= {TARGET_RATIO}x no-op, p99 <= {TARGET_P99_MS:.0f} ms: "
                        + ("ok" if ok else "BELOW")
                    )
                if writes.failed or noop.failed:
                    line += f"  ({writes.failed + noop.failed} answers were not 201)"
                print(line, flush=True)
        finally:
            server.terminate()
            server.wait(60)


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/openapi.json", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the benchmark server did not start")


if __name__ == "__main__":
    main()
