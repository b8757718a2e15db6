"""Which open incidents freeze deploys, read straight through the database driver.

Kept free of SQLAlchemy and the policy engine so `fireline freeze check` starts and answers
fast enough for every CI run. The query is plain SQL that SQLite and PostgreSQL both run.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fireline.errors import StoreError

# "freeze" is quoted: PostgreSQL reserves the word.
FROZEN = (
    'SELECT id, severity, status FROM incidents WHERE "freeze" = {true} '
    "AND freeze_lifted_at IS NULL AND status NOT IN ('resolved', 'closed') ORDER BY id"
)


def report(database_url: str) -> tuple[int, list[str]]:
    """`freeze check`'s exit code (1 while anything freezes deploys) and the lines it prints."""
    found = frozen_incidents(database_url)
    if not found:
        return 0, ["no deploy freeze"]
    lines = [
        f"FROZEN by {incident_id} ({severity}, {status})" for incident_id, severity, status in found
    ]
    lines.append("deploys are frozen until these resolve or their IC runs `fireline freeze lift`")
    return 1, lines


def frozen_incidents(database_url: str) -> list[tuple[str, str, str]]:
    """(id, severity, status) of every open incident whose level freezes deploys."""
    scheme = urlsplit(database_url).scheme.split("+", 1)[0]
    if scheme == "sqlite":
        return _sqlite(database_url)
    if scheme in ("postgresql", "postgres"):
        return _postgresql(database_url)
    raise StoreError(f"freeze check cannot read database URL scheme {scheme!r}")


def _sqlite(database_url: str) -> list[tuple[str, str, str]]:
    import sqlite3

    path = Path(database_url.split(":///", 1)[1]) if ":///" in database_url else None
    if path is None or not path.exists():
        raise StoreError(f"no fireline store at {path}; run `fireline init`")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return list(conn.execute(FROZEN.format(true=1)))
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the fireline store: {exc}") from None


def _postgresql(database_url: str) -> list[tuple[str, str, str]]:
    import psycopg

    parts = urlsplit(database_url)
    plain = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))
    try:
        with psycopg.connect(plain) as conn:
            return [tuple(row) for row in conn.execute(FROZEN.format(true="true"))]
    except psycopg.Error as exc:
        raise StoreError(f"cannot read the fireline store: {str(exc).splitlines()[0]}") from None
