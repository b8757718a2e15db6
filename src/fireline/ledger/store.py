"""The only code that writes the `events` and `heads` tables.

`append` locks the incident's head row (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
already serialises writers), seals new events onto it, inserts them and stores a freshly signed
checkpoint, all inside the caller's transaction. Two writers can never fork a chain: the second
waits for the lock, and the (incident_id, seq) primary key rejects any duplicate that slips by.
The new events also become the next leaves of the store-wide transparency log (`tlog.append`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import DriverStatement, events, heads
from fireline.errors import NotFoundError
from fireline.ledger import tlog
from fireline.ledger.chain import Event, StoredRow, genesis, seal
from fireline.ledger.checkpoints import Checkpoint, Signer

Draft = tuple[str, dict[str, Any]]

_LOCK_HEAD = DriverStatement(
    sa.select(heads.c.seq, heads.c.head, heads.c.ts)
    .where(heads.c.incident_id == sa.bindparam("incident_id"))
    .with_for_update()
)
_INSERT_EVENT = DriverStatement(events.insert())
_INSERT_HEAD = DriverStatement(heads.insert())
_UPDATE_HEAD = DriverStatement(
    heads.update()
    .where(heads.c.incident_id == sa.bindparam("incident_id_"))
    .values(
        seq=sa.bindparam("seq"),
        head=sa.bindparam("head"),
        ts=sa.bindparam("ts"),
        key_id=sa.bindparam("key_id"),
        signature=sa.bindparam("signature"),
    )
)
_ROW_COLUMNS = (
    events.c.seq,
    events.c.ts,
    events.c.actor,
    events.c.kind,
    events.c.payload,
    events.c.payload_sha256,
    events.c.policy,
    events.c.prev,
    events.c.hash,
    events.c.payload_salt,
)
_ROWS = DriverStatement(
    sa.select(*_ROW_COLUMNS)
    .where(events.c.incident_id == sa.bindparam("incident_id"))
    .order_by(events.c.seq)
)
_SPAN_ROWS = DriverStatement(
    sa.select(*_ROW_COLUMNS)
    .where(
        events.c.incident_id == sa.bindparam("incident_id"),
        events.c.seq.between(sa.bindparam("first"), sa.bindparam("last")),
    )
    .order_by(events.c.seq)
)


@dataclass(frozen=True)
class Head:
    """The locked tip of a chain: the next event links to `hash` with seq `seq + 1`."""

    seq: int
    hash: str
    ts: str


def lock(conn: Connection, incident_id: str) -> Head:
    """Lock an incident's chain for this transaction and return its head (NotFoundError)."""
    row = _LOCK_HEAD.execute(conn, {"incident_id": incident_id}).fetchone()
    if row is None:
        raise NotFoundError(f"no incident {incident_id}")
    return Head(*row)


def append(
    conn: Connection,
    incident_id: str,
    drafts: Sequence[Draft],
    *,
    head: Head | None,
    actor: str,
    ts: str,
    signer: Signer,
    policy: str | None,
) -> list[Event]:
    """Seal `drafts` onto the chain after `head` (from `lock`) and sign the new head.

    `head=None` starts a new incident's chain: its head row is inserted (numbering is serialised
    by `allocate_number`, so a duplicate key can only mean rows put there behind our back).
    """
    seq, prev = (0, genesis(incident_id)) if head is None else (head.seq, head.hash)
    sealed: list[Event] = []
    for kind, payload in drafts:
        seq += 1
        event, text = seal(
            incident_id=incident_id,
            seq=seq,
            ts=ts,
            actor=actor,
            kind=kind,
            payload=payload,
            policy=policy,
            prev=prev,
        )
        _INSERT_EVENT.execute(
            conn,
            {
                "incident_id": incident_id,
                "seq": seq,
                "ts": ts,
                "actor": actor,
                "kind": kind,
                "payload": text,
                "payload_sha256": event.payload_sha256,
                "payload_salt": event.payload_salt,
                "policy": policy,
                "prev": prev,
                "hash": event.hash,
            },
        )
        sealed.append(event)
        prev = event.hash
    # Every chain's events, whatever the chain, become the store-wide log's next leaves.
    tlog.append(conn, incident_id, [(event.seq, event.hash) for event in sealed])
    checkpoint = signer.checkpoint(incident_id=incident_id, seq=seq, head=prev, ts=ts)
    values = {
        "seq": checkpoint.seq,
        "head": checkpoint.head,
        "ts": checkpoint.ts,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }
    if head is None:
        _INSERT_HEAD.execute(conn, {"incident_id": incident_id, **values})
    else:
        _UPDATE_HEAD.execute(conn, {"incident_id_": incident_id, **values})
    return sealed


