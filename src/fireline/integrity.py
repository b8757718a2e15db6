"""Whole-store verification: every chain, its signed checkpoint, and the key that signed it.

`fireline verify` runs this. It reads the database directly and trusts nothing in it: chains are
re-hashed from the stored bytes and the head of each must match a checkpoint signed by the store
key, which is what catches a tail cut off or an event appended behind fireline's back.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from fireline.db import events, freeze_entries, freeze_record, make_engine, read_only
from fireline.domain import ALERTS_CHAIN, REGISTRY_CHAIN, SYSTEM_CHAINS
from fireline.errors import FirelineError, IntegrityError, NotFoundError
from fireline.events import KNOWN_KINDS
from fireline.evidence import BlobStore
from fireline.ledger import store
from fireline.ledger.chain import Break, ChainReport, Span, genesis, verify, verify_span
from fireline.ledger.checkpoints import Checkpoint, is_signed, is_valid, key_id_of, load_public_key
from fireline.ledger.freeze_record import current_entries
from fireline.projections.audit import Mismatch, compare_store

# Below this many events a second process costs more (fork, connect) than it saves.
PARALLEL_MIN_EVENTS = 5_000
SYSTEM_CHAIN_NAMES = {REGISTRY_CHAIN: "the user registry", ALERTS_CHAIN: "the alert record"}


@dataclass
class StoreReport:
    """What verification found across the store; `breaks` holds the first break per chain."""

    chains: int = 0
    incident_chains: int = 0
    system_chains: list[str] = field(default_factory=list)  # "the user registry", …
    events: int = 0
    blobs: int = 0
    breaks: list[Break] = field(default_factory=list)
    processes: int = 1  # how many processes read and hashed the chains
    projections_checked: bool = False
    mismatch: Mismatch | None = None  # the first projection row the replay does not give

    @property
    def ok(self) -> bool:
        return not self.breaks and self.mismatch is None


def load_store_public_key(path: Path) -> Ed25519PublicKey:
    """The store's public key; verification cannot vouch for anything without it."""
    try:
        pem = path.read_bytes()
    except OSError:
        raise IntegrityError(
            f"no public key at {path}; signatures cannot be checked (run `fireline init`)"
        ) from None
    return load_public_key(pem, source=str(path))


def verify_store(
    conn: Connection,
    public_key: Ed25519PublicKey,
    *,
    incident_ids: list[str] | None = None,
    processes: int | None = None,
) -> StoreReport:
    """Verify the named chains (default: every chain in the store).

    Large stores are read and hashed by several processes at once (`processes`, default one
    per idle CPU once the store holds PARALLEL_MIN_EVENTS events; see `_verify_in_parallel`). A
    chain the processes do not find intact is verified again here, on this connection, which
    names its first broken event exactly as a single process would.
    """
    report = StoreReport()
    chains = store.list_chains(conn)
    for unknown in sorted(set(incident_ids or ()) - set(chains)):
        raise NotFoundError(f"no incident {unknown}")
    wanted = incident_ids if incident_ids is not None else chains
    checkpoints = {incident_id: store.get_checkpoint(conn, incident_id) for incident_id in wanted}
    intact, report.processes = _verify_in_parallel(conn, checkpoints, incident_ids, processes)
    for incident_id in wanted:
        chain = intact.get(incident_id) or verify(
            incident_id, store.iter_rows(conn, incident_id), known_kinds=KNOWN_KINDS
        )
        report.chains += 1
        report.incident_chains += incident_id not in SYSTEM_CHAINS
        if incident_id in SYSTEM_CHAIN_NAMES:
            report.system_chains.append(SYSTEM_CHAIN_NAMES[incident_id])
        report.events += chain.count
        broken = chain.broken or check_checkpoint(chain, checkpoints[incident_id], public_key)
        if broken is not None:
            report.breaks.append(broken)
    return report


Share = list[tuple[str, int, int]]  # (incident_id, first seq, last seq) spans for one process


