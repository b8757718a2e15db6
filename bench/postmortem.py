"""Drafting a postmortem from a large incident's record, against folding the same events.

Builds one incident with `--entries` log entries (facts, hypotheses, decisions, mitigations,
root causes in turn) and `--actions` action items, then times `postmortem draft` through
`service.execute` (read the chain, fold it, write both versions' sections, redact, policy,
append, project) and `postmortem show`'s read (fold again, render Markdown), each the best of
`--repeat`, beside the raw limit measured in the same run: reading the chain's events and
folding them into the export's record, which any draft from the record must at least do. A
report, not a test: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from fireline import commands, service
from fireline.config import load_settings
from fireline.db import make_engine, read_only
from fireline.domain import ActorId, IncidentId
from fireline.export.record import fold
from fireline.ledger import store
from fireline.reads import postmortems
from fireline.schema import initialise

ACTOR = ActorId("bench")
KINDS = ("fact", "hypothesis", "decision", "mitigation", "root_cause")


def build(home: Path, entries: int, actions: int) -> tuple[service.Context, IncidentId]:
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    ctx = service.open_context(settings)
    fast = make_engine(settings.database_url)

    @event.listens_for(fast, "connect")
    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    quick = dataclasses.replace(ctx, engine=fast)
    declared = service.execute(
        commands.Declare(title="bench postmortem", severity="SEV2"), ACTOR, ctx=quick
    )
    inc = IncidentId(declared[0].incident_id)
    for n in range(entries):
        kind = KINDS[n % len(KINDS)]
        decision = kind == "decision"
        text = f"step {n}: 5xx rate {n % 40}% on node-{n % 7}"
        entry = commands.LogEntry(
            incident_id=inc,
            kind=kind,
            text=text,
            why="it matched" if decision else None,
            approver="bench" if decision else None,
        )
        service.execute(entry, ACTOR, ctx=quick)
    for n in range(actions):
        item = commands.AddActionItem(
            incident_id=inc, title=f"fix {n}", owner="carol", verification="a test"
        )
        service.execute(item, ACTOR, ctx=quick)
    quick.close()
    return service.open_context(settings), inc


def best(repeat: int, run: Any) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--actions", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ctx, inc = build(Path(tmp), args.entries, args.actions)
        try:

            def raw() -> None:
                with read_only(ctx.engine) as conn:
                    fold(inc, store.read_events(conn, inc))

            def draft() -> None:
                service.execute(
                    commands.DraftPostmortem(incident_id=inc, template="ir"), ACTOR, ctx=ctx
                )

            def show() -> None:
                postmortems.postmortem(ctx, service.Identity(ACTOR), inc, external=False)

            raw_s = best(args.repeat, raw)
            draft_s = best(args.repeat, draft)
            show_s = best(args.repeat, show)
            events = args.entries + args.actions + 1
        finally:
            ctx.close()
    print(f"incident of {events:,} events ({args.entries:,} entries, {args.actions} actions)")
    print(f"raw limit: read + fold the chain     {raw_s * 1000:8.1f} ms")
    print(f"postmortem draft (durable write)     {draft_s * 1000:8.1f} ms  {draft_s / raw_s:5.1f}x")
    print(f"postmortem show (fold + render)      {show_s * 1000:8.1f} ms  {show_s / raw_s:5.1f}x")


if __name__ == "__main__":
    main()
