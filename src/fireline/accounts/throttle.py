"""The login throttle: failed logins counted per account and per client address, in the database
so every replica sees the same counts.

Failures are counted in a window (`login_window`); reaching the limit locks the key for
`login_lockout`, doubled for each further lockout of the same key (at most 64 times), and a
success clears the account's failures (never the address's: one valid account must not launder
an address's guesses). Keys are SHA-256 digests, so the table holds no name and no address in
clear: a password typed into the user field does not land here either. Failures are rows, not
events: an attacker must not be able to grow the tamper-evident record with guesses; only an
account's lockout is an event (`account.locked`), at most one per lockout period per account.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from fireline.db import login_throttle, read_only, store_errors
from fireline.domain import iso_utc

MAX_DOUBLINGS = 6


@dataclass(frozen=True)
class Limits:
    failures: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class Count:
    """One key's row: failures in the current window, and any lockout."""

    failures: int = 0
    window_start: str | None = None
    locked_until: str | None = None
    lockouts: int = 0


def key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


def after_failure(count: Count, now: datetime, limits: Limits) -> Count:
    """The row after one more failure at `now` (pure): a new window once the old one passed,
    and a lockout when the window's failures reach the limit."""
    stamp = iso_utc(now)
    fresh = count.window_start is None or count.window_start <= iso_utc(now - limits.window)
    failures = 1 if fresh else count.failures + 1
    start = stamp if fresh else count.window_start
    if failures < limits.failures:
        return Count(failures, start, count.locked_until, count.lockouts)
    span = limits.lockout * 2 ** min(count.lockouts, MAX_DOUBLINGS)
    return Count(0, None, iso_utc(now + span), count.lockouts + 1)


def retry_after(locked_until: str | None, now: datetime) -> int | None:
    """Whole seconds until a lockout ends (at least 1), or None when not locked."""
    if locked_until is None:
        return None
    left = datetime.fromisoformat(locked_until.removesuffix("Z") + "+00:00") - now
    if left <= timedelta(0):
        return None
    return max(1, int(left.total_seconds() + 0.999))


def locked(engine: Engine, keys: list[str], now: datetime) -> int | None:
    """Seconds until the longest lockout among `keys` ends, or None when none is locked."""
    with read_only(engine) as conn:
        rows = conn.execute(
            sa.select(login_throttle.c.locked_until).where(login_throttle.c.key.in_(keys))
        ).scalars()
        waits = [w for w in (retry_after(until, now) for until in rows) if w is not None]
    return max(waits) if waits else None


def record_failure(engine: Engine, key_: str, now: datetime, limits: Limits) -> str | None:
    """Count one failure against `key_` in its own transaction; when it locks the key, the
    time the lockout ends (only one concurrent failure is told: the one that locked it)."""
    with store_errors(), engine.begin() as conn:
        _ensure_row(conn, key_)
        row = conn.execute(
            sa.select(login_throttle).where(login_throttle.c.key == key_).with_for_update()
        ).one()
        count = after_failure(
            Count(row.failures, row.window_start, row.locked_until, row.lockouts), now, limits
        )
        conn.execute(
            login_throttle.update()
            .where(login_throttle.c.key == key_)
            .values(
                failures=count.failures,
                window_start=count.window_start,
                locked_until=count.locked_until,
                lockouts=count.lockouts,
            )
        )
        _prune(conn, now, limits)
    return count.locked_until if count.lockouts > row.lockouts else None


def forget(engine: Engine, key_: str) -> None:
    """A successful login clears the account's failures; its lockout count stays (a repeated
    attack still meets doubled lockouts) until the row ages out."""
    with store_errors(), engine.begin() as conn:
        conn.execute(
            login_throttle.update()
            .where(login_throttle.c.key == key_, login_throttle.c.failures > 0)
            .values(failures=0, window_start=None)
        )


def _ensure_row(conn: Connection, key_: str) -> None:
    values = {"key": key_, "failures": 0, "window_start": None, "locked_until": None, "lockouts": 0}
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(insert(login_throttle).values(values).on_conflict_do_nothing())


def _prune(conn: Connection, now: datetime, limits: Limits) -> None:
    """Drop rows with nothing left to enforce: the table stays as small as the live attacks."""
    longest = limits.lockout * 2**MAX_DOUBLINGS
    conn.execute(
        login_throttle.delete().where(
            sa.or_(
                login_throttle.c.window_start.is_(None),
                login_throttle.c.window_start < iso_utc(now - limits.window),
            ),
            sa.or_(
                login_throttle.c.locked_until.is_(None),
                login_throttle.c.locked_until < iso_utc(now - longest),
            ),
        )
    )
