"""Termination signals as exceptions, so a command killed mid-way still cleans up after itself.

By default SIGTERM and SIGHUP end the process at once, skipping every `finally`: a half-written
staging file would stay behind. Inside `interruptible()` they (and SIGINT) raise `Interrupted`
instead, which unwinds through the cleanup code like any error; the command then exits with
one line and the shell's code for the signal (128 + its number). Once the write starts the
signal is held (`Guard.hold`), so a command is never cut between its commit and its report, and
is re-delivered when the block ends. The previous handlers are always restored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import typer

Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None

_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(BaseException):
    """A termination signal arrived. A BaseException, so `except Exception` never swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Guard:
    """The installed handlers' state: a signal taken, and whether one must wait for now."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self._holding = False

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.pending is not None:
            return  # already stopping: a second signal must not cut the cleanup short
        self.pending = signum
        if not self._holding:
            raise Interrupted(signum)

    def hold(self) -> None:
        """From now on a signal waits for the end of the block: the write is starting, and what
        it records must be reported (a stop now would claim nothing was recorded)."""
        self._holding = True


@contextmanager
def interruptible() -> Iterator[Guard]:
    """Turn SIGTERM, SIGINT and SIGHUP into `Interrupted` for the block, then restore handlers.

    `Interrupted` ends the command with one stderr line and exit code 128 + the signal's
    number; a signal held by `Guard.hold` is re-delivered to the restored handler once the
    block is over. Outside the main thread (where handlers cannot be installed) this is a no-op.
    """
    guard = Guard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = {signum: signal.signal(signum, guard.handle) for signum in _SIGNALS}
    stopped = False
    try:
        yield guard
    except Interrupted as stop:
        stopped = True
        name = signal.Signals(stop.signum).name
        typer.echo(f"fireline: error: interrupted by {name}; nothing was recorded", err=True)
        raise typer.Exit(128 + stop.signum) from None
    finally:
        _restore(previous)
        if guard.pending is not None and not stopped:
            signal.raise_signal(guard.pending)


def _restore(previous: dict[int, Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
