"""The only code that writes the transparency log's tables: leaves, subtrees, head, checkpoints.

Every event of every chain becomes the next leaf of one RFC 9162 tree (leaf data: the event's
32-byte hash, so a leaf commits to its chain, seq and contents), in the transaction that appends
it. `append` locks the single `tlog_head` row first (FOR UPDATE on PostgreSQL; SQLite's BEGIN
IMMEDIATE already serialises writers), so leaf indexes follow commit order and two writers never
fork the tree. The head keeps the tree's right frontier, so an append hashes O(log n) nodes and
writes each completed perfect subtree once; proofs read O(log n) stored subtrees.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import DriverStatement, tlog_checkpoints, tlog_head, tlog_leaves, tlog_nodes
from fireline.errors import IntegrityError
from fireline.ledger import merkle

_LOCK = DriverStatement(
    sa.select(tlog_head.c.size, tlog_head.c.frontier).where(tlog_head.c.id == 1).with_for_update()
)
_HEAD = DriverStatement(
    sa.select(tlog_head.c.size, tlog_head.c.frontier).where(tlog_head.c.id == 1)
)
_INSERT_LEAF = DriverStatement(tlog_leaves.insert())
_INSERT_NODE = DriverStatement(tlog_nodes.insert())
_UPDATE_HEAD = DriverStatement(
    tlog_head.update()
    .where(tlog_head.c.id == 1)
    .values(size=sa.bindparam("size"), frontier=sa.bindparam("frontier"))
)
_NODE = DriverStatement(
    sa.select(tlog_nodes.c.hash).where(
        tlog_nodes.c.level == sa.bindparam("level"), tlog_nodes.c.idx == sa.bindparam("idx")
    )
)
_LEAF = DriverStatement(
    sa.select(tlog_leaves.c.event_hash).where(tlog_leaves.c.idx == sa.bindparam("idx"))
)


@dataclass(frozen=True)
class Leaf:
    """One logged event: its place in the tree, its chain and seq, and the event hash (hex)."""

    index: int
    chain_id: str
    seq: int
    event_hash: str

    @property
    def hash(self) -> bytes:
        return leaf_of(self.event_hash)


def leaf_of(event_hash: str) -> bytes:
    """The RFC 9162 leaf hash of an event: SHA-256(0x00 ‖ the event's 32-byte hash)."""
    return merkle.leaf_hash(bytes.fromhex(event_hash))


def frontier_of(text: str) -> list[bytes]:
    return [bytes.fromhex(text[i : i + 64]) for i in range(0, len(text), 64)]


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """The root of a tree given its perfect subtrees, largest (leftmost) first."""
    if not frontier:
        return merkle.EMPTY_ROOT
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = merkle.node_hash(left, root)
    return root


def extend(
    size: int, frontier: list[bytes], leaf: bytes, nodes: list[tuple[int, int, bytes]] | None
) -> int:
    """Add one leaf hash to (size, frontier) in place; return the new size.

    Each perfect subtree it completes (level ≥ 1) is appended to `nodes` as (level, idx, hash).
    """
    node, level = leaf, 0
    while (size >> level) & 1:
        node = merkle.node_hash(frontier.pop(), node)
        level += 1
        if nodes is not None:
            nodes.append((level, size >> level, node))
    frontier.append(node)
    return size + 1


def append(conn: Connection, chain_id: str, logged: Sequence[tuple[int, str]]) -> int:
    """Log (seq, event hash) pairs of one chain as the next leaves; return the new tree size.

    Runs inside the caller's transaction, after the chain's own lock, so the lock order is
    always chain → log and concurrent writers cannot deadlock on it.
    """
    row = _LOCK.execute(conn, {}).fetchone()
    if row is None:
        raise IntegrityError(
            "the transparency log has no head row; it was changed outside fireline"
        )
    size, text = int(row[0]), row[1]
    frontier = frontier_of(text)
    nodes: list[tuple[int, int, bytes]] = []
    for seq, event_hash in logged:
        _INSERT_LEAF.execute(
            conn, {"idx": size, "chain_id": chain_id, "seq": seq, "event_hash": event_hash}
        )
        size = extend(size, frontier, leaf_of(event_hash), nodes)
    for level, idx, node in nodes:
        _INSERT_NODE.execute(conn, {"level": level, "idx": idx, "hash": node.hex()})
    _UPDATE_HEAD.execute(conn, {"size": size, "frontier": "".join(h.hex() for h in frontier)})
    return size


@dataclass(frozen=True)
class TreeHead:
    """The stored size and root of the log (unsigned: `checkpoint_note` signs one)."""

    size: int
    root: bytes


def get_head(conn: Connection, *, lock: bool = False) -> TreeHead:
    """The stored tree head; `lock` holds the log's row lock (signing a checkpoint) so the head
    cannot move, and two signers cannot race, until the transaction ends."""
    row = (_LOCK if lock else _HEAD).execute(conn, {}).fetchone()
    if row is None:
        raise IntegrityError(
            "the transparency log has no head row; it was changed outside fireline"
        )
    size, text = row
    return TreeHead(int(size), root_from_frontier(frontier_of(text)))


class StoredTree:
    """Subtree hashes read from the stored nodes and leaves (O(log n) reads per proof)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def subtree(self, start: int, end: int) -> bytes:
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:
            level = width.bit_length() - 1
            return self._perfect(level, start >> level)
        k = merkle.split(width)
        return merkle.node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def _perfect(self, level: int, idx: int) -> bytes:
        if level == 0:
            row = _LEAF.execute(self._conn, {"idx": idx}).fetchone()
        else:
            row = _NODE.execute(self._conn, {"level": level, "idx": idx}).fetchone()
        if row is None:
            raise IntegrityError(
                f"the transparency log is missing subtree {level}/{idx} "
                f"(leaves {idx << level}…{((idx + 1) << level) - 1}); run `fireline verify`"
            )
        return leaf_of(row[0]) if level == 0 else bytes.fromhex(row[0])

    def frontier(self, size: int) -> list[bytes]:
        """The perfect subtrees of the first `size` leaves, largest first."""
        out, start = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if (size >> level) & 1:
                out.append(self._perfect(level, start >> level))
                start += 1 << level
        return out


def find_leaf(conn: Connection, chain_id: str, seq: int) -> Leaf | None:
    row = conn.execute(
        sa.select(tlog_leaves.c.idx, tlog_leaves.c.event_hash).where(
            tlog_leaves.c.chain_id == chain_id, tlog_leaves.c.seq == seq
        )
    ).first()
    return None if row is None else Leaf(int(row.idx), chain_id, seq, row.event_hash)


def iter_leaves(conn: Connection, first: int = 0, end: int | None = None) -> Iterator[Leaf]:
    """Stored leaves with index ≥ `first` (and < `end`), in index order."""
    query = sa.select(
        tlog_leaves.c.idx, tlog_leaves.c.chain_id, tlog_leaves.c.seq, tlog_leaves.c.event_hash
    ).where(tlog_leaves.c.idx >= first)
    if end is not None:
        query = query.where(tlog_leaves.c.idx < end)
    for idx, chain_id, seq, event_hash in conn.execute(query.order_by(tlog_leaves.c.idx)):
        yield Leaf(int(idx), chain_id, seq, event_hash)


def iter_nodes(conn: Connection) -> Iterator[tuple[int, int, str]]:
    """Every stored subtree as (level, idx, hex hash), level by level."""
    query = sa.select(tlog_nodes.c.level, tlog_nodes.c.idx, tlog_nodes.c.hash)
    for level, idx, node in conn.execute(query.order_by(tlog_nodes.c.level, tlog_nodes.c.idx)):
        yield int(level), int(idx), node


def count_leaves(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(tlog_leaves)).scalar_one())


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: str
    ts: str
    note: str


def latest_checkpoint(conn: Connection) -> StoredCheckpoint | None:
    row = conn.execute(
        sa.select(tlog_checkpoints).order_by(tlog_checkpoints.c.size.desc()).limit(1)
    ).first()
    return None if row is None else StoredCheckpoint(int(row.size), row.root, row.ts, row.note)


def list_checkpoints(conn: Connection) -> list[StoredCheckpoint]:
    rows = conn.execute(sa.select(tlog_checkpoints).order_by(tlog_checkpoints.c.size))
    return [StoredCheckpoint(int(r.size), r.root, r.ts, r.note) for r in rows]


def store_checkpoint(conn: Connection, checkpoint: StoredCheckpoint) -> None:
    """Keep a signed tree head (one per size; a second signing of a size is a no-op)."""
    exists = conn.execute(
        sa.select(tlog_checkpoints.c.size).where(tlog_checkpoints.c.size == checkpoint.size)
    ).first()
    if exists is None:
        conn.execute(
            tlog_checkpoints.insert().values(
                size=checkpoint.size, root=checkpoint.root, ts=checkpoint.ts, note=checkpoint.note
            )
        )
