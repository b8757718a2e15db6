"""The runbook index in the store: the only writes to `runbook_index` and `runbook_fts`.

The index is a cache of files, not incident state: `fireline runbook index` replaces it whole in
one transaction, and nothing in the ledger refers to it. Full-text matching is the backend's
(SQLite FTS5, PostgreSQL tsvector); the order of results is always fireline's own ranking, so
both backends answer alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import RUNBOOK_FTS, runbook_index
from fireline.errors import NotFoundError
from fireline.suggest.documents import Entry
from fireline.suggest.rank import FIELDS, Corpus, Document
from fireline.suggest.text import words

# The passages' terms sit beside the fields in the same JSON column: no schema change, and an
# index written before passages existed still loads (it ranks without them until re-indexed).
PASSAGES_KEY = "passages"


@dataclass(frozen=True)
class IndexInfo:
    """What `runbook index` stored: the folder, how many runbooks, when."""

    folder: str
    count: int
    indexed_at: str


def replace_index(
    conn: Connection, *, folder: str, entries: Sequence[Entry], now: datetime
) -> IndexInfo:
    """Drop the old index and store `entries` (in the caller's transaction)."""
    stamp = now.isoformat().replace("+00:00", "Z")
    conn.execute(sa.delete(runbook_index))
    conn.execute(sa.text(f"DELETE FROM {RUNBOOK_FTS}"))
    if entries:
        conn.execute(
            sa.insert(runbook_index),
            [
                {
                    "path": e.path,
                    "folder": folder,
                    "runbook_id": e.id,
                    "title": e.title,
                    "sha256": e.sha256,
                    "names": {"names": list(e.names), "alerts": list(e.alerts)},
                    "fields": {
                        **{name: list(e.fields.get(name, ())) for name in FIELDS},
                        PASSAGES_KEY: [list(p) for p in e.passages],
                    },
                    "indexed_at": stamp,
                }
                for e in entries
            ],
        )
        rows = [{"path": e.path, "title": e.title, "content": e.content} for e in entries]
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    f"INSERT INTO {RUNBOOK_FTS} (path, document) VALUES (:path, "
                    "setweight(to_tsvector('english', :title), 'A') || "
                    "to_tsvector('english', :content))"
                ),
                rows,
            )
        else:
            conn.execute(
                sa.text(
                    f"INSERT INTO {RUNBOOK_FTS} (path, title, content) "
                    "VALUES (:path, :title, :content)"
                ),
                rows,
            )
    return IndexInfo(folder=folder, count=len(entries), indexed_at=stamp)


def load_corpus(conn: Connection) -> tuple[IndexInfo, Corpus]:
    """The stored index as a ranking corpus; NotFoundError if nothing was indexed yet."""
    rows = conn.execute(sa.select(runbook_index).order_by(runbook_index.c.path)).all()
    if not rows:
        raise NotFoundError("no runbook index yet; run `fireline runbook index DIR` first")
    documents = [
        Document(
            path=row.path,
            id=row.runbook_id,
            title=row.title,
            names=tuple(row.names["names"]),
            alerts=tuple(row.names["alerts"]),
            fields={name: tuple(row.fields.get(name, ())) for name in FIELDS},
            passages=tuple(tuple(p) for p in row.fields.get(PASSAGES_KEY, ())),
        )
        for row in rows
    ]
    info = IndexInfo(folder=rows[0].folder, count=len(rows), indexed_at=rows[0].indexed_at)
    return info, Corpus(documents)


_CACHE: dict[str, tuple[tuple[str, str, int], IndexInfo, Corpus]] = {}


def cached_corpus(conn: Connection) -> tuple[IndexInfo, Corpus]:
    """`load_corpus`, built once per process and database while the index is unchanged.

    A long-lived process (the server, a benchmark) ranks many alerts against one index:
    building the ranking corpus is most of a load, so it is kept until `runbook index`
    replaces the index (a new stamp, folder or count), checked with one small query.
    """
    row = conn.execute(
        sa.select(
            sa.func.min(runbook_index.c.folder),
            sa.func.min(runbook_index.c.indexed_at),
            sa.func.count(),
        )
    ).one()
    key = (str(row[0]), str(row[1]), int(row[2]))
    where = conn.engine.url.render_as_string(hide_password=True)
    kept = _CACHE.get(where)
    if kept is not None and kept[0] == key:
        return kept[1], kept[2]
    info, corpus = load_corpus(conn)
    _CACHE[where] = (key, info, corpus)
    return info, corpus


def full_text_matches(conn: Connection, text: str) -> set[str]:
    """Paths whose text matches any word of `text`, by the backend's full-text engine.

    `text` is split into words as fireline splits them (identifiers too), matching how the
    index content was written.
    """
    found = words(text)
    if not found:
        return set()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            sa.text(
                f"SELECT path FROM {RUNBOOK_FTS} WHERE document @@ to_tsquery('english', :query)"
            ),
            {"query": " | ".join(found)},
        )
    else:
        rows = conn.execute(
            sa.text(f"SELECT path FROM {RUNBOOK_FTS} WHERE {RUNBOOK_FTS} MATCH :query"),
            {"query": " OR ".join(f'"{w}"' for w in found)},
        )
    return {row.path for row in rows}
