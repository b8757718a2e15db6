"""Real processes writing at once: the chain never forks and incident ids never collide.

Each child is a spawned interpreter that builds its own context from the parent store's
environment, waits at a barrier so all writers start together, and reports what it wrote.
"""

from __future__ import annotations

import multiprocessing
import re
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from fireline.commands import Declare, LogEntry
from fireline.config import load_settings
from fireline.domain import parse_actor, parse_incident_id
from fireline.integrity import load_store_public_key, verify_store
from fireline.ledger import store as ledger
from fireline.service import Context, execute, open_context
from tests.conftest import Store

pytestmark = pytest.mark.slow

SPAWN = multiprocessing.get_context("spawn")
TIMEOUT = 180.0
ENTRIES_PER_WRITER = 40
INCIDENT_ID = re.compile(r"INC-(\d{8})-(\d{3})")


@dataclass(frozen=True)
class Outcome:
    """What one child wrote (or the traceback that stopped it)."""

    actor: str
    seqs: list[int] = field(default_factory=list)
    incident_ids: list[str] = field(default_factory=list)
    error: str | None = None


def _child_context(env: dict[str, str], cwd: str) -> Context:
    return open_context(load_settings(env, cwd=Path(cwd)))


def append_entries(
    env: dict[str, str],
    cwd: str,
    incident_id: str,
    actor: str,
    count: int,
    barrier: Barrier,
    results: Queue[Outcome],
) -> None:
    """Child: append `count` facts to one incident as `actor`, starting with the others."""
    try:
        ctx = _child_context(env, cwd)
        try:
            barrier.wait(TIMEOUT)
            seqs: list[int] = []
            for number in range(count):
                command = LogEntry(
                    incident_id=parse_incident_id(incident_id),
                    kind="fact",
                    text=f"{actor} #{number}",
                )
                seqs.extend(event.seq for event in execute(command, parse_actor(actor), ctx=ctx))
        finally:
            ctx.close()
        results.put(Outcome(actor, seqs=seqs))
    except BaseException:
        results.put(Outcome(actor, error=traceback.format_exc()))


def declare_incidents(
    env: dict[str, str], cwd: str, actor: str, count: int, barrier: Barrier, results: Queue[Outcome]
) -> None:
    """Child: declare `count` incidents as `actor`, starting with the others."""
    try:
        ctx = _child_context(env, cwd)
        try:
            barrier.wait(TIMEOUT)
            ids: list[str] = []
            for number in range(count):
                command = Declare(title=f"{actor} incident {number}", severity="SEV3")
                ids.append(execute(command, parse_actor(actor), ctx=ctx)[0].incident_id)
        finally:
            ctx.close()
        results.put(Outcome(actor, incident_ids=ids))
    except BaseException:
        results.put(Outcome(actor, error=traceback.format_exc()))


