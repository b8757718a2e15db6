"""Crash safety: `fireline worker` killed with SIGKILL at random points never loses a message.

500 notifications to a real loopback receiver that answers 500s and stalls past the timeout
for a while; worker processes are killed at random moments over and over. Afterwards every
notification was delivered at least once, every duplicate carries the id of the first, and
the record verifies.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fireline.commands import AddChannel, LogEntry, Subscribe
from fireline.db import outbox
from fireline.domain import ActorId
from fireline.service import Context, Identity, execute_batch
from tests.conftest import Store
from tests.factories import make_incident, run

TOTAL = 500


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_kill_9_at_random_points_loses_no_notification(
    store: Store, ctx: Context, httpserver: HTTPServer
) -> None:
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()
    calls = {"n": 0}

    def receive(request: Request) -> Response:
        with lock:
            calls["n"] += 1
            n = calls["n"]
        if n <= 40:
            return Response("overloaded", 500)  # a bad patch: only delays
        if 40 < n <= 44:
            time.sleep(1.5)  # past notify_timeout: the worker gives up and retries
        body = json.loads(request.get_data())
        with lock:
            seen.append((request.headers["webhook-id"], body["data"]["event"]["seq"]))
        return Response("ok", 200)

    httpserver.expect_request("/hook").respond_with_handler(receive)
    run(ctx, AddChannel(name="hook", kind="webhook", url=httpserver.url_for("/hook")))
    run(ctx, Subscribe(channel="hook", events=("entry",)))
    incident = make_incident(ctx)
    batch = [
        (
            LogEntry(incident_id=incident, kind="fact", text=f"reading {i}"),
            Identity(ActorId("alice")),
        )
        for i in range(TOTAL)
    ]
    for start in range(0, TOTAL, 100):
        assert all(isinstance(o, list) for o in execute_batch(batch[start : start + 100], ctx=ctx))
    env = {
        **os.environ,
        **store.env,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
        "FIRELINE_NOTIFY_LEASE": "2",
        "FIRELINE_NOTIFY_BACKOFF": "1",
        "FIRELINE_NOTIFY_BACKOFF_CAP": "2",
        "FIRELINE_NOTIFY_TIMEOUT": "1",
        "FIRELINE_NOTIFY_MAX_ATTEMPTS": "100",
        "FIRELINE_NOTIFY_POLL_MS": "50",
    }
    rng = random.Random(16)

    def pending() -> int:
        with ctx.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(outbox)
                    .where(outbox.c.state != "delivered")
                ).scalar()
                or 0
            )

    kills = 0
    deadline = time.monotonic() + 240
    while pending() and time.monotonic() < deadline:
        worker = subprocess.Popen(
            [sys.executable, "-m", "fireline", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if kills < 12:
            time.sleep(rng.uniform(0.3, 2.0))
            worker.send_signal(signal.SIGKILL)
            kills += 1
        else:
            while pending() and time.monotonic() < deadline:
                time.sleep(0.2)
            worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert pending() == 0
    with ctx.engine.connect() as conn:
        ids = {r.id: r.event_seq for r in conn.execute(sa.select(outbox))}
    assert len(ids) == TOTAL
    received = {nid for nid, _ in seen}
    assert received == set(ids)  # every one delivered at least once, nothing unknown
    assert all(ids[nid] == seq for nid, seq in seen)  # a duplicate is the same event, same id
    assert kills >= 12
    verified = subprocess.run(
        [sys.executable, "-m", "fireline", "verify"], env=env, capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
