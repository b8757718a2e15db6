"""`fireline serve` as a real process: it starts, answers, and stops without losing a write."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fireline import wire
from fireline.commands import LogEntry
from fireline.domain import IncidentId
from fireline.integrity import load_store_public_key, verify_store
from fireline.ledger import store as ledger
from fireline.service import Context
from tests.conftest import Store
from tests.factories import make_incident

pytestmark = [pytest.mark.adapter, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            httpx.get(f"{url}/openapi.json", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def environment(store: Store) -> dict[str, str]:
    src = str(ROOT / "src")
    return {**os.environ, **store.env, "PYTHONPATH": os.pathsep.join([src, str(ROOT)])}


@pytest.fixture
def served(store: Store) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The real app under Uvicorn, authenticating by a test header (tests/served.py)."""
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "uvicorn", "tests.served:app", "--factory", "--port", str(port)],
        cwd=ROOT,
        env=environment(store),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_fireline_serve_starts_answers_and_stops_on_sigterm(store: Store) -> None:
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "fireline", "serve", "--port", str(port)],
        cwd=store.settings.home.parent,
        env=environment(store),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        spec = httpx.get(f"{url}/openapi.json").json()
        assert "/api/v1/incidents/{incident_id}/entries" in spec["paths"]
        refused = httpx.post(f"{url}/api/v1/incidents", json={"title": "x", "severity": "SEV1"})
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"on {url} (API docs: {url}/docs)" in out
    assert f"fireline login {url} --user NAME" in out


def test_fireline_serve_without_a_store_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "FIRELINE_HOME": str(tmp_path / "none"), "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [PYTHON, "-m", "fireline", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 6
    assert done.stderr.count("\n") == 1
    assert "run `fireline init`" in done.stderr


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--port", "0"], "Invalid value for '--port'"),
        (["--workers", "0"], "Invalid value for '--workers'"),
        (["--host", "no such host.invalid"], "cannot listen on 'no such host.invalid'"),
        (["--host", ""], "cannot listen on ''"),
    ],
)
def test_bad_serve_options_are_one_line(store: Store, argv: list[str], line: str) -> None:
    done = subprocess.run(
        [PYTHON, "-m", "fireline", "serve", *argv],
        cwd=store.settings.home.parent,
        env=environment(store),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1, done.stderr
    assert line in done.stderr


def test_a_port_in_use_is_one_line(store: Store) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [PYTHON, "-m", "fireline", "serve", "--port", str(port)],
            cwd=store.settings.home.parent,
            env=environment(store),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 5
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"port {port}" in done.stderr


def test_sigterm_finishes_in_flight_writes_and_loses_no_acknowledged_one(
    store: Store, ctx: Context, served: tuple[str, subprocess.Popen[str]]
) -> None:
    url, process = served
    inc = make_incident(ctx)
    acknowledged: list[tuple[str, int]] = []
    lock = threading.Lock()
    started = threading.Event()

    def client(number: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            for k in range(10_000):
                request = wire.to_request(
                    LogEntry(incident_id=IncidentId(inc), kind="fact", text=f"c{number} #{k}")
                )
                try:
                    answer = http.post(request.path, json=request.body)
                except httpx.HTTPError:
                    return  # the server has gone: what was acknowledged is what counts
                if answer.status_code != 201:
                    assert answer.status_code == 503, answer.text  # shutting down
                    return
                seq = answer.json()["events"][0]["seq"]
                with lock:
                    acknowledged.append((f"c{number} #{k}", seq))
                    if len(acknowledged) >= 40:
                        started.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    assert started.wait(60)
    process.send_signal(signal.SIGTERM)
    process.wait(60)
    for thread in threads:
        thread.join(60)
    out, _ = process.communicate()
    # Uvicorn re-raises the signal once its graceful shutdown is complete (`fireline serve`
    # turns that into exit 0): the log shows the lifespan (and so the writer) finished.
    assert process.returncode == -signal.SIGTERM
    assert "Application shutdown complete." in out
    with ctx.engine.connect() as conn:
        events = ledger.read_events(conn, inc)
        report = verify_store(conn, load_store_public_key(store.settings.public_key_path))
    stored = {(e.payload["text"], e.seq) for e in events if e.kind == "entry.fact" and e.payload}
    assert set(acknowledged) <= stored
    assert report.breaks == []