def _verify_in_parallel(
    conn: Connection,
    checkpoints: dict[str, Checkpoint | None],
    incident_ids: list[str] | None,
    processes: int | None,
) -> tuple[dict[str, ChainReport], int]:
    """The chains found intact by several processes, each verifying a share of seq ranges.

    Hashes are independent once each row's stored `prev` is known, so a chain can be cut
    into spans (`chain.verify_span`) verified by different processes and joined here: spans
    must be contiguous, each must start on the hash the one before ended on, and every
    erased payload must be named by an erasure somewhere in the chain. Spans run from 1 to
    the checkpoint's seq; this connection's snapshot must hold exactly that many rows for the
    chain, between those bounds. Only a chain that passes all of it is reported intact (with
    exactly what `verify` would report); anything else — a break, a row written since this
    snapshot, a process that failed — leaves the chain to `verify`. Other processes open their
    own connections, so this runs only where a process can fork safely (one thread).
    """
    count = processes if processes is not None else _idle_cpus()
    spans = {
        incident_id: checkpoint.seq
        for incident_id, checkpoint in checkpoints.items()
        if checkpoint is not None and type(checkpoint.seq) is int and checkpoint.seq > 0
    }
    total = sum(spans.values())
    automatic = processes is None and total < PARALLEL_MIN_EVENTS
    if count < 2 or not spans or automatic or not _can_fork():
        return {}, 1
    shares = _shares(spans, count)
    if len(shares) < 2:
        return {}, 1
    store.prepare_span_reads(conn)  # compiled once here, not again in every process
    url = conn.engine.url.render_as_string(hide_password=False)
    extents: dict[str, tuple[int, Any, Any]] = {}

    def own_share() -> list[Span]:
        # While the other processes start: the rows this snapshot holds, then a share.
        extents.update(store.chain_extents(conn, incident_ids))
        return _verify_share(conn, shares[0])

    found = _run_shares(url, shares[1:], own=own_share)
    by_chain: dict[str, list[Span]] = {}
    for share_spans in found:
        for span in share_spans or ():
            by_chain.setdefault(span.incident_id, []).append(span)
    intact = {}
    for incident_id, chain_spans in by_chain.items():
        length = spans[incident_id]
        if extents.get(incident_id) != (length, 1, length):
            continue  # rows outside 1…length, or fewer: `verify` says which
        chain = _join(incident_id, sorted(chain_spans, key=lambda s: s.first_seq), length)
        if chain is not None:
            intact[incident_id] = chain
    return intact, len(shares)


def _join(incident_id: str, spans: list[Span], length: int) -> ChainReport | None:
    """The chain's report if its spans cover 1…length intact and linked, else None."""
    head = genesis(incident_id)
    next_seq = 1
    erased: set[int] = set()
    emptied: list[int] = []
    for span in spans:
        if span.broken or span.first_seq != next_seq or span.first_prev != head:
            return None
        if span.head is None:
            return None
        head, next_seq = span.head, span.next_seq
        erased |= span.erased_targets
        emptied.extend(span.emptied)
    if next_seq != length + 1 or not set(emptied) <= erased:
        return None
    return ChainReport(incident_id, next_seq - 1, next_seq - 1, head, None)


