"""Ledger throughput against the raw limits underneath it, measured in the same run.

1. Durable appends/s: `commands.LogEntry` executions through `service.execute` on a fresh SQLite
   store (WAL, synchronous=FULL, BEGIN IMMEDIATE), each its own committed transaction. Raw limit:
   single-row `sqlite3` commits/s with the same durability settings on a separate file in the same
   directory. Both are bound by one fsync per commit, so the ratio shows what fireline's own work
   (validation, sealing, signing, projections, SQLAlchemy) costs on top of durability.
2. Verify events/s: `integrity.verify_store` over every chain, timed end to end (rows read from
   the database, re-hashed, checkpoint signatures checked), as `fireline verify` runs it — split
   across one process per CPU at this size — and, as a context line, in one process. Raw limit:
   `hashlib.sha256` once per event over the same bytes (canonical pre-image + stored payload
   text) in a tight loop.

3. Transparency log (`--tlog-events`, default 10⁶; 0 skips): CPU time per durable append with
   the tree maintained and with `tlog.append` switched off, in alternating blocks of one run, and
   the CPU spent inside `tlog.append` (target ≤ 10% of a write); then a store of that many events
   (1,000 chains written through `ledger.store.append` — the real sealing, signing and logging
   path — with synchronous=OFF to keep it to minutes): inclusion proof generation and
   verification per event (µs), `verify --since` after 1,000 more events (target ≤ 1 s), and
   full verification (chains, then the whole log recomputed) of the same store, one process.

`--database-url` adds the append figure on PostgreSQL (a throwaway schema, dropped afterwards)
against raw psycopg single-row commits. A report: it exits 0 even when a figure is BELOW target.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import sqlalchemy as sa
from sqlalchemy import event

from fireline import commands, integrity, service, transparency
from fireline.config import load_settings
from fireline.db import make_engine, read_only
from fireline.domain import ActorId, IncidentId, iso_utc
from fireline.ledger import notes, store, tlog
from fireline.ledger.chain import preimage
from fireline.schema import initialise
from fireline.transparency.audit import audit_log, audit_since

ACTOR = ActorId("bench")
REFS = ("deploy:9a1b7d", "ticket:OPS-4182")
WARMUP = 20
VOCABULARY = (
    "api gateway p99 latency rose after deploy rollback canary shard replica lag error rate "
    "queue backlog cache eviction dataset version partner export retry budget timeout pod "
    "restart memory pressure dns resolver certificate expiry ingest pipeline stalled customers "
    "reported stale dashboards on-call paged mitigation applied traffic shifted region"
)
WORDS = VOCABULARY.split()
RAW_COLUMNS = "incident_id, seq, ts, actor, kind, payload, payload_sha256, prev, hash"
RAW_TABLE = (
    "CREATE TABLE raw (incident_id VARCHAR(32), seq INTEGER, ts VARCHAR(32), actor VARCHAR(64), "
    "kind VARCHAR(64), payload TEXT, payload_sha256 VARCHAR(64), prev VARCHAR(64), "
    "hash VARCHAR(64), PRIMARY KEY (incident_id, seq))"
)
RAW_INSERT_SQLITE = f"INSERT INTO raw ({RAW_COLUMNS}) VALUES ({', '.join('?' * 9)})"
RAW_INSERT_PG = f"INSERT INTO raw ({RAW_COLUMNS}) VALUES ({', '.join(['%s'] * 9)})"


@dataclass(frozen=True)
class Figure:
    """One measured rate beside the raw limit it is compared with."""

    name: str
    rate: float
    raw: float | None = None
    target: float | None = None

    def line(self) -> str:
        text = f"{self.name:<16} {self.rate:>9,.0f}"
        if self.raw is None:
            return text + "  (no raw baseline)"
        ratio = self.rate / self.raw
        text += f"  raw {self.raw:>10,.0f}  ratio {ratio:.2f}"
        if self.target is not None:
            verdict = "ok" if ratio >= self.target else "BELOW"
            text += f"  target {self.target}  {verdict}"
        return text


def texts(count: int, seed: int = 7) -> list[str]:
    """Realistic log lines, 100-300 characters each, the same every run."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        limit = rng.randint(100, 300)
        words = [f"#{i}"]
        while sum(len(w) + 1 for w in words) < limit:
            words.append(rng.choice(WORDS))
        out.append(" ".join(words)[:limit])
    return out


