"""What the server's edge layers cost per request: access line and request id, metrics, security
headers, body limit and the last-resort error guard.

Calls the ASGI app directly (no sockets, so HTTP parsing does not hide the difference): the full
`create_app` app answering GET /healthz and POST of a 1 KiB JSON body, beside the raw limit
measured in the same run — a bare FastAPI app with the same two routes and no layers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from pydantic import BaseModel

from fireline.api.accesslog import LOGGER, JsonFormatter
from fireline.api.app import create_app
from fireline.config import load_settings
from fireline.schema import initialise

BODY = json.dumps({"text": "x" * 1000}).encode()


class Note(BaseModel):
    text: str


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/echo")
    def echo(note: Note) -> dict[str, int]:
        return {"size": len(note.text)}

    return app


def full_app(home: Path) -> FastAPI:
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    app = create_app(settings)

    @app.post("/echo")
    def echo(note: Note) -> dict[str, int]:
        return {"size": len(note.text)}

    return app


def scope(method: str, path: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"x-request-id", b"bench-1")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "state": {},
    }


async def timed(app: FastAPI, method: str, path: str, body: bytes, count: int) -> list[float]:
    """Per-request seconds for `count` sequential requests."""
    seconds = []
    for _ in range(count):
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] < 300, message

        start = time.perf_counter()
        await app(scope(method, path, body), receive, send)
        seconds.append(time.perf_counter() - start)
    return seconds


def figures(label: str, seconds: list[float]) -> float:
    p50 = statistics.median(seconds) * 1e6
    p99 = statistics.quantiles(seconds, n=100)[98] * 1e6
    rate = len(seconds) / sum(seconds)
    print(f"  {label:<34} p50 {p50:8.1f} µs   p99 {p99:8.1f} µs   {rate:8.0f} req/s")
    return p50


async def run(count: int) -> None:
    # The access lines are formatted as in production and written to /dev/null, not a terminal.
    sink = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (lives for the run)
    sink.setFormatter(JsonFormatter())
    access = logging.getLogger(LOGGER)
    access.addHandler(sink)
    access.setLevel(logging.INFO)
    access.propagate = False
    with tempfile.TemporaryDirectory() as tmp:
        full = full_app(Path(tmp))
        bare = bare_app()
        async with full.router.lifespan_context(full):
            for method, path, body in (("GET", "/healthz", b""), ("POST", "/echo", BODY)):
                await timed(full, method, path, body, 200)  # warm up
                await timed(bare, method, path, body, 200)
                print(f"{method} {path} ({count} requests, in-process ASGI)")
                raw = figures(
                    "bare FastAPI (raw limit)", await timed(bare, method, path, body, count)
                )
                edged = figures(
                    "fireline with edge layers", await timed(full, method, path, body, count)
                )
                print(
                    f"  edge layers cost {edged - raw:.1f} µs per request; ratio {edged / raw:.2f}×"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    anyio.run(run, parser.parse_args().requests)


if __name__ == "__main__":
    main()
