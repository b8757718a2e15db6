"""Group commit: one writer thread per server process turns concurrent writes into batches.

A durable commit costs a disk flush; a server that committed each request on its own would be
bound by the disk, not by the work. Routes `submit` commands to one queue; the writer thread
takes what is queued (at most `writer_batch_size`, waiting up to `writer_linger_ms` for more
once it has one), runs them through `service.execute_batch` — a savepoint per command, one
policy decision and one outcome each, one commit — and only then resolves every future of the
batch. Nothing is acknowledged before the commit that holds it is durable.

Chains never fork: within a process the writer is the only one writing; across processes
(`--workers N`, or several replicas on PostgreSQL) the per-incident locks of `ledger.store` and
SQLite's BEGIN IMMEDIATE serialise the batches. `stop()` refuses new submissions, finishes
everything already queued and joins the thread: graceful shutdown loses no acknowledged write.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from fireline.commands import Command
from fireline.errors import StoreError
from fireline.ledger.chain import Event
from fireline.service import Identity, execute_batch
from fireline.service.context import Context

BatchObserver = Callable[[int], None]


@dataclass(frozen=True)
class _Job:
    command: Command
    identity: Identity
    future: Future[list[Event]]


_STOP = object()


class Writer:
    """The process's one writer: `submit` from any thread, results on futures."""

    def __init__(
        self,
        ctx: Context,
        *,
        batch_size: int | None = None,
        linger_ms: int | None = None,
        on_batch: BatchObserver | None = None,
        exclusive: threading.Lock | None = None,
    ) -> None:
        self.ctx = ctx
        self.batch_size = batch_size or ctx.settings.writer_batch_size
        linger = ctx.settings.writer_linger_ms if linger_ms is None else linger_ms
        self.linger_s = linger / 1000
        self.on_batch = on_batch
        # Held around every batch: other code that writes on the same Context takes it too.
        self._exclusive = exclusive or threading.Lock()
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._open = False
        self._thread = threading.Thread(target=self._run, name="fireline-writer", daemon=True)

    def start(self) -> Writer:
        with self._lock:
            self._open = True
        self._thread.start()
        return self

    def submit(self, command: Command, identity: Identity) -> Future[list[Event]]:
        """Queue one command; its future resolves to its events once they are durable, or to
        its own refusal. After `stop()` began, StoreError: the server is shutting down."""
        future: Future[list[Event]] = Future()
        with self._lock:
            if not self._open:
                raise StoreError("the fireline server is shutting down; retry shortly")
            self._queue.put(_Job(command, identity, future))
        return future

    def stop(self, timeout: float | None = None) -> None:
        """Refuse new work, commit everything already queued, then end the thread."""
        with self._lock:
            if not self._open:
                return
            self._open = False
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._collect()
            if batch:
                self._commit(batch)

    def _collect(self) -> tuple[list[_Job], bool]:
        first = self._queue.get()
        if first is _STOP:
            return [], True
        assert isinstance(first, _Job)
        batch = [first]
        deadline = time.monotonic() + self.linger_s
        while len(batch) < self.batch_size:
            try:
                wait = deadline - time.monotonic()
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            assert isinstance(item, _Job)
            batch.append(item)
        return batch, False

    def _commit(self, jobs: list[_Job]) -> None:
        # A caller that gave up before its command ran (the client went away) is dropped: not
        # written, and nobody to tell. Once running, a command can no longer be cancelled.
        batch = [job for job in jobs if job.future.set_running_or_notify_cancel()]
        if not batch:
            return
        try:
            with self._exclusive:
                outcomes = execute_batch(
                    [(job.command, job.identity) for job in batch], ctx=self.ctx
                )
        except BaseException as exc:  # never leave a caller waiting forever
            for job in batch:
                job.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        if self.on_batch is not None:
            self.on_batch(len(batch))
        for job, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)
