"""`evidence add` throughput against a raw copy of the same file, measured in the same run.

fireline: a generated log (realistic lines, a planted secret every few hundred lines) goes
through `service.evidence.staged_file` (read in chunks, UTF-8/NUL check, redaction, SHA-256,
written and fsynced into staging) and `service.execute(AddEvidence)` (event appended, blob
linked into place and fsynced, committed) on a fresh SQLite store. Raw limit: the plainest
correct copy of the same file — read in 1 MiB chunks, `hashlib.sha256`, write to a file in
the same folder, fsync. Both read the file from the page cache (it was just written) and
write to the same disk, in alternating rounds; the best round of each is reported.

Two context lines: the same add of a binary copy of the file (a NUL byte in front) with
`--unscanned`, which skips the text check and the redactor and so measures the blob store and
the write path alone against the same raw limit; and the redactor alone (`redact_stream` to a
null sink), the share of the work that scanning for secrets costs. A report: it exits 0
whatever the ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import tempfile
import time
from pathlib import Path

from fireline import commands, service
from fireline.config import load_settings
from fireline.domain import ActorId, IncidentId
from fireline.redaction import Redactor
from fireline.schema import initialise
from fireline.service.evidence import staged_file

MIB = 1024 * 1024
HOSTS = ("api-1", "api-2", "search-3", "ingest-0", "edge-7")
PATHS = ("/search", "/v1/catalog", "/healthz", "/v1/export", "/login")
SECRETS = (
    "aws_access_key_id=AKIAIOSFODNN7EXAMPLE",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJlLWJlbmNo",
    "db url postgres://app:s3cr3t-pass@db-1:5432/catalog",
    "token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
)


def write_log(path: Path, size: int, *, seed: int = 7) -> int:
    """A log of about `size` bytes; returns how many secrets were planted."""
    rng = random.Random(seed)
    lines = []
    planted = 0
    for n in range(4000):
        host, route = rng.choice(HOSTS), rng.choice(PATHS)
        status = rng.choice((200, 200, 200, 200, 500, 502, 404))
        line = (
            f"2026-11-23T14:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z {host} "
            f"GET {route} status={status} dur={rng.randint(1, 900)}ms "
            f"req={rng.getrandbits(64):016x}"
        )
        if n % 400 == 0:
            line += " " + SECRETS[n // 400 % len(SECRETS)]
            planted += 1
        lines.append(line + "\n")
    block = "".join(lines).encode()
    written = 0
    rounds = 0
    with path.open("wb") as handle:
        while written < size:
            handle.write(block)
            written += len(block)
            rounds += 1
    return planted * rounds


def raw_copy(src: Path, dst: Path) -> float:
    """Seconds for read + sha256 + write + fsync of `src` into `dst`."""
    start = time.perf_counter()
    digest = hashlib.sha256()
    with src.open("rb") as reader, dst.open("wb") as writer:
        while chunk := reader.read(MIB):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    elapsed = time.perf_counter() - start
    dst.unlink()
    return elapsed


def fireline_add(src: Path, home: Path, *, unscanned: bool = False) -> float:
    """Seconds for one `evidence add` of `src` into a fresh store at `home` (in-process)."""
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home.parent)
    engine, _ = initialise(settings)
    engine.dispose()
    ctx = service.open_context(settings)
    try:
        actor = ActorId("bench")
        declared = service.execute(
            commands.Declare(title="Bench incident", severity="SEV3"), actor, ctx=ctx
        )
        incident = IncidentId(declared[0].incident_id)
        start = time.perf_counter()
        with (
            src.open("rb") as handle,
            staged_file(ctx, handle, name=src.name, unscanned=unscanned) as file,
        ):
            service.execute(
                commands.AddEvidence(incident_id=incident, kind="logs", file=file), actor, ctx=ctx
            )
        return time.perf_counter() - start
    finally:
        ctx.close()


def redact_only(src: Path) -> float:
    redactor = Redactor()
    start = time.perf_counter()
    with src.open("rb") as handle:
        redactor.redact_stream(handle, _Null())  # type: ignore[arg-type]
    return time.perf_counter() - start


class _Null(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        return len(data)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256, help="Log size (default 256 MiB).")
    parser.add_argument("--rounds", type=int, default=2, help="Alternating rounds (default 2).")
    parser.add_argument("--dir", type=Path, default=None, help="Work here (default: a temp dir).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        log = root / "api.log"
        planted = write_log(log, args.size_mib * MIB)
        size = log.stat().st_size
        print(f"generated {size / MIB:,.0f} MiB log with {planted:,} planted secrets")
        binary = root / "api.bin"
        with log.open("rb") as src, binary.open("wb") as dst:
            dst.write(b"\x00")
            while chunk := src.read(MIB):
                dst.write(chunk)
        raw_times, add_times, store_times = [], [], []
        for n in range(args.rounds):
            raw_times.append(raw_copy(log, root / "raw.copy"))
            add_times.append(fireline_add(log, root / f"store-{n}"))
            store_times.append(fireline_add(binary, root / f"bin-{n}", unscanned=True))
        scan = redact_only(log)
    raw_rate = size / MIB / min(raw_times)
    add_rate = size / MIB / min(add_times)
    store_rate = size / MIB / min(store_times)
    print(f"evidence add (text, redacted)   {add_rate:>8,.1f} MiB/s (best of {args.rounds})")
    print(f"evidence add --unscanned        {store_rate:>8,.1f} MiB/s (blob store + write path)")
    print(f"redact_stream alone             {size / MIB / scan:>8,.1f} MiB/s (the scan's share)")
    print(f"raw read+sha256+write+fsync     {raw_rate:>8,.1f} MiB/s")
    print(f"ratio evidence add / raw copy:             {add_rate / raw_rate:.2f}")
    print(f"ratio evidence add --unscanned / raw copy: {store_rate / raw_rate:.2f}")
    print(f"ratio evidence add / redact_stream alone:  {add_rate * scan / (size / MIB):.2f}")


if __name__ == "__main__":
    main()
