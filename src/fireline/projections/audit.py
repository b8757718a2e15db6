"""The projection audit: replay the ledger into scratch state and compare it with the store's.

State tables are a pure function of the events, so a row the replay does not reproduce was
written behind fireline's back (or by a bug). The replay runs into a private in-memory SQLite
database, never into the store: the store is only read (a verify must be possible on a
read-only snapshot, on PostgreSQL as on SQLite, and must not take the write lock), and the
scratch state costs no fsync. Rows are compared as typed values (JSON decoded, booleans as
bool), so the scratch database need not be the store's backend.

Every table in `db.PROJECTION_TABLES` is compared, owned by the chain its rows belong to
(`chain_column`): a table added there is audited without further change here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from fireline.db import PROJECTION_TABLES, incidents
from fireline.domain import ALERTS_CHAIN, REGISTRY_CHAIN
from fireline.ledger import store

# Chains replayed together before their rows are compared: bounds the scratch state's memory.
BATCH_EVENTS = 20_000


@dataclass(frozen=True)
class Mismatch:
    """The first projection row that differs from what replaying the ledger gives."""

    table: str
    key: tuple[tuple[str, Any], ...]  # the row's primary key, column by column
    column: str | None  # None: the whole row is missing or unexpected
    problem: str

    @property
    def incident_id(self) -> str:
        key = dict(self.key)
        if self.table in _ALERT_TABLES:
            return ALERTS_CHAIN
        return str(key.get("incident_id", key.get("id", REGISTRY_CHAIN)))

    def __str__(self) -> str:
        key = ", ".join(f"{name}={value}" for name, value in self.key)
        where = f"{self.table} row ({key})" if key else f"{self.table} table"
        return (
            f"{where}: {self.problem}"
            if self.column is None
            else (f"{where} column {self.column}: {self.problem}")
        )


def chain_column(table: sa.Table) -> sa.Column[Any] | None:
    """The column naming the chain a row belongs to; None for the registry's tables (`users`,
    and every other table without an incident id: accounts, …), all of one chain."""
    if table is incidents:
        return incidents.c.id
    if table.name in _ALERT_TABLES:
        return None  # alert_groups.incident_id is a link, not the chain the row belongs to
    return table.c.get("incident_id")


# Tables without an incident id belong wholly to one system chain: the alert tables to the
# ALERTS chain, every other one (users, accounts, …) to the registry.
_ALERT_TABLES = frozenset(
    {"alert_sources", "alert_records", "alert_deliveries", "alerts", "alert_groups"}
)


def owning_chain(table: sa.Table) -> str:
    """The one chain whose events make all the rows of a table without a chain column."""
    return ALERTS_CHAIN if table.name in _ALERT_TABLES else REGISTRY_CHAIN


_SCRATCH = threading.local()


def scratch_engine() -> Engine:
    """This thread's in-memory database holding just the projection tables.

    Kept for the life of the thread: creating the tables and compiling the projections'
    statements afresh (SQLAlchemy caches them per engine) cost more than replaying an
    incident of a few hundred events. Every use empties it first (`_cleared`).
    """
    engine: Engine | None = getattr(_SCRATCH, "engine", None)
    if engine is None:
        engine = sa.create_engine("sqlite://", poolclass=StaticPool)
        with engine.begin() as conn:
            for table in PROJECTION_TABLES:
                table.create(conn)
        _SCRATCH.engine = engine
    return engine


def _cleared(scratch: Connection) -> None:
    for table in reversed(PROJECTION_TABLES):
        scratch.execute(table.delete())


def compare_store(conn: Connection, chains: Sequence[str] | None = None) -> Mismatch | None:
    """Replay `chains` (default: every chain) and compare their rows; the first mismatch.

    Checking every chain also catches rows owned by no chain at all (an inserted incident).
    """
    wanted = list(store.list_chains(conn) if chains is None else chains)
    with scratch_engine().connect() as scratch:
        for batch in _batches(conn, wanted, everything=chains is None):
            found = _compare_batch(conn, scratch, batch)
            if found is not None:
                return found
    return None if chains is not None else _orphans(conn, set(wanted))


def replayed_freeze_entries(conn: Connection) -> dict[str, str]:
    """The freeze record's entries as replaying every chain gives them (not the stored rows)."""
    from fireline.ledger import freeze_record
    from fireline.projections import apply

    chains = store.list_chains(conn)
    if not chains:
        return {}
    entries: dict[str, str] = {}
    with scratch_engine().connect() as scratch:
        for batch in _batches(conn, chains, everything=True):
            with scratch.begin():
                _cleared(scratch)
                for chain in batch:
                    for event in store.read_events(conn, chain):
                        apply(scratch, event)
                entries.update(freeze_record.current_entries(scratch))
    return entries


