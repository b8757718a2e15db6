"""Termination signals unwind like errors: a `fireline evidence add` stopped mid-read leaves no
staging file and records nothing; the handlers are restored; a signal during the write waits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import pytest
import sqlalchemy as sa
import typer

from fireline.cli.interrupts import interruptible
from fireline.db import events
from tests.conftest import Store
from tests.factories import snapshot

LINE = b"2026-11-23T14:02:11Z api-1 GET /search 500 upstream timeout\n"


def test_a_signal_inside_the_block_unwinds_and_exits_with_its_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    cleaned: list[str] = []

    def staging() -> None:
        try:
            signal.raise_signal(signal.SIGTERM)
        finally:
            cleaned.append("staging file removed")

    with pytest.raises(typer.Exit) as stop, interruptible():
        staging()
    assert stop.value.exit_code == 128 + signal.SIGTERM
    assert cleaned == ["staging file removed"]
    assert capsys.readouterr().err == (
        "fireline: error: interrupted by SIGTERM; nothing was recorded\n"
    )
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_after_hold_waits_and_reaches_the_previous_handler() -> None:
    seen: list[int] = []

    def previous(signum: int, _frame: FrameType | None) -> None:
        seen.append(signum)

    original = signal.signal(signal.SIGHUP, previous)
    try:
        with interruptible() as guard:
            guard.hold()
            signal.raise_signal(signal.SIGHUP)
            signal.raise_signal(signal.SIGHUP)  # a second one while stopping is not repeated
            assert seen == []  # the write goes on to its commit and its report
        assert seen == [signal.SIGHUP]
        assert signal.getsignal(signal.SIGHUP) is previous
    finally:
        signal.signal(signal.SIGHUP, original)


def test_handlers_are_restored_when_the_block_ends_normally_or_raises() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    with interruptible():
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]
    with pytest.raises(ValueError, match="boom"), interruptible():
        raise ValueError("boom")
    assert {s: signal.getsignal(s) for s in before} == before


def test_outside_the_main_thread_nothing_is_installed() -> None:
    import threading

    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def work() -> None:
        with interruptible() as guard:
            seen.append((signal.getsignal(signal.SIGTERM) is before, guard.pending))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [(True, None)]


def fireline(store: Store, *args: str) -> subprocess.Popen[bytes]:
    """`python -m fireline ARGS` with its standard input a pipe the test writes to."""
    return subprocess.Popen(
        [sys.executable, "-m", "fireline", *args],
        env={**os.environ, **store.env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_staging(staging: Path, proc: subprocess.Popen[bytes]) -> Path:
    """The `.part` file the add is writing into, once it exists (the add is then mid-read)."""
    deadline = time.monotonic() + 120  # a guard against hanging, not a timing assertion
    while time.monotonic() < deadline:
        parts = list(staging.glob("*.part")) if staging.exists() else []
        if parts:
            return parts[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    pytest.fail("evidence add never started staging")


@pytest.mark.slow
@pytest.mark.sqlite_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_mid_read_leaves_no_staging_file_and_records_nothing(
    store: Store, signum: signal.Signals
) -> None:
    declare = subprocess.run(
        [sys.executable, "-m", "fireline", "declare", "Slow pipe", "--sev", "SEV3"],
        env={**os.environ, **store.env},
        capture_output=True,
        check=True,
    )
    incident = declare.stdout.decode().strip()
    engine = sa.create_engine(store.settings.database_url)
    before = snapshot(engine)
    staging = store.settings.home / "blobs" / "staging"
    with fireline(store, "evidence", "add", incident, "-", "--kind", "logs") as add:
        assert add.stdin is not None
        assert add.stderr is not None
        add.stdin.write(LINE * 1000)  # past the first 8 KiB, short of the 1 MiB read that blocks
        add.stdin.flush()
        wait_for_staging(staging, add)
        add.send_signal(signum)
        add.wait(timeout=120)  # standard input stays open: its end would let the add finish
        stderr = add.stderr.read().decode()
    assert add.returncode == 128 + signum, stderr
    assert stderr == f"fireline: error: interrupted by {signum.name}; nothing was recorded\n"
    assert list(staging.glob("*.part")) == []
    assert snapshot(engine) == before
    with engine.connect() as conn:
        kinds = conn.execute(sa.select(events.c.kind)).scalars().all()
    engine.dispose()
    assert "evidence.added" not in kinds
    assert [p for p in (store.settings.home / "blobs").rglob("*") if p.is_file()] == []