def open_store(home: Path, database_url: str = "") -> service.Context:
    """Initialise a fresh store under `home` and open it for writing."""
    env = {"FIRELINE_HOME": str(home)}
    if database_url:
        env["FIRELINE_DATABASE_URL"] = database_url
    settings = load_settings(env=env, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    return service.open_context(settings)


def declare(ctx: service.Context) -> IncidentId:
    cmd = commands.Declare(title="bench: ledger throughput", severity="SEV2")
    return IncidentId(service.execute(cmd, ACTOR, ctx=ctx)[0].incident_id)


def append_rate(ctx: service.Context, incident_id: IncidentId, lines: Sequence[str]) -> float:
    """LogEntry executions per second (after a short untimed warm-up)."""
    cmds = [
        commands.LogEntry(incident_id=incident_id, kind="fact", text=text, refs=REFS)
        for text in lines
    ]
    for cmd in cmds[:WARMUP]:
        service.execute(cmd, ACTOR, ctx=ctx)
    start = time.perf_counter()
    for cmd in cmds[WARMUP:]:
        service.execute(cmd, ACTOR, ctx=ctx)
    return (len(cmds) - WARMUP) / (time.perf_counter() - start)


def paired_sqlite_rates(
    ctx: service.Context, incident_id: IncidentId, raw_path: Path, events: int, rounds: int
) -> tuple[float, float]:
    """Appends/s and raw single-row commits/s, timed in alternating blocks.

    fsync latency on a shared disk drifts by 2x within seconds; alternating blocks of the two
    loops makes both see the same disk, so the ratio measures fireline, not the drift.
    """
    cmds = [
        commands.LogEntry(incident_id=incident_id, kind="fact", text=text, refs=REFS)
        for text in texts(events + WARMUP)
    ]
    rows = [raw_row(i, text) for i, text in enumerate(texts(events + WARMUP, seed=3))]
    conn = sqlite3.connect(raw_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(RAW_TABLE)

        def raw_commit(row: tuple[Any, ...]) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(RAW_INSERT_SQLITE, row)
            conn.execute("COMMIT")

        for cmd, row in zip(cmds[:WARMUP], rows[:WARMUP], strict=True):
            service.execute(cmd, ACTOR, ctx=ctx)
            raw_commit(row)
        size = max(events // rounds, 1)
        fireline_time = raw_time = fireline_cpu = raw_cpu = 0.0
        for start in range(WARMUP, len(cmds), size):
            begin, cpu = time.perf_counter(), time.process_time()
            for row in rows[start : start + size]:
                raw_commit(row)
            raw_time += time.perf_counter() - begin
            raw_cpu += time.process_time() - cpu
            begin, cpu = time.perf_counter(), time.process_time()
            for cmd in cmds[start : start + size]:
                service.execute(cmd, ACTOR, ctx=ctx)
            fireline_time += time.perf_counter() - begin
            fireline_cpu += time.process_time() - cpu
        print(
            f"CPU time per write (this process): fireline {fireline_cpu / events * 1e6:,.0f} µs, "
            f"raw commit {raw_cpu / events * 1e6:,.0f} µs"
        )
        return events / fireline_time, events / raw_time
    finally:
        conn.close()


def raw_row(i: int, text: str) -> tuple[Any, ...]:
    """A row shaped and sized like a stored `entry.fact` event."""
    payload = f'{{"at":null,"refs":["{REFS[0]}","{REFS[1]}"],"text":"{text}"}}'
    hexes = [hashlib.sha256(f"{i}{n}".encode()).hexdigest() for n in range(3)]
    return (
        "INC-20260101-001",
        i,
        "2026-01-01T00:00:00.000000Z",
        ACTOR,
        "entry.fact",
        payload,
        *hexes,
    )


def raw_pg_rate(url: sa.URL, schema: str, lines: Sequence[str]) -> float:
    """Single-row commits/s through psycopg directly (synchronous_commit as the server has it)."""
    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
        "options": f"-csearch_path={schema}",
    }
    with psycopg.connect(**params) as conn:
        conn.execute(RAW_TABLE)
        conn.commit()
        rows = [raw_row(i, text) for i, text in enumerate(lines)]
        start = 0.0
        for i, row in enumerate(rows):
            if i == WARMUP:
                start = time.perf_counter()
            conn.execute(RAW_INSERT_PG, row)
            conn.commit()
        return (len(rows) - WARMUP) / (time.perf_counter() - start)


def grow_chain(ctx: service.Context, count: int) -> None:
    """Append `count` more events to a second incident, NON-DURABLY (synchronous=OFF), quickly."""
    if count <= 0:
        return
    engine = make_engine(ctx.settings.database_url)

    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    fast = dataclasses.replace(ctx, engine=engine)
    try:
        incident_id = declare(fast)
        for text in texts(count - 1, seed=11):
            cmd = commands.LogEntry(incident_id=incident_id, kind="fact", text=text, refs=REFS)
            service.execute(cmd, ACTOR, ctx=fast)
    finally:
        fast.close()


def verify_rates(ctx: service.Context, rounds: int = 3) -> tuple[float, float, float, int]:
    """Best-of verify events/s through `verify_store` (as `fireline verify` runs it, and in one
    process), the processes it used, and raw sha256/s over the same bytes."""
    public_key = integrity.load_store_public_key(ctx.settings.public_key_path)
    verify_best = alone_best = 0.0
    processes = 1
    with read_only(ctx.engine) as conn:
        for _ in range(rounds):
            start = time.perf_counter()
            report = integrity.verify_store(conn, public_key)
            rate = report.events / (time.perf_counter() - start)
            assert report.ok, report.breaks
            verify_best, processes = max(verify_best, rate), report.processes
            start = time.perf_counter()
            alone = integrity.verify_store(conn, public_key, processes=1)
            alone_best = max(alone_best, alone.events / (time.perf_counter() - start))
        blobs = [
            preimage(
                incident_id=incident_id,
                seq=seq,
                ts=ts,
                actor=actor,
                kind=kind,
                payload_sha256=digest,
                policy=policy,
                prev=prev,
            )
            + (salt or "").encode()
            + (text or "").encode()
            for incident_id in store.list_chains(conn)
            for seq, ts, actor, kind, text, digest, policy, prev, _hash, salt in store.iter_rows(
                conn, incident_id
            )
        ]
    sha256 = hashlib.sha256
    hash_best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for blob in blobs:
            sha256(blob).hexdigest()
        hash_best = max(hash_best, len(blobs) / (time.perf_counter() - start))
    return verify_best, hash_best, alone_best, processes


def raw_read_hash_rate(db: Path, rounds: int = 3) -> float:
    """Events/s for the floor of any verifier: read every stored row with sqlite3, hash it once.

    Not a target, a context line: no verifier that reads from the database can beat it.
    """
    query = (
        "SELECT seq, ts, actor, kind, payload, payload_sha256, policy, prev, hash FROM events "
        "WHERE incident_id = ? ORDER BY seq"
    )
    sha256 = hashlib.sha256
    best = 0.0
    conn = sqlite3.connect(db)
    try:
        chains = [row[0] for row in conn.execute("SELECT DISTINCT incident_id FROM events")]
        for _ in range(rounds):
            count = 0
            start = time.perf_counter()
            for incident_id in chains:
                for _seq, ts, actor, kind, text, digest, policy, prev, _hash in conn.execute(
                    query, (incident_id,)
                ):
                    sha256(f"{ts}{actor}{kind}{digest}{policy}{prev}{text}".encode()).hexdigest()
                    count += 1
            best = max(best, count / (time.perf_counter() - start))
    finally:
        conn.close()
    return best


def bench_postgresql(database_url: str, home: Path, events: int) -> Figure:
    """Append figure on PostgreSQL in a throwaway schema, against raw psycopg commits."""
    url = sa.engine.make_url(database_url)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        separator = "&" if "?" in database_url else "?"
        scoped = f"{database_url}{separator}options={quote(f'-csearch_path={schema}')}"
        ctx = open_store(home, scoped)
        try:
            rate = append_rate(ctx, declare(ctx), texts(events + WARMUP))
        finally:
            ctx.close()
        raw = raw_pg_rate(url, schema, texts(events + WARMUP, seed=3))
        return Figure("pg appends/s", rate, raw)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def policy_decision_us(ctx: service.Context, incident_id: IncidentId, rounds: int = 1000) -> float:
    """Microseconds per policy decision for a typical write (context for the append ratio)."""
    from fireline import governance, queries

    cmd = commands.LogEntry(incident_id=incident_id, kind="fact", text=texts(1)[0], refs=REFS)
    with read_only(ctx.engine) as conn:
        state = queries.get_state(conn, incident_id)
        ladder = ctx.ladder(state.ladder)
        start = time.perf_counter()
        for _ in range(rounds):
            governance.authorize(
                ctx.policy, conn, cmd, ACTOR, state=state, ladder=ladder, drafts=[], now="now"
            )
        return (time.perf_counter() - start) / rounds * 1e6


@contextmanager
def _tree_switched_off() -> Iterator[None]:
    original = tlog.append
    tlog.append = lambda *_a, **_k: 0
    try:
        yield
    finally:
        tlog.append = original


def write_cost(
    ctx: service.Context, incident_id: Any, *, blocks: int = 10, per_block: int = 100
) -> None:
    spent = [0.0]
    original = tlog.append

    def timed(*args: Any, **kwargs: Any) -> int:
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - start

    def block() -> float:
        start = time.process_time()
        for n in range(per_block):
            cmd = commands.LogEntry(incident_id=incident_id, kind="fact", text=f"bench fact {n}")
            service.execute(cmd, ACTOR, ctx=ctx)
        return (time.process_time() - start) / per_block

    with_tree, without = [], []
    tlog.append = timed
    try:
        for _ in range(blocks):
            with_tree.append(block())
            with _tree_switched_off():
                without.append(block())
    finally:
        tlog.append = original
    cpu_with = sorted(with_tree)[len(with_tree) // 2] * 1e6
    cpu_without = sorted(without)[len(without) // 2] * 1e6
    inside = spent[0] / (blocks * per_block) * 1e6
    print(
        f"CPU per durable append: {cpu_with:,.0f} µs with the tree, {cpu_without:,.0f} µs without"
    )
    print(
        f"tree maintenance: {inside:,.1f} µs CPU inside tlog.append per append = "
        f"{inside / cpu_with:.1%} of a write (with-vs-without difference "
        f"{(cpu_with - cpu_without) / cpu_without:+.1%}); target ≤ 10%: "
        f"{'ok' if inside / cpu_with <= 0.10 else 'ABOVE'}"
    )


def _fast(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _off(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")


def _grow(ctx: service.Context, chains: int, per_chain: int, tag: str) -> None:
    ts = iso_utc(ctx.clock())
    for c in range(chains):
        chain_id = f"BENCH-{tag}-{c:05d}"
        drafts = [("entry.fact", {"text": f"fact {n}", "refs": []}) for n in range(per_chain)]
        with ctx.work.transaction() as conn:
            head = store.lock_if_exists(conn, chain_id)
            store.append(
                conn,
                chain_id,
                drafts,
                head=head,
                actor=ACTOR,
                ts=ts,
                signer=ctx.signer,
                policy=None,
            )


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def big_store(ctx: service.Context, events: int, *, probes: int = 2000) -> None:
    _fast(ctx.engine)
    ctx.engine.dispose()
    ctx.work.close()
    chains = 1000
    per_chain = max(events // chains, 1)
    took, _ = _timed(lambda: _grow(ctx, chains, per_chain, "a"))
    total = chains * per_chain
    print(
        f"built a store of {total:,} events in {chains} chains in {took:.0f} s "
        "(store.append: sealed, signed, logged; synchronous=OFF)"
    )
    origin = transparency.origin_for(ctx.settings, ctx.signer.public_key)
    with ctx.work.transaction() as conn:
        note = transparency.sign_checkpoint(
            conn, ctx.signer, origin=origin, ts=iso_utc(ctx.clock())
        )
    size = notes.parse(note, source="bench")[0].size
    root = notes.parse(note, source="bench")[0].root
    rng = random.Random(5)
    picks = [
        (f"BENCH-a-{rng.randrange(chains):05d}", rng.randint(1, per_chain)) for _ in range(probes)
    ]
    with read_only(ctx.engine) as conn:
        gen, proofs = _timed(lambda: [transparency.prove(conn, c, s, size=size) for c, s in picks])
    ver, ok = _timed(lambda: all(p.verifies(root) for p in proofs))
    assert ok
    print(
        f"inclusion proof at {size:,} leaves: generation {gen / probes * 1e6:,.0f} µs, "
        f"verification {ver / probes * 1e6:,.1f} µs per event ({len(proofs[0].path)} hashes)"
    )
    _grow(ctx, 10, 100, "b")  # 1,000 new events in 10 new chains
    public_key = ctx.signer.public_key
    with read_only(ctx.engine) as conn:
        since, report = _timed(lambda: audit_since(conn, public_key, note, source="bench"))
    assert report.ok, report.breaks
    print(
        f"verify --since after {report.checked_events:,} new events on {size:,}: "
        f"{since:.2f} s (target ≤ 1 s: {'ok' if since <= 1 else 'ABOVE'})"
    )
    with read_only(ctx.engine) as conn:
        chains_s, chain_report = _timed(
            lambda: integrity.verify_store(conn, public_key, processes=1)
        )
        log_s, log_report = _timed(lambda: audit_log(conn, public_key))
    assert chain_report.ok, chain_report.breaks[:3]
    assert log_report.ok, log_report.breaks[:3]
    print(
        f"full verify of {log_report.size:,} events, one process: chains {chains_s:.1f} s + "
        f"whole log recomputed {log_s:.1f} s = {chains_s + log_s:.1f} s "
        f"({(chains_s + log_s) / since:,.0f}x verify --since)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1000, help="durable appends to time")
    parser.add_argument("--verify-events", type=int, default=20_000, help="events to verify")
    parser.add_argument("--rounds", type=int, default=10, help="alternating timing blocks")
    parser.add_argument("--database-url", default="", help="also time appends on PostgreSQL")
    parser.add_argument("--tlog-events", type=int, default=1_000_000, help="log store size")
    args = parser.parse_args(argv)
    events = max(args.events, 1)
    figures = []
    with tempfile.TemporaryDirectory(prefix="fireline-bench-") as tmp:
        home = Path(tmp)
        ctx = open_store(home / "store")
        try:
            incident_id = declare(ctx)
            rate, raw = paired_sqlite_rates(
                ctx, incident_id, home / "raw.db", events, rounds=args.rounds
            )
            print(f"durable appends/s via service.execute: {rate:,.0f}")
            decision = policy_decision_us(ctx, incident_id)
            print(f"of which the policy decision (input + Rego): {decision:,.0f} µs per write")
            print(f"raw sqlite3 single-row commits/s (alternating blocks): {raw:,.0f}")
            figures.append(Figure("appends/s", rate, raw, 0.5))
            grow = args.verify_events - (events + WARMUP + 1)
            print(f"growing a 2nd chain by {max(grow, 0):,} events (non-durable: synchronous=OFF)")
            grow_chain(ctx, grow)
            verify, hashes, alone, processes = verify_rates(ctx)
            used = f"{processes} processes" if processes > 1 else "1 process: CPUs busy"
            print(
                f"verify events/s: {verify:,.0f} ({used}; {alone:,.0f} in one); "
                f"raw sha256/s over the same bytes: {hashes:,.0f}"
            )
            figures.append(Figure("verify events/s", verify, hashes, 0.3))
            figures.append(Figure("verify, 1 process", alone, hashes))
            floor = raw_read_hash_rate(ctx.settings.home / "fireline.db")
            print(f"raw read + one sha256 per event (sqlite3 cursor): {floor:,.0f}/s")
            figures.append(Figure("verify vs read", verify, floor))
        finally:
            ctx.close()
        if args.tlog_events:
            ctx = open_store(home / "tlog-writes")
            try:
                write_cost(ctx, declare(ctx))
            finally:
                ctx.close()
            ctx = open_store(home / "tlog-big")
            try:
                big_store(ctx, args.tlog_events)
            finally:
                ctx.close()
        if args.database_url:
            figures.append(bench_postgresql(args.database_url, home / "pg", events))
    print()
    for figure in figures:
        print(figure.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
