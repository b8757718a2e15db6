"""One watcher of chain heads for every live stream a server process holds.

Each open room's stream used to ask the store for its incident's head four times a second,
each time from a worker thread with a pooled connection: fifty open rooms were two hundred
queries a second, and after a write they queued for threads and connections behind the work
the write caused. Here one task reads the heads of every followed incident in one query per
interval and wakes the streams whose incident moved. A write from the CLI, the API or another
replica still shows: the watcher reads the store, it is not told.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from fireline.db import heads, read_only

log = logging.getLogger(__name__)


class HeadWatch:
    """The last seen head (event number) of each followed incident, refreshed every
    `interval` seconds while anything is followed."""

    def __init__(self, engine: Engine, interval: float) -> None:
        self._engine = engine
        self._interval = interval
        self._followed: Counter[str] = Counter()
        self._heads: dict[str, int] = {}
        self._read_done = asyncio.Event()  # set (and replaced) after each read
        self._task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def following(self, incident_id: str) -> AsyncIterator[None]:
        """Keep `incident_id` watched for as long as the block runs."""
        self._followed[incident_id] += 1
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        try:
            yield
        finally:
            self._followed[incident_id] -= 1
            if self._followed[incident_id] <= 0:
                del self._followed[incident_id]

    async def beyond(self, incident_id: str, seen: int, timeout: float) -> int:
        """The incident's head as soon as it passes `seen`, or as it stands after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._heads.get(incident_id, 0) <= seen and (left := deadline - loop.time()) > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._read_done.wait(), left)
        return self._heads.get(incident_id, 0)

    async def _run(self) -> None:
        while self._followed:
            try:
                found = await run_in_threadpool(self._read, list(self._followed))
            except Exception:  # the store is down for a moment: keep the last heads, retry
                log.exception("reading the followed incidents' heads failed")
            else:
                self._heads = found
                done, self._read_done = self._read_done, asyncio.Event()
                done.set()  # wakes every waiter; each looks at its own incident's head
            await asyncio.sleep(self._interval)
        # No await since the loop's test: a new follower starts a new task, and reads afresh.
        self._task, self._heads = None, {}

    def _read(self, incident_ids: list[str]) -> dict[str, int]:
        with read_only(self._engine) as conn:
            rows = conn.execute(
                sa.select(heads.c.incident_id, heads.c.seq).where(
                    heads.c.incident_id.in_(incident_ids)
                )
            )
            return {str(row.incident_id): int(row.seq) for row in rows}
