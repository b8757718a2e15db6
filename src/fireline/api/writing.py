"""Running a write from a route: one at a time on the process's Context.

A Context's write connection serves one thread at a time, and FastAPI runs sync routes on a
thread pool, so writes queue on one lock here. The command routes go through the group-commit
writer (`service.writer`), which holds this same lock around each batch, so the account
routes' writes and the batches never share the connection at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from fireline.service import Context

T = TypeVar("T")
WRITES = threading.Lock()


def context(request: Request) -> Context:
    """The process's Context, opened by the app's lifespan."""
    found: Context = request.app.state.context
    return found


def serialised(call: Callable[[], T]) -> T:
    with WRITES:
        return call()
