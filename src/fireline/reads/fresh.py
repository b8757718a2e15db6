"""Answers shared for a few seconds per chain head: the closure gates and the verify badge.

Both re-verify the incident's whole chain (and the gates replay its projections), a cost that
grows with the incident, and every open incident room asks for both again after each new
entry: fifty rooms on a 5,000-event incident made one write cost a hundred replays. The answer
only changes with the chain (keyed here by its head hash, so the next write misses the cache
at once) or with time (a breakglass grant expiring, a stability window passing) or with rows
edited behind fireline's back — those show at most FRESH_FOR seconds late. Every write still
verifies the incident itself before the policy decides (`governance.unmet_gates`), so nothing
is ever allowed on a cached answer. Need-to-know and masking stay with the caller, per viewer.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import heads

FRESH_FOR = 10.0  # seconds
_LIMIT = 512  # cached answers kept at most (oldest dropped first)
_lock = threading.Lock()
_answers: dict[tuple[str, str, str, str], tuple[float, Any]] = {}
_computing: dict[tuple[str, str, str, str], threading.Event] = {}


def head_of(conn: Connection, incident_id: str) -> str:
    """The chain's head hash ('' for a chain that has none)."""
    head = conn.execute(sa.select(heads.c.head).where(heads.c.incident_id == incident_id))
    return str(head.scalar() or "")


def shared(
    kind: str, store: str, conn: Connection, incident_id: str, compute: Callable[[], Any]
) -> Any:
    """`compute()`'s answer for this store, incident and head, reused for FRESH_FOR seconds.

    One asker computes a missing answer while the others for the same key wait for it: after
    a write, every open room asks at once, and fifty concurrent replays of the same chain
    would each hold a connection and a thread for the length of the replay.
    """
    key = (kind, store, incident_id, head_of(conn, incident_id))
    while True:
        with _lock:
            found = _answers.get(key)
            if found is not None and time.monotonic() - found[0] < FRESH_FOR:
                return copy.deepcopy(found[1])  # a caller may change its copy
            underway = _computing.get(key)
            if underway is None:
                _computing[key] = threading.Event()
                break
        underway.wait()  # then read its answer, or compute it if that asker failed
    try:
        answer = compute()
        with _lock:
            _answers[key] = (time.monotonic(), copy.deepcopy(answer))
            while len(_answers) > _LIMIT:
                del _answers[next(iter(_answers))]
        return answer
    finally:
        with _lock:
            _computing.pop(key).set()


def forget() -> None:
    """Drop every shared answer (tests that edit rows behind fireline's back)."""
    with _lock:
        _answers.clear()
