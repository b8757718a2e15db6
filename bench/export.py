"""Workspace export and offline verify of one large incident, against copying its bytes raw.

Builds an incident with `--entries` log entries and one text log of `--log-mib` MiB (one line in
ten holds an IP address, so a masked export masks it), then times a masked export, an unmasked
export and `verify_export` of each. The raw limit, measured in the same run, is reading the
export's bytes and writing them to a new file with one SHA-256 pass (what any export of the same
bytes must at least do). A report, not a test: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from fireline import commands, service
from fireline.config import load_settings
from fireline.db import make_engine
from fireline.domain import ActorId, IncidentId
from fireline.export.verify import verify_export
from fireline.export.writer import export_incident
from fireline.schema import initialise
from fireline.service.evidence import staged_file

ACTOR = ActorId("bench")
CHUNK = 1024 * 1024


def build(home: Path, entries: int, log_mib: int) -> tuple[service.Context, IncidentId]:
    settings = load_settings(
        {"FIRELINE_HOME": str(home), "FIRELINE_SENSITIVE_CLEARANCE": ACTOR}, cwd=home
    )
    engine, _created = initialise(settings)
    engine.dispose()
    ctx = service.open_context(settings)
    fast = make_engine(settings.database_url)

    @event.listens_for(fast, "connect")
    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    quick = dataclasses.replace(ctx, engine=fast)
    declared = service.execute(
        commands.Declare(title="bench export", severity="SEV3"), ACTOR, ctx=quick
    )
    inc = IncidentId(declared[0].incident_id)
    for n in range(entries):
        text = f"step {n}: 5xx rate {n % 40}% on node-{n % 7}"
        service.execute(
            commands.LogEntry(incident_id=inc, kind="fact", text=text), ACTOR, ctx=quick
        )
    log = home / "api.log"
    line = "2026-11-23T14:02:11Z ERROR api 5xx route=/search status=503 took=1200ms\n"
    with log.open("w") as out:
        for n in range((log_mib * CHUNK) // len(line)):
            out.write(line if n % 10 else line.replace("route", f"upstream=10.0.{n % 250}.7 route"))
    with log.open("rb") as src, staged_file(quick, src, name="api.log") as file:
        add = commands.AddEvidence(incident_id=inc, kind="logs", file=file)
        service.execute(add, ACTOR, ctx=quick)
    quick.close()
    return service.open_context(settings), inc


def raw_copy_seconds(root: Path, scratch: Path) -> float:
    """Read every file of an export, write it elsewhere, one SHA-256 pass: the raw limit."""
    scratch.mkdir()
    start = time.perf_counter()
    for n, path in enumerate(sorted(p for p in root.rglob("*") if p.is_file())):
        digest = hashlib.sha256()
        with path.open("rb") as src, (scratch / str(n)).open("wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
    return time.perf_counter() - start


def size_mib(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / CHUNK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--log-mib", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ctx, inc = build(home, args.entries, args.log_mib)
        rows = []
        try:
            for label, masked in (("masked", True), ("unmasked", False)):
                out = home / f"out-{label}"
                start = time.perf_counter()
                export_incident(ctx, inc, actor=ACTOR, out=out, masked=masked)
                took = time.perf_counter() - start
                root = out / inc
                start = time.perf_counter()
                report = verify_export(root)
                checked = time.perf_counter() - start
                assert report.ok, report.problems
                raw = raw_copy_seconds(root, home / f"raw-{label}")
                rows.append((label, size_mib(root), took, checked, raw))
                shutil.rmtree(home / f"raw-{label}")
        finally:
            ctx.close()
    print(f"incident with {args.entries} entries and a {args.log_mib} MiB log")
    for label, mib, took, checked, raw in rows:
        print(
            f"export {label:<9} {mib:7.1f} MiB  {took:6.2f} s ({mib / took:6.1f} MiB/s)  "
            f"verify {checked:6.2f} s ({mib / checked:6.1f} MiB/s)  "
            f"raw copy+sha256 {raw:5.2f} s  "
            f"ratio export {raw / took:4.2f} verify {raw / checked:4.2f}"
        )


if __name__ == "__main__":
    main()
