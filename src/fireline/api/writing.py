"""Running a write from a route: one at a time on the process's Context.

A Context's write connection serves one thread at a time, and FastAPI runs sync routes on a
thread pool, so writes queue on one lock here. The group-commit writer replaces this queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from fireline.service import Context

T = TypeVar("T")
_WRITES = threading.Lock()


def context(request: Request) -> Context:
    """The process's Context, opened by the app's lifespan."""
    found: Context = request.app.state.context
    return found


def serialised(call: Callable[[], T]) -> T:
    with _WRITES:
        return call()
