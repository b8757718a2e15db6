"""A real Alertmanager (Debian's prometheus-alertmanager) delivering to a real fireline server.

Both run as unprivileged processes on free loopback ports: Alertmanager with its cluster
listener off (`--cluster.listen-address=`, or it binds 0.0.0.0:9094) and a storage path of its
own. The test posts alerts to Alertmanager's API v2, waits until fireline has recorded what
Alertmanager delivered, resolves them, and checks what fireline recorded, declared and noted.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from fireline.db import read_only
from tests.alerting import add_source
from tests.conftest import Cli, Store
from tests.live_server import LiveServer, free_port

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(ALERTMANAGER).exists(),
        reason="LOUD SKIP: Debian's prometheus-alertmanager is not installed "
        "(apt-get install -y prometheus-alertmanager)",
    ),
]


@contextmanager
def alertmanager(tmp: Path, receiver: str) -> Iterator[str]:
    port = free_port()
    config = tmp / "alertmanager.yml"
    config.write_text(
        "route:\n"
        "  receiver: fireline\n"
        "  group_by: ['alertname', 'service']\n"
        "  group_wait: 1s\n"
        "  group_interval: 1s\n"
        "  repeat_interval: 1h\n"
        "receivers:\n"
        "  - name: fireline\n" + receiver
    )
    (tmp / "am-data").mkdir()
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _answers(url + "/-/ready"), "Alertmanager did not become ready", process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _wait(done: Callable[[], bool], what: str, process: Any = None, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"{what}: exited: {err}")
        if done():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {limit} s")


def _query(store: Store, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(store.settings.database_url)
    try:
        with read_only(engine) as conn:
            return list(conn.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def _post_alerts(am: str, *, resolved: bool) -> None:
    now = datetime.now(UTC)
    alerts = [
        {
            "labels": {
                "alertname": "CheckoutErrors",
                "service": "checkout",
                "severity": "critical",
                "instance": f"checkout-{n}",
            },
            "annotations": {
                "summary": f"checkout 5xx above 5% on checkout-{n}",
                "runbook_url": "https://runbooks.example/checkout-5xx",
            },
            "startsAt": (now - timedelta(minutes=5)).isoformat(),
            **({"endsAt": (now - timedelta(seconds=1)).isoformat()} if resolved else {}),
            "generatorURL": "http://prometheus:9090/graph?g0.expr=rate",
        }
        for n in range(3)
    ]
    answer = httpx.post(f"{am}/api/v2/alerts", json=alerts, timeout=5)
    assert answer.status_code == 200, answer.text


def _group_status(store: Store) -> list[tuple[str, int, str | None]]:
    rows = _query(store, "SELECT status, firing, incident_id FROM alert_groups")
    return [(r.status, r.firing, r.incident_id) for r in rows]


def _served(store: Store) -> LiveServer:
    return LiveServer(store.env, free_port()).start()


def test_alertmanager_webhook_declares_records_and_notes_resolution(
    store: Store, tmp_path: Path, cli: Cli
) -> None:
    secret = add_source(store.settings, "prom", "alertmanager")
    server = _served(store)
    receiver = (
        "    webhook_configs:\n"
        f"      - url: {server.url}/api/v1/intake/prom\n"
        "        send_resolved: true\n"
        "        http_config:\n"
        "          authorization:\n"
        "            type: Bearer\n"
        f"            credentials: {secret}\n"
    )
    try:
        with alertmanager(tmp_path, receiver) as am:
            _post_alerts(am, resolved=False)
            _wait(lambda: any(s[2] for s in _group_status(store)), "fireline declared nothing")
            [(status, firing, incident)] = _group_status(store)
            assert (status, firing) == ("firing", 3)
            _post_alerts(am, resolved=True)
            _wait(
                lambda: _group_status(store)[0][0] == "resolved",
                "fireline recorded no resolution",
            )
            _wait(
                lambda: bool(
                    _query(
                        store,
                        "SELECT seq FROM timeline WHERE incident_id = :i AND summary LIKE "
                        "'All alerts resolved%'",
                        i=incident,
                    )
                ),
                "fireline noted no resolution",
            )
    finally:
        server.stop()
    declared = _query(
        store, "SELECT actor, summary FROM timeline WHERE incident_id = :i ORDER BY seq", i=incident
    )
    assert declared[0].actor == "intake:prom"
    assert declared[0].summary.startswith("Declared SEV1: CheckoutErrors on checkout")
    records = _query(store, "SELECT status, count(*) AS n FROM alert_records GROUP BY status")
    assert {(r.status, r.n) for r in records} == {("firing", 3), ("resolved", 3)}
    incidents = _query(store, "SELECT id, systems FROM incidents")
    assert len(incidents) == 1
    verified = cli("verify")
    assert verified.exit_code == 0, verified.output


def test_alertmanager_pagerduty_config_sends_events_v2_to_fireline(
    store: Store, tmp_path: Path
) -> None:
    routing_key = add_source(store.settings, "pd", "pagerduty")
    server = _served(store)
    receiver = (
        "    pagerduty_configs:\n"
        f"      - routing_key: {routing_key}\n"
        f"        url: {server.url}/api/v1/intake/pd/v2/enqueue\n"
        "        send_resolved: true\n"
        "        severity: critical\n"
    )
    try:
        with alertmanager(tmp_path, receiver) as am:
            _post_alerts(am, resolved=False)
            _wait(lambda: any(s[2] for s in _group_status(store)), "fireline declared nothing")
            _post_alerts(am, resolved=True)
            _wait(
                lambda: _group_status(store)[0][0] == "resolved",
                "fireline recorded no resolution",
            )
    finally:
        server.stop()
    [(status, firing, incident)] = _group_status(store)
    assert incident is not None
    records = _query(store, "SELECT status, labels FROM alert_records ORDER BY seq")
    assert [r.status for r in records] == ["firing", "resolved"]
    assert '"severity":"critical"' in records[0].labels
    actors = _query(store, "SELECT DISTINCT actor FROM events WHERE incident_id = 'ALERTS'")
    assert {a.actor for a in actors} == {"tester", "intake:pd"}
