"""Group commit: a savepoint per command, one commit per batch, chains that never fork."""

from __future__ import annotations

import io
import multiprocessing
import threading
import traceback
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import ExitStack
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from fireline.commands import AddEvidence, AddUser, Declare, LogEntry, RecordAccess, Transition
from fireline.config import load_settings
from fireline.domain import REGISTRY_CHAIN, ActorId, IncidentId
from fireline.errors import InvalidCommandError, NotFoundError, PolicyDeniedError, StoreError
from fireline.integrity import load_store_public_key, verify_store
from fireline.ledger import store as ledger
from fireline.ledger.chain import Event
from fireline.service import Context, Identity, execute, execute_batch, open_context
from fireline.service.evidence import staged_file
from fireline.service.writer import Writer
from tests.conftest import Store
from tests.factories import make_incident, run, snapshot

ALICE = Identity(ActorId("alice"))


def fact(inc: IncidentId, text: str) -> LogEntry:
    return LogEntry(incident_id=inc, kind="fact", text=text)


def chain(ctx: Context, inc: str) -> list[Event]:
    with ctx.engine.connect() as conn:
        return ledger.read_events(conn, inc)


def verified(ctx: Context) -> tuple[int, int]:
    with ctx.engine.connect() as conn:
        report = verify_store(conn, load_store_public_key(ctx.settings.public_key_path))
    assert report.breaks == []
    return report.chains, report.events


def test_one_refusal_in_a_batch_does_not_fail_its_neighbours(ctx: Context) -> None:
    inc = make_incident(ctx)
    missing = IncidentId("INC-20261123-099")
    outcomes = execute_batch(
        [
            (fact(inc, "first"), ALICE),
            (LogEntry(incident_id=inc, kind="rumour", text="x"), ALICE),
            (fact(missing, "nowhere"), ALICE),
            (Transition(incident_id=inc, status="closed"), ALICE),
            (fact(inc, "second"), ALICE),
        ],
        ctx=ctx,
    )
    first, rumour, nowhere, closing, second = outcomes
    assert isinstance(rumour, InvalidCommandError)
    assert isinstance(nowhere, NotFoundError)
    assert isinstance(closing, InvalidCommandError)
    assert isinstance(first, list)
    assert isinstance(second, list)
    texts = [e.payload["text"] for e in chain(ctx, inc) if e.kind == "entry.fact" and e.payload]
    assert texts == ["first", "second"]
    assert [e.seq for e in second] == [first[-1].seq + 1]
    verified(ctx)


def test_each_command_gets_its_own_policy_decision(ctx: Context) -> None:
    run(ctx, AddUser(name="alice", roles=("admin", "commander")))
    run(ctx, AddUser(name="bob", roles=("viewer",)))
    inc = make_incident(ctx)
    outcomes = execute_batch(
        [(fact(inc, "by bob"), Identity(ActorId("bob"))), (fact(inc, "by alice"), ALICE)],
        ctx=ctx,
    )
    assert isinstance(outcomes[0], PolicyDeniedError)
    assert isinstance(outcomes[1], list)
    assert [e.actor for e in chain(ctx, inc)][-1] == "alice"


def test_a_refused_evidence_command_places_no_blob_and_its_neighbour_does(ctx: Context) -> None:
    run(ctx, AddUser(name="alice", roles=("admin", "commander")))
    run(ctx, AddUser(name="bob", roles=("viewer",)))
    inc = make_incident(ctx)
    with ExitStack() as stack:
        kept = stack.enter_context(staged_file(ctx, io.BytesIO(b"kept log\n"), name="a.log"))
        denied = stack.enter_context(staged_file(ctx, io.BytesIO(b"denied log\n"), name="b.log"))
        outcomes = execute_batch(
            [
                (AddEvidence(incident_id=inc, kind="logs", file=kept), ALICE),
                # Planned, then refused by the policy: its savepoint rolls back, its blob stays out.
                (AddEvidence(incident_id=inc, kind="logs", file=denied), Identity(ActorId("bob"))),
            ],
            ctx=ctx,
        )
    assert isinstance(outcomes[0], list)
    assert isinstance(outcomes[1], PolicyDeniedError)
    assert ctx.blobs.exists(kept.sha256)
    assert not ctx.blobs.exists(denied.sha256)


def test_the_writer_acknowledges_only_committed_writes(ctx: Context) -> None:
    incidents = [make_incident(ctx, title=f"incident {n}") for n in range(3)]
    sizes: list[int] = []
    writer = Writer(ctx, batch_size=16, linger_ms=2, on_batch=sizes.append).start()
    futures: list[tuple[IncidentId, str, Future[list[Event]]]] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        for k in range(15):
            inc = incidents[(number + k) % len(incidents)]
            text = f"client {number} #{k}"
            future = writer.submit(fact(inc, text), ALICE)
            with lock:
                futures.append((inc, text, future))
            future.result(timeout=60)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    writer.stop()
    assert len(futures) == 8 * 15
    recorded = {
        (inc, e.payload["text"], e.seq)
        for inc in incidents
        for e in chain(ctx, inc)
        if e.kind == "entry.fact" and e.payload
    }
    acknowledged = {(inc, text, f.result()[0].seq) for inc, text, f in futures}
    assert acknowledged == recorded
    assert sum(sizes) == len(futures)
    assert max(sizes) > 1, "concurrent writes were never grouped"
    verified(ctx)


