"""Outbox delivery against the raw HTTP limit underneath it, measured in one run.

A fresh SQLite store (WAL, synchronous=FULL) and a real Uvicorn receiver on loopback that
answers 200 to every POST. Measured in the same run:

(a) raw httpx POSTs/s to the receiver: the same signed-webhook-sized body, one client, as
    fast as the answers come back, with the same concurrency the worker uses (8 threads);
(b) deliveries/s from the outbox: N events already committed with their outbox rows, one
    `Worker` draining them — lease, render, sign, POST, and record each result on the chain
    (`notification.delivered`, group-committed through `execute_batch`). Target >= 0.5x (a);
(c) event-to-delivery latency with an idle queue: a worker thread polling at the default
    `notify_poll_ms`, one event committed at a time, the receiver noting its arrival. Target
    p99 <= 1 s.

A report: it exits 0 even when BELOW target.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn

from fireline.commands import AddChannel, Declare, LogEntry, Subscribe
from fireline.config import load_settings
from fireline.domain import ActorId, IncidentId
from fireline.notify.worker import Worker
from fireline.schema import initialise
from fireline.service import Identity, execute, execute_batch, open_context

TARGET_RATIO = 0.5
TARGET_P99_S = 1.0
CONCURRENCY = 8
ALICE = Identity(ActorId("alice"))
arrivals: dict[int, float] = {}


async def receiver(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    """A minimal ASGI app: read the body, note when the event's seq arrived, answer 200."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()  # type: ignore[operator]
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    marker = body.find(b'"seq":')
    if marker >= 0:
        seq = int(body[marker + 6 : body.index(b",", marker)])
        arrivals.setdefault(seq, time.perf_counter())
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]


def serve_receiver(port: int) -> uvicorn.Server:
    server = uvicorn.Server(
        uvicorn.Config(receiver, host="127.0.0.1", port=port, log_level="error")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server


def raw_posts(url: str, count: int) -> float:
    body = b'{"type":"fireline.entry.fact","data":{"event":{"seq":0,"kind":"x"}}}' + b" " * 900
    with httpx.Client() as client, ThreadPoolExecutor(CONCURRENCY) as pool:
        start = time.perf_counter()
        list(pool.map(lambda _: client.post(url, content=body).raise_for_status(), range(count)))
        return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--latency-samples", type=int, default=100)
    parser.add_argument("--port", type=int, default=18765)
    args = parser.parse_args()
    serve_receiver(args.port)
    url = f"http://127.0.0.1:{args.port}/hook"
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings({"FIRELINE_HOME": home, "FIRELINE_ACTOR": "alice"}, cwd=Path(home))
        initialise(settings)[0].dispose()
        ctx = open_context(settings)
        execute(AddChannel(name="hook", kind="webhook", url=url), ALICE, ctx=ctx)
        execute(Subscribe(channel="hook", events=("entry",)), ALICE, ctx=ctx)
        incident = IncidentId(
            execute(
                Declare(title="bench", severity="SEV2", ic="alice", impact="none"), ALICE, ctx=ctx
            )[0].incident_id
        )
        entries = [
            (LogEntry(incident_id=incident, kind="fact", text=f"reading {i}"), ALICE)
            for i in range(args.count)
        ]
        for start in range(0, args.count, 200):
            execute_batch(entries[start : start + 200], ctx=ctx)
        raw = raw_posts(url, args.count)
        worker = Worker(ctx, batch=128, concurrency=CONCURRENCY)
        began = time.perf_counter()
        done = 0
        while (n := worker.tick()) > 0:
            done += n
        rate = done / (time.perf_counter() - began)
        worker.close()
        # Latency with an idle queue: a background worker on its own context, one event at a time.
        stop = threading.Event()
        idle = Worker(open_context(settings))
        thread = threading.Thread(target=idle.run, args=(stop,), daemon=True)
        thread.start()
        latencies = []
        for i in range(args.latency_samples):
            committed = time.perf_counter()
            [event] = execute(
                LogEntry(incident_id=incident, kind="fact", text=f"idle {i}"), ALICE, ctx=ctx
            )
            while event.seq not in arrivals:
                time.sleep(0.001)
            latencies.append(arrivals[event.seq] - committed)
            time.sleep(0.05)
        stop.set()
        thread.join()
        idle.close()
        ctx.close()
    p50 = statistics.median(latencies)
    p99 = statistics.quantiles(latencies, n=100)[98]
    ratio = rate / raw
    print(f"raw httpx POSTs/s ({CONCURRENCY} threads): {raw:,.0f}")
    print(
        f"outbox deliveries/s (recorded on the chain): {rate:,.0f}  ratio {ratio:.2f}x "
        f"(target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'BELOW'})"
    )
    print(
        f"event-to-delivery latency, idle queue: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
        f"(target <= {TARGET_P99_S * 1000:.0f} ms: {'met' if p99 <= TARGET_P99_S else 'BELOW'})"
    )


if __name__ == "__main__":
    main()