def run_children(
    target: Callable[..., None], store: Store, per_child: list[tuple[object, ...]]
) -> dict[str, Outcome]:
    """Start one spawned child per argument tuple behind a shared barrier; collect outcomes."""
    barrier = SPAWN.Barrier(len(per_child))
    results: Queue[Outcome] = SPAWN.Queue()
    cwd = str(store.settings.home.parent)
    children = [
        SPAWN.Process(target=target, args=(dict(store.env), cwd, *args, barrier, results))
        for args in per_child
    ]
    try:
        for child in children:
            child.start()
        outcomes = [results.get(timeout=TIMEOUT) for _ in children]
        for child in children:
            child.join(TIMEOUT)
            assert child.exitcode == 0, f"{child.name} exited with {child.exitcode}"
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
                child.join()
            child.close()
        results.close()
        results.join_thread()
    errors = [f"{o.actor}:\n{o.error}" for o in outcomes if o.error is not None]
    assert not errors, "\n".join(errors)
    return {outcome.actor: outcome for outcome in outcomes}


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_appends_to_one_incident_never_fork_the_chain(
    store: Store, ctx: Context, writers: int
) -> None:
    declared = execute(
        Declare(title="Shared incident", severity="SEV2"), parse_actor("ic"), ctx=ctx
    )
    incident_id = declared[0].incident_id
    actors = [f"writer-{n}" for n in range(writers)]

    outcomes = run_children(
        append_entries, store, [(incident_id, actor, ENTRIES_PER_WRITER) for actor in actors]
    )

    total = 1 + writers * ENTRIES_PER_WRITER
    with ctx.engine.connect() as conn:
        events = ledger.read_events(conn, incident_id)
        checkpoint = ledger.get_checkpoint(conn, incident_id)
        report = verify_store(conn, load_store_public_key(store.settings.public_key_path))
    assert [event.seq for event in events] == list(range(1, total + 1))
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev == before.hash, f"event {after.seq} does not link to {before.seq}"
    claimed = Counter(seq for outcome in outcomes.values() for seq in outcome.seqs)
    assert sorted(claimed) == list(range(2, total + 1))
    assert set(claimed.values()) == {1}, "two writers were told they wrote the same seq"
    for actor in actors:
        mine = [event for event in events if event.actor == actor]
        assert [event.seq for event in mine] == outcomes[actor].seqs
        assert [event.payload["text"] for event in mine if event.payload is not None] == [
            f"{actor} #{number}" for number in range(ENTRIES_PER_WRITER)
        ]
    assert checkpoint is not None
    assert (checkpoint.seq, checkpoint.head) == (total, events[-1].hash)
    assert report.breaks == []
    assert (report.chains, report.events) == (1, total)


def test_concurrent_declarations_get_distinct_ids_and_valid_chains(
    store: Store, ctx: Context
) -> None:
    declarers, per_child = 2, 10
    actors = [f"declarer-{n}" for n in range(declarers)]

    outcomes = run_children(declare_incidents, store, [(actor, per_child) for actor in actors])

    ids = [incident_id for outcome in outcomes.values() for incident_id in outcome.incident_ids]
    assert len(ids) == declarers * per_child
    assert len(set(ids)) == len(ids), f"duplicate incident ids: {sorted(ids)}"
    numbers_by_day: dict[str, list[int]] = {}
    for incident_id in ids:
        match = INCIDENT_ID.fullmatch(incident_id)
        assert match is not None, incident_id
        numbers_by_day.setdefault(match[1], []).append(int(match[2]))
    for numbers in numbers_by_day.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), "gap in a day's numbering"
    with ctx.engine.connect() as conn:
        chains = ledger.list_chains(conn)
        titles = {
            incident_id: events[0].payload["title"]
            for incident_id in chains
            if (events := ledger.read_events(conn, incident_id)) and events[0].payload
        }
        report = verify_store(conn, load_store_public_key(store.settings.public_key_path))
    assert sorted(chains) == sorted(ids)
    for actor, outcome in outcomes.items():
        assert [titles[i] for i in outcome.incident_ids] == [
            f"{actor} incident {number}" for number in range(per_child)
        ]
    assert report.breaks == []
    assert (report.chains, report.events) == (len(ids), len(ids))


def test_concurrent_appends_to_different_incidents_never_fork_the_log(
    store: Store, ctx: Context
) -> None:
    """Only the transparency log's head lock serialises these writers: one tree must come out."""
    from fireline.transparency.audit import audit_log

    writers = 3
    incident_ids = [
        execute(Declare(title=f"incident {n}", severity="SEV3"), parse_actor("ic"), ctx=ctx)[
            0
        ].incident_id
        for n in range(writers)
    ]
    run_children(
        append_entries,
        store,
        [
            (incident_id, f"writer-{n}", ENTRIES_PER_WRITER)
            for n, incident_id in enumerate(incident_ids)
        ],
    )
    public_key = load_store_public_key(store.settings.public_key_path)
    with ctx.engine.connect() as conn:
        log = audit_log(conn, public_key)
    assert log.breaks == []
    assert log.size == writers * (1 + ENTRIES_PER_WRITER)
