"""The gates and the verify badge are shared per chain head for a few seconds: many open rooms
cost one replay per write, and the next write is seen at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from fireline.commands import LogEntry
from fireline.db import read_only
from fireline.domain import ActorId
from fireline.reads import fresh, incidents
from fireline.service import Context, Identity
from tests.factories import make_incident, run


def test_an_answer_is_shared_until_the_head_moves(ctx: Context) -> None:
    inc = make_incident(ctx, ic="alice")
    calls: list[int] = []

    def compute() -> Any:
        calls.append(1)
        return len(calls)

    store = ctx.settings.database_url
    with read_only(ctx.engine) as conn:
        assert fresh.shared("t", store, conn, inc, compute) == 1
        assert fresh.shared("t", store, conn, inc, compute) == 1  # same head: shared
        assert fresh.shared("t", "another-store", conn, inc, compute) == 2
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="a new event moves the head"))
    with read_only(ctx.engine) as conn:
        assert fresh.shared("t", store, conn, inc, compute) == 3


def test_the_gates_change_with_the_next_write(ctx: Context) -> None:
    inc = make_incident(ctx, ic="alice")
    alice = Identity(ActorId("alice"))
    before = incidents.gates(ctx, alice, inc)["unmet"]["mitigated"]
    assert any("mitigation" in need for need in before)
    run(ctx, LogEntry(incident_id=inc, kind="mitigation", text="rolled back"), "alice")
    after = incidents.gates(ctx, alice, inc)["unmet"]["mitigated"]
    assert not any("mitigation entry" in need for need in after)


def test_concurrent_askers_share_one_computation(ctx: Context) -> None:
    inc = make_incident(ctx, ic="alice")
    release = threading.Event()
    calls: list[int] = []

    def compute() -> Any:
        calls.append(1)
        release.wait(10)  # every other asker arrives while this one is still computing
        return "answer"

    def ask() -> Any:
        with read_only(ctx.engine) as conn:
            return fresh.shared("herd", ctx.settings.database_url, conn, inc, compute)

    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(ask) for _ in range(8)]
        while not calls:
            time.sleep(0.01)
        release.set()
        assert [a.result(10) for a in answers] == ["answer"] * 8
    assert len(calls) == 1


def test_a_failed_computation_leaves_the_next_asker_to_compute(ctx: Context) -> None:
    inc = make_incident(ctx, ic="alice")

    def broken() -> Any:
        raise RuntimeError("replay failed")

    store = ctx.settings.database_url
    with read_only(ctx.engine) as conn:
        with pytest.raises(RuntimeError):
            fresh.shared("flaky", store, conn, inc, broken)
        assert fresh.shared("flaky", store, conn, inc, lambda: "second try") == "second try"