def erase_payload(conn: Connection, incident_id: str, seq: int) -> None:
    """Drop one event's payload and its salt, keeping digest and hash so the chain verifies.

    Without the salt the digest is a commitment nobody can open, so it confirms no guess of the
    erased text. Only called for the target of an `entry.erased` event appended in the same
    transaction.
    """
    conn.execute(
        events.update()
        .where(events.c.incident_id == incident_id, events.c.seq == seq)
        .values(payload=None, payload_salt=None)
    )


def read_events(conn: Connection, incident_id: str) -> list[Event]:
    """All events of one incident in seq order, payloads parsed (None where erased)."""
    return [to_event(incident_id, row) for row in iter_rows(conn, incident_id)]


def iter_rows(conn: Connection, incident_id: str) -> Iterator[StoredRow]:
    """Stored rows of one incident in seq order, as `chain.verify` reads them."""
    cursor = _ROWS.execute(conn, {"incident_id": incident_id})
    try:
        yield from cursor
    finally:
        cursor.close()


def iter_span(conn: Connection, incident_id: str, first: int, last: int) -> Iterator[StoredRow]:
    """The stored rows of one incident with seq `first`…`last`, in seq order."""
    cursor = _SPAN_ROWS.execute(conn, {"incident_id": incident_id, "first": first, "last": last})
    try:
        yield from cursor
    finally:
        cursor.close()


def prepare_span_reads(conn: Connection) -> None:
    """Compile the span read for this connection's dialect ahead of forking readers."""
    _SPAN_ROWS.compiled_for(conn)


def chain_extents(
    conn: Connection, incident_ids: Sequence[str] | None = None
) -> dict[str, tuple[int, Any, Any]]:
    """(row count, smallest seq, largest seq) of each chain with rows (default: every chain)."""
    query = sa.select(
        events.c.incident_id, sa.func.count(), sa.func.min(events.c.seq), sa.func.max(events.c.seq)
    ).group_by(events.c.incident_id)
    if incident_ids is not None:
        query = query.where(events.c.incident_id.in_(incident_ids))
    return {
        incident_id: (count, low, high) for incident_id, count, low, high in conn.execute(query)
    }


def list_chains(conn: Connection) -> list[str]:
    """Every incident id that has events or a head, so a chain whose rows vanished still shows."""
    ids = sa.union(sa.select(events.c.incident_id), sa.select(heads.c.incident_id))
    return sorted(conn.execute(ids).scalars())


def get_checkpoint(conn: Connection, incident_id: str) -> Checkpoint | None:
    row = conn.execute(sa.select(heads).where(heads.c.incident_id == incident_id)).first()
    if row is None:
        return None
    return Checkpoint(row.incident_id, row.seq, row.head, row.ts, row.key_id, row.signature)


# Any fixed 63-bit number: the PostgreSQL advisory lock that serialises incident numbering.
_NUMBERING_LOCK = int(hashlib.sha256(b"fireline:incident-numbering").hexdigest()[:15], 16)


def _lock_chain_creation(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NUMBERING_LOCK})


def lock_if_exists(conn: Connection, chain_id: str) -> Head | None:
    """Like `lock`, for a chain that may not exist yet (the registry): None means start it.

    Creation is serialised like incident numbering, so two first writes cannot both start it.
    """
    row = _LOCK_HEAD.execute(conn, {"incident_id": chain_id}).fetchone()
    if row is None:
        _lock_chain_creation(conn)
        row = _LOCK_HEAD.execute(conn, {"incident_id": chain_id}).fetchone()
    return None if row is None else Head(*row)


def allocate_number(conn: Connection, day_prefix: str) -> int:
    """The next incident number for a day (`INC-YYYYMMDD-`), held until the transaction ends.

    SQLite's BEGIN IMMEDIATE already serialises writers; on PostgreSQL an advisory transaction
    lock does, so two concurrent declarations never race for the same number.
    """
    _lock_chain_creation(conn)
    found = conn.execute(
        sa.select(heads.c.incident_id).where(heads.c.incident_id.like(f"{day_prefix}%"))
    ).scalars()
    return 1 + max((int(incident_id.rsplit("-", 1)[1]) for incident_id in found), default=0)


def to_event(incident_id: str, row: StoredRow) -> Event:
    """Decode a stored row (payload text → dict; None stays None when erased)."""
    seq, ts, actor, kind, text, digest, policy, prev, event_hash, salt = row
    payload = None if text is None else json.loads(text)
    return Event(incident_id, seq, ts, actor, kind, payload, digest, policy, prev, event_hash, salt)


def last_change(
    conn: Connection, incident_id: str, *, skip_kinds: frozenset[str]
) -> tuple[int, str] | None:
    """Seq and hash of the chain's latest event whose kind is not in `skip_kinds`."""
    row = conn.execute(
        sa.select(events.c.seq, events.c.hash)
        .where(events.c.incident_id == incident_id, events.c.kind.not_in(sorted(skip_kinds)))
        .order_by(events.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.seq, row.hash)
