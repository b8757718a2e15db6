"""A large log streams: `fireline evidence add` of a generated log (1 GiB by default) runs in a
subprocess whose peak RSS must stay under 200 MiB, and the stored blob is the redacted file."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Store

MIB = 1024 * 1024
SIZE_MIB = int(os.environ.get("FIRELINE_LARGE_EVIDENCE_MIB", "1024"))
RSS_LIMIT_MIB = 200
SECRET = "AKIAIOSFODNN7EXAMPL3"


def write_log(path: Path, size: int) -> int:
    """About `size` bytes of log lines, one planted AWS key per block; returns the blocks."""
    line = "2026-11-23T14:02:11.123Z api-1 GET /v1/catalog status=500 dur=812ms upstream timeout\n"
    head = f"2026-11-23T14:02:12.000Z api-1 deploy used key {SECRET}\n"
    block = (head + line * ((MIB - len(head)) // len(line))).encode()
    count = size // len(block)
    with path.open("wb") as handle:
        for _ in range(count):
            handle.write(block)
    return count


# Linux counts a child's RSS from fork, while it still maps its parent, so a child of a large
# pytest process would inherit that size; a small interpreter in between starts fireline.
MEASURE = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def fireline(store: Store, tmp: Path, *args: str) -> tuple[int, str, str, int]:
    """Run `python -m fireline ARGS`: exit code, stdout, stderr and its peak RSS (KiB)."""
    out, err, rss = tmp / "stdout", tmp / "stderr", tmp / "rss"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        code = subprocess.call(
            [sys.executable, "-c", MEASURE, str(rss), sys.executable, "-m", "fireline", *args],
            env={**os.environ, **store.env},
            stdout=stdout,
            stderr=stderr,
        )
    return code, out.read_text(), err.read_text(), int(rss.read_text())


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_a_large_log_is_added_within_200_mib_rss(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "huge.log"
    blocks = write_log(log, SIZE_MIB * MIB)
    code, out, err, _ = fireline(store, tmp_path, "declare", "Large log", "--sev", "SEV3")
    assert code == 0, err
    incident = out.strip()
    code, out, err, peak_kib = fireline(
        store, tmp_path, "evidence", "add", incident, str(log), "--kind", "logs"
    )
    assert code == 0, err
    assert 0 < peak_kib < RSS_LIMIT_MIB * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
    code, out, err, _ = fireline(
        store, tmp_path, "evidence", "show", incident, "E1", "--format", "json"
    )
    assert code == 0, err
    item = json.loads(out)
    blob = store.settings.home / "blobs" / item["sha256"][:2] / item["sha256"][2:4] / item["sha256"]
    digest = hashlib.sha256()
    planted = SECRET.encode()
    with blob.open("rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
            assert planted not in chunk
    assert digest.hexdigest() == item["sha256"]
    assert item["size"] == blob.stat().st_size
    assert item["redacted"] == {"aws-access-key": blocks}
