"""What verifying projections adds to `fireline verify`, and what the gates' check costs.

Builds a store through `service.execute` (non-durably, synchronous=OFF, to build fast): a few
incidents with a mix of entries, updates and action items. Then times, best of `--rounds`:
- chain verification (`integrity.verify_store`), what `verify` did before;
- the projection audit (`integrity.verify_projections`: replay into scratch state + compare);
- the raw limit of that audit: the replay alone into the same scratch database, no compare;
- the closure gates' check of one incident (`integrity.require_verified_incident`).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from fireline import commands, integrity, service
from fireline.config import load_settings
from fireline.db import PROJECTION_TABLES, make_engine, read_only
from fireline.domain import ActorId, IncidentId
from fireline.ledger import store
from fireline.projections import apply
from fireline.projections.audit import scratch_engine
from fireline.schema import initialise

ACTOR = ActorId("bench")


def build(
    home: Path, incidents: int, per_incident: int
) -> tuple[service.Context, list[IncidentId]]:
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    ctx = service.open_context(settings)
    fast = make_engine(settings.database_url)

    @event.listens_for(fast, "connect")
    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    quick = dataclasses.replace(ctx, engine=fast)
    ids: list[IncidentId] = []
    for n in range(incidents):
        declared = service.execute(
            commands.Declare(title=f"incident {n}", severity="SEV2", ic="bench"), ACTOR, ctx=quick
        )
        inc = IncidentId(declared[0].incident_id)
        ids.append(inc)
        for i in range(per_incident - 1):
            cmd: commands.Command
            if i % 10 == 0:
                cmd = commands.PublishUpdate(incident_id=inc, impact=f"impact {i}", facts=("f",))
            elif i % 10 == 1:
                cmd = commands.AddActionItem(
                    incident_id=inc,
                    title=f"item {i}",
                    owner="carol",
                    due=date.today() + timedelta(days=30),
                )
            else:
                cmd = commands.LogEntry(incident_id=inc, kind="fact", text=f"5xx at {i}% on api")
            service.execute(cmd, ACTOR, ctx=quick)
    quick.close()
    return ctx, ids


def best(rounds: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def replay_only(conn: Any) -> None:
    with scratch_engine().connect() as scratch, scratch.begin():
        for table in reversed(PROJECTION_TABLES):
            scratch.execute(table.delete())
        for chain in store.list_chains(conn):
            for ev in store.read_events(conn, chain):
                apply(scratch, ev)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--per-incident", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fireline-projections-") as tmp:
        start = time.perf_counter()
        ctx, ids = build(Path(tmp), args.incidents, args.per_incident)
        events = args.incidents * args.per_incident
        print(
            f"built {events:,} events in {args.incidents} incidents in "
            f"{time.perf_counter() - start:.1f} s"
        )
        key = ctx.signer.public_key
        with read_only(ctx.engine) as conn:
            chains = best(args.rounds, lambda: integrity.verify_store(conn, key, processes=1))

            def audit() -> None:
                report = integrity.StoreReport()
                integrity.verify_projections(conn, report, key)
                assert report.mismatch is None, report.mismatch

            audited = best(args.rounds, audit)
            replayed = best(args.rounds, lambda: replay_only(conn))
            gate = best(args.rounds, lambda: integrity.require_verified_incident(conn, key, ids[0]))
        ctx.close()
    print(f"chain verify (1 process)  {events / chains:>10,.0f} events/s  {chains:.2f} s")
    print(f"projection audit          {events / audited:>10,.0f} events/s  {audited:.2f} s")
    print(f"replay alone (raw limit)  {events / replayed:>10,.0f} events/s  {replayed:.2f} s")
    print(f"audit / replay alone      {replayed / audited:.2f}")
    print(f"verify with projections / chains alone  {(chains + audited) / chains:.1f}x time")
    print(f"gates' check of one {args.per_incident}-event incident  {gate * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