def _shares(lengths: dict[str, int], count: int) -> list[Share]:
    """Cut the chains, in order, into `count` shares of about the same number of events."""
    total = sum(lengths.values())
    size = -(-total // count)
    shares: list[Share] = [[]]
    room = size
    for incident_id, length in lengths.items():
        first = 1
        while first <= length:
            if room == 0:
                shares.append([])
                room = size
            last = min(length, first + room - 1)
            shares[-1].append((incident_id, first, last))
            room -= last - first + 1
            first = last + 1
    return shares


def _verify_share(conn: Connection, share: Share) -> list[Span]:
    return [
        verify_span(
            incident_id,
            store.iter_span(conn, incident_id, first, last),
            first_seq=first,
            known_kinds=KNOWN_KINDS,
        )
        for incident_id, first, last in share
    ]


def _run_shares(
    url: str, shares: Sequence[Share], *, own: Callable[[], list[Span]]
) -> list[list[Span] | None]:
    """Verify each share in a forked process of its own, and `own` here meanwhile.

    None stands for a process that failed. This process keeps its snapshot open until every
    other process is done, and none of them touches its connection (see `_share_process`).
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    running = []
    for share in shares:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_share_process, args=(url, share, sender), daemon=True)
        process.start()
        sender.close()
        running.append((process, receiver))
    found: list[list[Span] | None] = []
    try:
        found.append(own())
    finally:  # collected even when this process's own share failed
        for process, receiver in running:
            try:
                found.append(receiver.recv())
            except (EOFError, OSError):
                found.append(None)
            finally:
                receiver.close()
                process.join()
    return found


def _share_process(url: str, share: Share, sender: Any) -> None:
    """In the forked process: a connection of its own, one share, the spans sent back.

    The parent's connections are inherited but never used here; the process ends with
    os._exit (multiprocessing's fork start), so nothing of the parent's is closed either.
    """
    result = None
    try:
        engine = make_engine(url)
        try:
            with read_only(engine) as conn:
                result = _verify_share(conn, share)
        finally:
            engine.dispose()
    except Exception:  # None: the parent verifies these chains itself
        pass
    sender.send(result)
    sender.close()


def _idle_cpus() -> int:
    """One process per CPU this process may use, or just one when those CPUs are busy.

    On a machine already running more than a CPU's worth of work per CPU (the one-minute load
    average), a second verifying process finds no CPU to run on: measured here, it is then
    slower than one process, by the cost of forking and connecting.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0] >= cpus
    except OSError:  # no load average to read
        busy = False
    return 1 if busy else cpus


def _can_fork() -> bool:
    """Linux, one thread: where forking a process that holds database connections is safe."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def check_checkpoint(
    chain: ChainReport, checkpoint: Checkpoint | None, public_key: Ed25519PublicKey
) -> Break | None:
    """Compare an intact chain's head with its signed checkpoint."""
    incident_id = chain.incident_id
    if checkpoint is None:
        return Break(incident_id, 1, "no signed checkpoint for this chain")
    if not is_valid(public_key, checkpoint):
        # The row's own seq cannot be trusted; name the last event the chain really has.
        return Break(incident_id, max(chain.head_seq, 1), "checkpoint signature does not verify")
    if chain.head_seq > checkpoint.seq:
        return Break(
            incident_id,
            checkpoint.seq + 1,
            f"appended after the last signed checkpoint (seq {checkpoint.seq})",
        )
    if chain.head_seq < checkpoint.seq:
        return Break(
            incident_id,
            chain.head_seq + 1,
            f"missing: the signed checkpoint covers {checkpoint.seq} events, "
            f"only {chain.head_seq} remain",
        )
    if chain.head != checkpoint.head:
        return Break(incident_id, checkpoint.seq, "head differs from the signed checkpoint")
    return None


def verify_projections(
    conn: Connection,
    report: StoreReport,
    public_key: Ed25519PublicKey,
    *,
    incident_ids: list[str] | None = None,
) -> None:
    """Replay the chains that verified and compare every projection row with the store's.

    A broken chain is left out (its first break is already reported; replaying it proves
    nothing). With every chain intact and no incident named, rows no chain produces are
    looked for too, and the signed freeze record is checked against the verified state.
    """
    broken = {b.incident_id for b in report.breaks}
    chains = incident_ids if incident_ids is not None else store.list_chains(conn)
    wanted = [chain for chain in chains if chain not in broken]
    whole = incident_ids is None and not broken
    report.mismatch = compare_store(conn, None if whole else wanted)
    if report.mismatch is None and whole:
        report.mismatch = check_freeze_record(conn, public_key)
    report.projections_checked = True


