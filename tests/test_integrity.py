"""Whole-store verification split across processes: the same answers as one process gives."""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa

from fireline import integrity
from fireline.commands import EraseEntry, LogEntry
from fireline.db import events, read_only
from fireline.domain import IncidentId
from fireline.ledger import chain
from fireline.service import Context
from tests.conftest import Store
from tests.factories import make_incident, run


def fill(ctx: Context) -> list[IncidentId]:
    """Three chains of different lengths (the registry chain stays empty)."""
    ids = []
    for count in (12, 3, 7):
        incident_id = make_incident(ctx, title=f"chain of {count + 1}")
        for n in range(count):
            run(ctx, LogEntry(incident_id=incident_id, kind="fact", text=f'fact {n} ü "q"'))
        ids.append(incident_id)
    return ids


def verify(store: Store, ctx: Context, processes: int) -> integrity.StoreReport:
    key = integrity.load_store_public_key(store.settings.public_key_path)
    with read_only(ctx.engine) as conn:
        return integrity.verify_store(conn, key, processes=processes)


@pytest.mark.parametrize("processes", [2, 3, 5])
def test_split_verification_agrees_with_one_process(
    store: Store, ctx: Context, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    fill(ctx)
    alone = verify(store, ctx, 1)
    rechecked: list[str] = []

    def one_process(incident_id: str, *args: Any, **kwargs: Any) -> chain.ChainReport:
        rechecked.append(incident_id)
        return chain.verify(incident_id, *args, **kwargs)

    monkeypatch.setattr(integrity, "verify", one_process)
    split = verify(store, ctx, processes)
    assert (alone.processes, split.processes) == (1, processes)
    assert split.ok
    assert alone.ok
    assert (split.events, split.chains) == (alone.events, alone.chains) == (28, 3)
    assert rechecked == []  # every chain was found intact by the split verification


def test_an_erasure_in_another_span_than_its_target_verifies(store: Store, ctx: Context) -> None:
    first = fill(ctx)[0]
    run(ctx, EraseEntry(incident_id=first, target_seq=3, reason="GDPR request"))
    report = verify(store, ctx, 4)
    assert report.processes == 4
    assert report.ok, report.breaks


def test_a_break_found_by_split_verification_is_named_as_one_process_names_it(
    store: Store, ctx: Context
) -> None:
    first = fill(ctx)[0]
    with ctx.engine.begin() as conn:
        conn.execute(
            events.update()
            .where(events.c.incident_id == first, events.c.seq == 9)
            .values(prev="0" * 64)
        )
    alone, split = verify(store, ctx, 1), verify(store, ctx, 3)
    assert split.processes == 3
    assert [str(b) for b in split.breaks] == [str(b) for b in alone.breaks]
    assert [str(b) for b in split.breaks] == [
        f"{first} event 9: prev does not link to the event before it"
    ]


def test_a_row_outside_the_signed_range_is_left_to_one_process(store: Store, ctx: Context) -> None:
    first = fill(ctx)[0]
    with ctx.engine.begin() as conn:
        row = conn.execute(
            sa.select(events).where(events.c.incident_id == first, events.c.seq == 14)
        ).one()
        conn.execute(events.insert().values({**row._asdict(), "seq": 15}))
    report = verify(store, ctx, 2)
    assert [str(b) for b in report.breaks] == [
        f"{first} event 15: prev does not link to the event before it"
    ]


def test_small_stores_are_verified_in_one_process(store: Store, ctx: Context) -> None:
    fill(ctx)
    key = integrity.load_store_public_key(store.settings.public_key_path)
    with read_only(ctx.engine) as conn:
        report = integrity.verify_store(conn, key)
    assert report.ok
    assert report.processes == 1  # 28 events: below PARALLEL_MIN_EVENTS


@pytest.mark.parametrize(("load", "processes"), [(0.4, 2), (1.9, 2), (2.0, 1), (7.5, 1)])
def test_large_stores_use_the_idle_cpus(
    store: Store, ctx: Context, monkeypatch: pytest.MonkeyPatch, load: float, processes: int
) -> None:
    fill(ctx)
    monkeypatch.setattr(integrity, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    key = integrity.load_store_public_key(store.settings.public_key_path)
    with read_only(ctx.engine) as conn:
        report = integrity.verify_store(conn, key)
    assert report.ok
    assert report.processes == processes
