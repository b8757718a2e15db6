"""/healthz, /readyz and /metrics against a real store."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI

from fireline.api import metrics
from fireline.api.app import create_app
from fireline.api.auth import Principal, Reader, authenticated
from fireline.db import SCHEMA_REVISION
from fireline.domain import ActorId
from tests.conftest import Store
from tests.inprocess import running

pytestmark = pytest.mark.adapter


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in a Prometheus text exposition."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        if series == (f"{name}{{{wanted}}}" if labels else name):
            return float(value)
    raise AssertionError(f"no series {name} {labels} in:\n{text}")


def probe_app(store: Store, **overrides: object) -> FastAPI:
    """The full app plus one templated route, so a route label can be checked."""
    app = create_app(dataclasses.replace(store.settings, **overrides))  # type: ignore[arg-type]
    router = APIRouter()

    @router.get("/api/v1/probe/{item}")
    def probe(item: str, principal: Reader) -> dict[str, str]:
        metrics.count_write("entry.fact")
        return {"item": item}

    app.include_router(router)
    app.dependency_overrides[authenticated] = lambda: Principal(ActorId("alice"), "admin")
    return app


def test_healthz_answers_ok_without_a_token_or_a_store(store: Store) -> None:
    with running(create_app(store.settings), lifespan=False) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_on_an_initialised_store(store: Store) -> None:
    with running(create_app(store.settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "schema": "ok",
            "signing_key": "ok",
            "policy": "ok",
            "intake_routing": "ok",
        },
    }


def test_readyz_is_503_naming_the_store_before_start_up(store: Store) -> None:
    with running(create_app(store.settings), lifespan=False) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["error"] == "StoreError"
    assert body["detail"].startswith("not ready: store (not opened")


def test_readyz_is_503_naming_the_schema_when_the_store_moved_to_another(store: Store) -> None:
    with running(create_app(store.settings)) as client:
        engine = sa.create_engine(store.settings.database_url)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        response = client.get("/readyz")
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE alembic_version SET version_num = :v"), {"v": SCHEMA_REVISION}
            )
        engine.dispose()
        again = client.get("/readyz")
    assert response.status_code == 503
    assert "schema (the store is at schema 9999" in response.json()["detail"]
    assert "signing_key" not in response.json()["detail"]
    assert again.status_code == 200


@pytest.mark.sqlite_only
def test_readyz_is_503_when_the_store_lost_its_schema(store: Store) -> None:
    with running(create_app(store.settings)) as client:
        with sqlite3.connect(store.sqlite_file) as conn:
            conn.execute("DROP TABLE alembic_version")
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "schema (the fireline store is not initialised" in response.json()["detail"]


def test_readyz_names_an_unloaded_signing_key_and_policy(store: Store) -> None:
    app = create_app(store.settings)
    with running(app) as client:
        context = app.state.context
        signer, policy = context.signer, context.policy
        context.signer = context.policy = None
        response = client.get("/readyz")
        context.signer, context.policy = signer, policy
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert "signing_key (not loaded)" in detail
    assert "policy (not loaded)" in detail


def test_metrics_count_requests_by_route_template_and_status_class(store: Store) -> None:
    with running(probe_app(store)) as client:
        client.get("/api/v1/probe/INC-20261123-001")
        client.get("/api/v1/probe/Checkout%20down")
        client.get("/no/such/INC-20261123-001")
        text = client.get("/metrics").text
    template = {"route": "/api/v1/probe/{item}", "method": "GET", "status": "2xx"}
    assert sample(text, "fireline_http_requests_total", **template) == 2
    unmatched = {"route": "<unmatched>", "method": "GET", "status": "4xx"}
    assert sample(text, "fireline_http_requests_total", **unmatched) == 1
    route = {"route": "/api/v1/probe/{item}", "method": "GET"}
    assert sample(text, "fireline_http_request_duration_seconds_count", **route) == 2
    assert sample(text, "fireline_writes_total", kind="entry.fact") == 2
    assert "INC-" not in text
    assert "Checkout" not in text


def test_metrics_record_what_the_writer_and_verify_report(store: Store) -> None:
    app = probe_app(store)
    with running(app) as client:
        before = client.get("/metrics").text
        metrics.observe_batch(3)
        metrics.observe_batch(16)
        metrics.count_denial()
        metrics.count_write("Not A Kind\n")
        metrics.record_verify(False)
        text = client.get("/metrics").text
    assert math.isnan(sample(before, "fireline_verify_last_ok"))
    assert sample(text, "fireline_write_batch_size_count") == 2
    assert sample(text, "fireline_write_batch_size_sum") == 19
    assert sample(text, "fireline_write_batch_size_bucket", le="4.0") == 1
    assert sample(text, "fireline_policy_denials_total") == 1
    assert sample(text, "fireline_writes_total", kind="other") == 1
    assert sample(text, "fireline_verify_last_ok") == 0
    assert sample(text, "fireline_verify_last_timestamp_seconds") > 0


def test_two_apps_keep_separate_registries(store: Store) -> None:
    first, second = probe_app(store), probe_app(store)
    with running(first) as one, running(second) as two:
        one.get("/api/v1/probe/a")
        one.get("/api/v1/probe/b")
        two.get("/api/v1/probe/c")
        first_text, second_text = one.get("/metrics").text, two.get("/metrics").text
    labels = {"route": "/api/v1/probe/{item}", "method": "GET", "status": "2xx"}
    assert sample(first_text, "fireline_http_requests_total", **labels) == 2
    assert sample(second_text, "fireline_http_requests_total", **labels) == 1
    assert sample(first_text, "fireline_writes_total", kind="entry.fact") == 2
    assert sample(second_text, "fireline_writes_total", kind="entry.fact") == 1


def test_metrics_need_a_token_unless_public(store: Store) -> None:
    app = create_app(dataclasses.replace(store.settings, metrics_public=False))
    with running(app) as client:
        refused = client.get("/metrics")
        app.dependency_overrides[authenticated] = lambda: Principal(ActorId("prom"), "read")
        allowed = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["error"] == "AuthenticationError"
    assert allowed.status_code == 200
    assert re.search(r"^fireline_build_info\{version=", allowed.text, re.M)


_WORKER = """
import sys
from fireline.config import load_settings
from fireline.api.app import create_app
from tests.inprocess import running
with running(create_app(load_settings())) as client:
    for _ in range(int(sys.argv[1])):
        client.get("/healthz")
    sys.stdout.write(client.get("/metrics").text)
"""


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_several_worker_processes_add_up_in_multiprocess_mode(store: Store, tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set, each worker process writes its samples there and
    /metrics from any of them adds them all up (how `--workers N` is scraped)."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        **store.env,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)]),
    }

    def worker(requests: int) -> str:
        return subprocess.run(
            [sys.executable, "-c", _WORKER, str(requests)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    worker(2)
    text = worker(1)
    labels = {"route": "/healthz", "method": "GET", "status": "2xx"}
    assert sample(text, "fireline_http_requests_total", **labels) == 3