def check_freeze_record(conn: Connection, public_key: Ed25519PublicKey) -> Mismatch | None:
    """The signed freeze record against the state tables (already found equal to the replay)."""
    from fireline.freeze import record_message, record_root

    row = conn.execute(sa.select(freeze_record).where(freeze_record.c.id == 1)).first()
    if row is None:
        return Mismatch("freeze_record", (), None, "missing: no signed freeze record")
    stored = {r.incident_id: r.digest for r in conn.execute(sa.select(freeze_entries))}
    message = record_message(version=row.version, root=row.root, ts=row.ts)
    if row.key_id != key_id_of(public_key) or not is_signed(public_key, message, row.signature):
        return Mismatch("freeze_record", (("id", 1),), "signature", "does not verify")
    if record_root(stored) != row.root:
        return Mismatch("freeze_record", (("id", 1),), "root", "does not match freeze_entries")
    expected = current_entries(conn)
    for incident_id in sorted(set(stored) | set(expected)):
        if stored.get(incident_id) != expected.get(incident_id):
            key = (("incident_id", incident_id),)
            problem = (
                "missing: the incident freezes deploys"
                if incident_id not in stored
                else "the incident does not freeze deploys"
                if incident_id not in expected
                else "does not match the incident's state"
            )
            return Mismatch("freeze_entries", key, None, problem)
    return None


def require_verified_incident(
    conn: Connection, public_key: Ed25519PublicKey, incident_id: str
) -> None:
    """IntegrityError unless the incident's chain verifies against its signed checkpoint and
    its projection rows are exactly what replaying that chain gives.

    The closure gates call this before they read the state: a gate must never pass on rows
    edited behind fireline's back. Costs one replay of the incident (see docs/ledger.md).
    """
    chain = verify(incident_id, store.iter_rows(conn, incident_id), known_kinds=KNOWN_KINDS)
    broken = chain.broken or check_checkpoint(
        chain, store.get_checkpoint(conn, incident_id), public_key
    )
    if broken is not None:
        raise IntegrityError(f"cannot evaluate the gates: {broken}; run `fireline verify`")
    mismatch = compare_store(conn, [incident_id])
    if mismatch is not None:
        raise IntegrityError(
            f"cannot evaluate the gates: {incident_id}'s state does not match its ledger "
            f"(projection {mismatch}); run `fireline verify`"
        )


def verify_blobs(
    conn: Connection,
    blobs: BlobStore,
    report: StoreReport,
    *,
    incident_ids: list[str] | None = None,
) -> None:
    """Check that every blob an `evidence.added` event names exists and still hashes to its
    digest; add the first bad blob of each chain to `report.breaks`.

    The digests come from the ledger, not the evidence projection, like the rest of verify, and
    only from chains that verified (so their payloads are fireline's own canonical JSON). Each
    distinct blob is re-hashed once, however many events name it.
    """
    query = sa.select(events.c.incident_id, events.c.seq, events.c.payload).where(
        events.c.kind == "evidence.added", events.c.payload.is_not(None)
    )
    if incident_ids is not None:
        query = query.where(events.c.incident_id.in_(incident_ids))
    seen: dict[str, str | None] = {}
    broken: set[str] = {b.incident_id for b in report.breaks}
    for incident_id, seq, payload in conn.execute(
        query.order_by(events.c.incident_id, events.c.seq)
    ):
        if incident_id in broken:
            continue  # its first break is reported; a broken chain's payloads prove nothing
        digest = json.loads(payload).get("sha256")
        if digest is None:
            continue  # a reference: no file
        if digest not in seen:
            seen[digest] = _blob_problem(blobs, digest, report)
        problem = seen[digest]
        if problem is not None:
            broken.add(incident_id)
            report.breaks.append(Break(incident_id, seq, problem))


def _blob_problem(blobs: BlobStore, digest: str, report: StoreReport) -> str | None:
    try:
        blobs.check(digest)
    except FirelineError as exc:
        return exc.message
    report.blobs += 1
    return None
