"""The live streams' one head watcher: a write by anyone wakes the streams of its incident, a
quiet incident's wait ends at its timeout, and the watcher stops once nothing is followed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from fireline.commands import LogEntry
from fireline.service import Context
from fireline.web.live import HeadWatch
from tests.factories import make_incident, run

T = TypeVar("T")


def in_own_loop(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `scenario` on an event loop of its own thread: the browser tests' Playwright keeps
    a loop on this process's main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result(30)


def test_a_write_wakes_the_streams_of_its_incident_only(ctx: Context) -> None:
    busy, quiet = make_incident(ctx, ic="alice"), make_incident(ctx, ic="alice")

    async def scenario() -> tuple[int, int, int, bool]:
        watch = HeadWatch(ctx.engine, 0.02)
        async with watch.following(busy), watch.following(quiet):
            before = await watch.beyond(busy, 0, 5)  # the first read gives the current head
            waiting = asyncio.create_task(watch.beyond(busy, before, 5))
            await asyncio.to_thread(
                run, ctx, LogEntry(incident_id=busy, kind="fact", text="written elsewhere")
            )
            after = await waiting
            still = await watch.beyond(quiet, 10**6, 0.1)  # nothing new there: the timeout
        await asyncio.sleep(0.1)
        return before, after, still, watch._task is None

    before, after, still, stopped = in_own_loop(scenario)
    assert after == before + 1
    assert 0 < still < 10**6
    assert stopped  # no followers left: no more queries


class FlakyWatch(HeadWatch):
    """A watcher whose store stops answering while `away` is set."""

    away = False

    def _read(self, incident_ids: list[str]) -> dict[str, int]:
        if self.away:
            raise OSError("the store is away")
        return super()._read(incident_ids)


def test_a_read_that_fails_keeps_the_last_heads(
    ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    incident = make_incident(ctx, ic="alice")

    async def scenario() -> tuple[int, int]:
        watch = FlakyWatch(ctx.engine, 0.02)
        async with watch.following(incident):
            first = await watch.beyond(incident, 0, 5)
            watch.away = True
            await asyncio.sleep(0.1)
            kept = await watch.beyond(incident, first, 0.05)
            watch.away = False
        return first, kept

    first, kept = in_own_loop(scenario)
    assert kept == first > 0
    assert "reading the followed incidents' heads failed" in caplog.text
