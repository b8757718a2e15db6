"""The status page, built once per store state: keyed by the store's last event (the
transparency log's size, which every write of every chain grows) and the current minute (so
uptime and "current" move on with the clock), each rendering made on first use."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import read_only, tlog_head
from fireline.service.context import Context
from fireline.statuspage import feed, html, model, v2


def last_event(conn: Connection) -> int:
    return int(conn.execute(sa.select(tlog_head.c.size)).scalar() or 0)


@dataclass
class Renderings:
    page: model.StatusPage
    url: str
    made: dict[str, bytes] = field(default_factory=dict)

    def get(self, name: str) -> bytes:
        found = self.made.get(name)
        if found is None:
            found = self.made[name] = _RENDER[name](self.page, self.url)
        return found


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode()


_RENDER: dict[str, Callable[[model.StatusPage, str], bytes]] = {
    "html": lambda page, url: html.render(page).encode(),
    "atom": feed.atom,
    "summary": lambda page, url: _json(v2.summary(page, url)),
    "incidents": lambda page, url: _json(v2.incidents(page, url)),
    "components": lambda page, url: _json(v2.components(page, url)),
}


class StatusCache:
    """One process's cached page; a lock so concurrent misses build it once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, str, str] | None = None
        self._value: Renderings | None = None

    def get(self, ctx: Context, *, now: datetime, url: str) -> Renderings:
        with read_only(ctx.engine) as conn:
            key = (last_event(conn), now.strftime("%Y-%m-%dT%H:%M"), url)
            with self._lock:
                if self._key == key and self._value is not None:
                    return self._value
                page = model.build(conn, ctx.settings, ctx.policy, now=now)
                self._key, self._value = key, Renderings(page, url)
                return self._value