def _batches(conn: Connection, chains: list[str], *, everything: bool) -> Iterator[list[str]]:
    extents = store.chain_extents(conn, None if everything else chains)
    sizes = {chain: count for chain, (count, _low, _high) in extents.items()}
    batch: list[str] = []
    room = BATCH_EVENTS
    for chain in chains:
        batch.append(chain)
        room -= sizes.get(chain, 0)
        if room <= 0:
            yield batch
            batch, room = [], BATCH_EVENTS
    if batch:
        yield batch


def _compare_batch(conn: Connection, scratch: Connection, chains: list[str]) -> Mismatch | None:
    from fireline.projections import apply

    with scratch.begin():
        _cleared(scratch)
        for chain in chains:
            for event in store.read_events(conn, chain):
                apply(scratch, event)
        for table in PROJECTION_TABLES:
            try:
                stored = _rows(conn, table, chains)
            except _Unreadable as exc:
                return exc.mismatch
            found = _compare_table(table, stored, _rows(scratch, table, chains))
            if found is not None:
                return found
    return None


def _rows(conn: Connection, table: sa.Table, chains: list[str]) -> dict[tuple[Any, ...], Any]:
    column = chain_column(table)
    query = sa.select(table)
    if column is not None:
        query = query.where(column.in_(chains))
    elif owning_chain(table) not in chains:
        return {}
    keys = [c.name for c in table.primary_key.columns]
    rows: dict[tuple[Any, ...], Any] = {}
    try:
        for row in conn.execute(query):
            mapping = row._mapping
            rows[tuple(mapping[k] for k in keys)] = mapping
    except (ValueError, TypeError) as exc:  # a JSON column edited into something else
        raise _Unreadable(Mismatch(table.name, (), None, f"a row does not decode: {exc}")) from None
    return rows


class _Unreadable(Exception):
    def __init__(self, mismatch: Mismatch) -> None:
        super().__init__(str(mismatch))
        self.mismatch = mismatch


def _compare_table(
    table: sa.Table, found: dict[tuple[Any, ...], Any], expected: dict[tuple[Any, ...], Any]
) -> Mismatch | None:
    """The first row (in primary-key order) that is missing, unexpected or different."""
    names = [c.name for c in table.primary_key.columns]
    for key in sorted(set(found) | set(expected), key=_sort_key):
        labelled = tuple(zip(names, key, strict=True))
        if key not in found:
            return Mismatch(table.name, labelled, None, "missing: the ledger gives this row")
        if key not in expected:
            return Mismatch(table.name, labelled, None, "no event produces this row")
        for column in table.columns:
            have, want = found[key][column.name], expected[key][column.name]
            if not _same(have, want):
                return Mismatch(table.name, labelled, column.name, _difference(column, have, want))
    return None


def _orphans(conn: Connection, chains: set[str]) -> Mismatch | None:
    """A row whose chain has no events at all (put there behind fireline's back)."""
    for table in PROJECTION_TABLES:
        column = chain_column(table)
        if column is None:
            if owning_chain(table) in chains:
                continue
            query = sa.select(table).limit(1)
        else:
            query = sa.select(table).where(column.not_in(sorted(chains))).limit(1)
        row = conn.execute(query).first()
        if row is not None:
            keys = tuple((c.name, row._mapping[c.name]) for c in table.primary_key.columns)
            return Mismatch(table.name, keys, None, "no event produces this row")
    return None


def _sort_key(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(f"{part:020d}" if isinstance(part, int) else str(part) for part in key)


def _same(have: Any, want: Any) -> bool:
    # bool is an int in Python: a tampered 0/1 must still equal False/True, but not "1".
    return (
        type(have) is type(want)
        and have == want
        or (isinstance(have, (bool, int)) and isinstance(want, (bool, int)) and have == want)
    )


def _difference(column: sa.Column[Any], have: Any, want: Any) -> str:
    """What differs, quoting values only for short, non-text columns (text may be sensitive)."""
    if isinstance(column.type, (sa.Text, sa.JSON)):
        return "differs from what the ledger gives"
    return f"holds {_show(have)}, the ledger gives {_show(want)}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."