def test_writes_beside_the_writer_share_its_connection_one_at_a_time(ctx: Context) -> None:
    """The server's read service records the access trail with `execute` on the Context the
    writer commits through: the unit of work hands its connection to one thread at a time."""
    inc = make_incident(ctx, labels=("restricted",))
    writer = Writer(ctx, batch_size=8).start()
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(20):
                execute(RecordAccess(incident_id=inc, view="show"), ALICE, ctx=ctx)
        except BaseException as exc:  # any failure is the test's finding
            failures.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    acknowledged = [writer.submit(fact(inc, f"fact {n}"), ALICE) for n in range(40)]
    for future in acknowledged:
        future.result(timeout=60)
    for thread in readers:
        thread.join(120)
    writer.stop()
    assert failures == []
    kinds = [e.kind for e in chain(ctx, inc)]
    assert kinds.count("access.read") == 60
    assert kinds.count("entry.fact") == 40
    verified(ctx)


def test_a_stopped_writer_refuses_and_finishes_what_was_queued(ctx: Context) -> None:
    inc = make_incident(ctx)
    writer = Writer(ctx).start()
    futures = [writer.submit(fact(inc, f"#{n}"), ALICE) for n in range(20)]
    writer.stop()
    assert all(len(f.result(timeout=0)) == 1 for f in futures)
    before = snapshot(ctx.engine)
    with pytest.raises(StoreError, match="shutting down"):
        writer.submit(fact(inc, "late"), ALICE)
    assert snapshot(ctx.engine) == before


def test_a_cancelled_submission_is_not_written(ctx: Context) -> None:
    inc = make_incident(ctx)
    writer = Writer(ctx)  # not started: the submission waits in the queue
    writer._open = True
    future = writer.submit(fact(inc, "never"), ALICE)
    assert future.cancel()
    writer._thread.start()
    writer.stop()
    assert [e.kind for e in chain(ctx, inc)].count("entry.fact") == 0


SPAWN = multiprocessing.get_context("spawn")
TIMEOUT = 180.0


def write_through_a_writer(
    env: dict[str, str],
    cwd: str,
    inc: str,
    actor: str,
    barrier: Barrier,
    results: Queue[tuple[str, list[int] | str]],
) -> None:
    """Child: one server process's writer, fed by 4 threads, 25 facts each."""
    try:
        ctx = open_context(load_settings(env, cwd=Path(cwd)))
        writer = Writer(ctx, batch_size=8, linger_ms=1).start()
        barrier.wait(TIMEOUT)
        seqs: list[int] = []

        def feed(thread: int) -> Iterator[Future[list[Event]]]:
            for k in range(25):
                command = fact(IncidentId(inc), f"{actor}/{thread} #{k}")
                yield writer.submit(command, Identity(ActorId(actor)))

        futures = [f for t in range(4) for f in feed(t)]
        seqs = [event.seq for f in futures for event in f.result(TIMEOUT)]
        writer.stop()
        ctx.close()
        results.put((actor, seqs))
    except BaseException:
        results.put((actor, traceback.format_exc()))


@pytest.mark.slow
def test_two_server_processes_writing_one_incident_never_fork_it(
    store: Store, ctx: Context
) -> None:
    inc = make_incident(ctx)
    barrier = SPAWN.Barrier(2)
    results: Queue[tuple[str, list[int] | str]] = SPAWN.Queue()
    cwd = str(store.settings.home.parent)
    children = [
        SPAWN.Process(
            target=write_through_a_writer, args=(dict(store.env), cwd, inc, actor, barrier, results)
        )
        for actor in ("worker-1", "worker-2")
    ]
    for child in children:
        child.start()
    try:
        outcomes = dict(results.get(timeout=TIMEOUT) for _ in children)
    finally:
        for child in children:
            child.join(TIMEOUT)
    for actor, seqs in outcomes.items():
        assert isinstance(seqs, list), f"{actor}: {seqs}"
    claimed = sorted(seq for seqs in outcomes.values() for seq in seqs)
    events = chain(ctx, inc)
    assert claimed == [e.seq for e in events if e.kind == "entry.fact"]
    assert len(claimed) == 200
    assert len(set(claimed)) == 200
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev == before.hash
    assert verified(ctx)[1] >= len(events)


def test_batches_of_declarations_and_users_commit_together(ctx: Context) -> None:
    outcomes = execute_batch(
        [
            (Declare(title="one", severity="SEV2"), ALICE),
            (AddUser(name="alice", roles=("admin", "commander")), ALICE),
            (Declare(title="two", severity="SEV2"), ALICE),
        ],
        ctx=ctx,
    )
    assert all(isinstance(o, list) for o in outcomes)
    ids = [o[0].incident_id for o in outcomes if isinstance(o, list)]
    assert ids[1] == REGISTRY_CHAIN
    assert len({ids[0], ids[2]}) == 2
    assert verified(ctx)[0] == 3
