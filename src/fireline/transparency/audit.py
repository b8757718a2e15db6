"""Verifying the transparency log: the whole store, or only what was appended since a
published checkpoint.

Trusts nothing in the database: leaves are matched against the events, the tree is recomputed
from the leaves (whole store) or proven consistent with a checkpoint signed by the store key
(`since`), and every finding names the leaf index and the chain and event it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from fireline.db import events, tlog_leaves
from fireline.errors import IntegrityError
from fireline.events import KNOWN_KINDS
from fireline.ledger import merkle, notes, store, tlog
from fireline.ledger.chain import genesis, verify_span
from fireline.ledger.checkpoints import is_valid

MAX_FINDINGS = 20  # per kind: enough to name what happened without flooding the terminal


@dataclass(frozen=True)
class LogBreak:
    """One thing the log and the store disagree on, named by leaf, chain and event."""

    reason: str
    leaf: int | None = None
    chain: str | None = None
    seq: int | None = None

    def __str__(self) -> str:
        where = "transparency log"
        if self.leaf is not None:
            where += f" leaf {self.leaf}"
        if self.chain is not None:
            where += f" ({self.chain} event {self.seq})" if self.seq else f" ({self.chain})"
        return f"{where}: {self.reason}"


@dataclass
class LogReport:
    size: int = 0
    checkpoints: int = 0
    checked_events: int = 0  # events verified by `since` (new ones, and their chains' links)
    breaks: list[LogBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def audit_log(conn: Connection, public_key: Ed25519PublicKey) -> LogReport:
    """Recompute the whole tree from its leaves; match leaves and events one to one; check the
    stored subtrees, the head and every stored checkpoint (signature and root)."""
    report = LogReport()
    head = tlog.get_head(conn)
    report.size = head.size
    breaks = report.breaks
    breaks.extend(_unlogged_events(conn))
    breaks.extend(_leaves_without_events(conn))
    levels = _levels_from_leaves(conn, breaks)
    count = len(levels[0]) if levels else 0
    if count != head.size:
        breaks.append(LogBreak(f"the log head says {head.size} leaves, {count} are stored"))
    _check_nodes(conn, levels, breaks)
    if count == head.size and _root(levels, count) != head.root:
        breaks.append(LogBreak("the stored tree head does not match the root of the leaves"))
    good = 0
    for checkpoint in tlog.list_checkpoints(conn):
        report.checkpoints += 1
        problem = _checkpoint_problem(checkpoint, public_key, levels, count)
        if problem is not None:
            low = good if checkpoint.size <= count else count
            breaks.append(LogBreak(problem, leaf=low))
            break
        good = checkpoint.size
    return report


def _unlogged_events(conn: Connection) -> list[LogBreak]:
    """Events with no leaf (appended behind the log's back), first per chain."""
    joined = events.outerjoin(
        tlog_leaves,
        sa.and_(tlog_leaves.c.chain_id == events.c.incident_id, tlog_leaves.c.seq == events.c.seq),
    )
    query = (
        sa.select(events.c.incident_id, sa.func.min(events.c.seq))
        .select_from(joined)
        .where(tlog_leaves.c.idx.is_(None))
        .group_by(events.c.incident_id)
        .order_by(events.c.incident_id)
        .limit(MAX_FINDINGS)
    )
    return [
        LogBreak("the event is in no leaf of the log (written behind fireline's back)", None, c, s)
        for c, s in conn.execute(query)
    ]


def _leaves_without_events(conn: Connection) -> list[LogBreak]:
    """Leaves whose event is gone or differs: a deleted, rolled-back or rewritten chain."""
    joined = tlog_leaves.outerjoin(
        events,
        sa.and_(events.c.incident_id == tlog_leaves.c.chain_id, events.c.seq == tlog_leaves.c.seq),
    )
    query = (
        sa.select(tlog_leaves.c.idx, tlog_leaves.c.chain_id, tlog_leaves.c.seq, events.c.hash)
        .select_from(joined)
        .where(sa.or_(events.c.hash.is_(None), events.c.hash != tlog_leaves.c.event_hash))
        .order_by(tlog_leaves.c.idx)
    )
    found: list[LogBreak] = []
    named: set[str] = set()
    for idx, chain_id, seq, event_hash in conn.execute(query):
        if chain_id in named:
            continue  # the first leaf of each chain is enough to name it
        named.add(chain_id)
        found.append(_missing(int(idx), chain_id, seq, event_hash, conn))
        if len(found) >= MAX_FINDINGS:
            break
    return found


def _missing(
    idx: int, chain_id: str, seq: int, event_hash: str | None, conn: Connection
) -> LogBreak:
    if event_hash is not None:
        return LogBreak(
            "the event's hash differs from the logged one (rewritten)", idx, chain_id, seq
        )
    remaining = conn.execute(
        sa.select(sa.func.count()).select_from(events).where(events.c.incident_id == chain_id)
    ).scalar_one()
    if remaining == 0:
        return LogBreak("the whole chain is gone from the store (deleted)", idx, chain_id, seq)
    return LogBreak(
        f"the logged event is gone: the chain was cut back or rolled back to {remaining} events",
        idx,
        chain_id,
        seq,
    )


def _levels_from_leaves(conn: Connection, breaks: list[LogBreak]) -> list[list[bytes]]:
    """Every level of the tree's perfect subtrees, recomputed from the stored leaves; also checks
    that leaf indexes run 0, 1, 2… and that each chain's seqs come in order."""
    leaves: list[bytes] = []
    last_seq: dict[str, int] = {}
    for leaf in tlog.iter_leaves(conn):
        if leaf.index != len(leaves):
            breaks.append(LogBreak(f"leaf {len(leaves)} is missing (next stored: {leaf.index})"))
            break
        expected = last_seq.get(leaf.chain_id, 0) + 1
        if leaf.seq != expected and len(breaks) < MAX_FINDINGS:
            breaks.append(
                LogBreak(
                    f"out of order: event {expected} of the chain was expected",
                    leaf.index,
                    leaf.chain_id,
                    leaf.seq,
                )
            )
        last_seq[leaf.chain_id] = max(leaf.seq, last_seq.get(leaf.chain_id, 0))
        leaves.append(leaf.hash)
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append(
            [merkle.node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        )
    return levels


def _check_nodes(conn: Connection, levels: list[list[bytes]], breaks: list[LogBreak]) -> None:
    """Every stored subtree must be the recomputed one, and every complete one must be stored."""
    expected = sum(len(level) for level in levels[1:])
    seen = 0
    for level, idx, node in tlog.iter_nodes(conn):
        seen += 1
        if level >= len(levels) or idx >= len(levels[level]):
            breaks.append(
                LogBreak(f"a stored subtree {level}/{idx} covers leaves that do not exist")
            )
            return
        if levels[level][idx].hex() != node:
            first = idx << level
            breaks.append(
                LogBreak(
                    f"stored subtree {level}/{idx} (leaves {first}…{first + (1 << level) - 1}) "
                    "does not match the leaves",
                    first,
                )
            )
            return
    if seen != expected:
        breaks.append(LogBreak(f"{expected - seen} stored subtrees are missing"))


def _root(levels: list[list[bytes]], size: int) -> bytes:
    """The root of the first `size` leaves, from the recomputed levels."""
    frontier, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if (size >> level) & 1:
            frontier.append(levels[level][start >> level])
            start += 1 << level
    return tlog.root_from_frontier(frontier)


def _checkpoint_problem(
    checkpoint: tlog.StoredCheckpoint,
    public_key: Ed25519PublicKey,
    levels: list[list[bytes]],
    count: int,
) -> str | None:
    try:
        parsed = notes.signed_by(
            checkpoint.note, public_key, source=f"checkpoint {checkpoint.size}"
        )
    except IntegrityError as exc:
        return exc.message
    if parsed.size != checkpoint.size or parsed.root.hex() != checkpoint.root:
        return f"the stored checkpoint row of size {checkpoint.size} differs from its signed note"
    if checkpoint.size > count:
        return (
            f"missing: the signed checkpoint covers {checkpoint.size} leaves, only {count} "
            f"remain (leaves {count}…{checkpoint.size - 1} were dropped)"
        )
    if _root(levels, checkpoint.size) != parsed.root:
        return (
            f"the first {checkpoint.size} leaves no longer hash to the signed checkpoint's root "
            "(history rewritten or removed at or after this leaf)"
        )
    return None


# --- verify --since -------------------------------------------------------------------------


def audit_since(
    conn: Connection, public_key: Ed25519PublicKey, note_text: str, *, source: str
) -> LogReport:
    """Prove the current tree extends the published checkpoint, then verify only the events
    appended since (and the links of their chains to the verified part): time proportional to
    the new events plus log n, and a count of the rest."""
    published = notes.signed_by(note_text, public_key, source=source)
    old, old_root = published.size, published.root
    report = LogReport()
    breaks = report.breaks
    head = tlog.get_head(conn)
    report.size = head.size
    if head.size < old:
        breaks.append(
            LogBreak(
                f"missing: the published checkpoint covers {old} leaves, the log has only "
                f"{head.size} (leaves {head.size}…{old - 1} were dropped)",
                head.size,
            )
        )
        breaks.extend(_leaves_without_events(conn))
        return report
    stored = tlog.StoredTree(conn)
    try:
        frontier = stored.frontier(old)
    except IntegrityError as exc:
        breaks.append(LogBreak(exc.message))
        return report
    if tlog.root_from_frontier(frontier) != old_root:
        breaks.append(
            LogBreak(
                f"the log's first {old} leaves do not hash to the published root: history "
                "before this leaf was rewritten or removed",
                old,
            )
        )
        breaks.extend(_leaves_without_events(conn))
        return report
    new_leaves = list(tlog.iter_leaves(conn, old, head.size))
    size = old
    for leaf in new_leaves:
        if leaf.index != size:
            breaks.append(LogBreak(f"leaf {size} is missing (next stored: {leaf.index})", size))
            return report
        size = tlog.extend(size, frontier, leaf.hash, None)
    new_root = tlog.root_from_frontier(frontier)
    if size != head.size or new_root != head.root:
        breaks.append(
            LogBreak("the stored tree head does not match the leaves appended since", old)
        )
        return report
    try:
        proof = merkle.consistency_proof(old, size, stored.subtree)
    except IntegrityError as exc:
        breaks.append(LogBreak(exc.message, old))
        return report
    if not merkle.verify_consistency(old, size, old_root, new_root, proof):
        breaks.append(
            LogBreak("the current tree is not consistent with the published checkpoint", old)
        )
        return report
    _check_new_events(conn, public_key, new_leaves, old, old_root, stored, report)
    _check_counts(conn, size, report)
    return report


def _check_new_events(
    conn: Connection,
    public_key: Ed25519PublicKey,
    new_leaves: list[tlog.Leaf],
    old: int,
    old_root: bytes,
    stored: tlog.StoredTree,
    report: LogReport,
) -> None:
    """Each chain with new leaves: its new events hash and link, starting on the event the
    published tree holds (proven by an inclusion proof), and end on its signed checkpoint."""
    spans: dict[str, list[tlog.Leaf]] = {}
    for leaf in new_leaves:
        spans.setdefault(leaf.chain_id, []).append(leaf)
    for chain_id, leaves in spans.items():
        first, last = leaves[0].seq, leaves[-1].seq
        if [leaf.seq for leaf in leaves] != list(range(first, last + 1)):
            report.breaks.append(
                LogBreak(
                    "the chain's leaves skip or repeat an event", leaves[0].index, chain_id, first
                )
            )
            continue
        start = genesis(chain_id)
        if first > 1:
            before = tlog.find_leaf(conn, chain_id, first - 1)
            if (
                before is None
                or before.index >= old
                or not merkle.verify_inclusion(
                    before.index,
                    old,
                    before.hash,
                    merkle.inclusion_proof(before.index, old, stored.subtree),
                    old_root,
                )
            ):
                report.breaks.append(
                    LogBreak(
                        "the chain's earlier events are not in the published tree",
                        None,
                        chain_id,
                        first - 1,
                    )
                )
                continue
            start = before.event_hash
        span = verify_span(
            chain_id,
            store.iter_span(conn, chain_id, first, last),
            first_seq=first,
            known_kinds=KNOWN_KINDS,
        )
        report.checked_events += span.next_seq - first
        by_seq = {leaf.seq: leaf for leaf in leaves}
        if span.broken or not set(span.emptied) <= span.erased_targets:
            report.breaks.append(
                LogBreak(
                    f"the event does not verify (run `fireline verify {chain_id}` for the reason)",
                    by_seq[min(span.next_seq, last)].index,
                    chain_id,
                    span.next_seq,
                )
            )
            continue
        if span.next_seq != last + 1:
            missing = by_seq[span.next_seq]
            report.breaks.append(
                LogBreak(
                    "the logged event is gone from the store", missing.index, chain_id, missing.seq
                )
            )
            continue
        if span.first_prev != start:
            report.breaks.append(
                LogBreak(
                    "does not link to the chain's event in the published tree",
                    leaves[0].index,
                    chain_id,
                    first,
                )
            )
            continue
        wrong = [leaf for leaf in leaves if leaf.event_hash != _hash_at(conn, chain_id, leaf.seq)]
        if wrong:
            report.breaks.append(
                LogBreak(
                    "the event's hash differs from the logged one (rewritten)",
                    wrong[0].index,
                    chain_id,
                    wrong[0].seq,
                )
            )
            continue
        checkpoint = store.get_checkpoint(conn, chain_id)
        if (
            checkpoint is None
            or not is_valid(public_key, checkpoint)
            or (checkpoint.seq, checkpoint.head) != (last, span.head)
        ):
            report.breaks.append(
                LogBreak(
                    "the chain's signed checkpoint is not at its last logged event",
                    leaves[-1].index,
                    chain_id,
                    last,
                )
            )


def _hash_at(conn: Connection, chain_id: str, seq: int) -> str | None:
    return conn.execute(
        sa.select(events.c.hash).where(events.c.incident_id == chain_id, events.c.seq == seq)
    ).scalar()


def _check_counts(conn: Connection, size: int, report: LogReport) -> None:
    """As many events and leaves as the tree is big, or find out which chain differs."""
    count = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    leaves = tlog.count_leaves(conn)
    if count == size and leaves == size:
        return
    found = _unlogged_events(conn) + _leaves_without_events(conn)
    report.breaks.extend(
        found or [LogBreak(f"{count} events and {leaves} leaves for a tree of {size}")]
    )
