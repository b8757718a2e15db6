"""Switch reads over HTTP: ETag and 304, long-poll woken by a flip another process writes,
OFREP single and bulk evaluation (with its own error shape), authentication, and client mode
(`switch check` through a server, failing closed when the server cannot be reached)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fireline import accounts
from fireline.api.app import create_app
from fireline.api.auth import Principal, authenticated
from fireline.cli import app as cli_app
from fireline.commands import AddUser, SetSwitch
from fireline.config import load_settings
from fireline.domain import ActorId, IncidentId
from fireline.schema import initialise
from fireline.service import Context, execute, open_context
from tests.conftest import Store
from tests.factories import make_incident, run
from tests.inprocess import ApiClient, running
from tests.live_server import LiveServer, free_port


@pytest.fixture
def api(store: Store, ctx: Context) -> Iterator[ApiClient]:
    app = create_app(store.settings)
    with running(app) as client:
        app.dependency_overrides[authenticated] = lambda: Principal(ActorId("alice"), "read")
        yield client


def flip(ctx: Context, incident: IncidentId, to: str) -> None:
    run(ctx, SetSwitch(incident_id=incident, name="global-readonly", state=to, reason="x"))


def test_a_switch_has_an_etag_and_answers_304_while_unchanged(api: ApiClient, ctx: Context) -> None:
    first = api.get("/api/v1/switches/global-readonly")
    assert first.status_code == 200
    assert first.json()["state"] == "off"
    tag = first.headers["etag"]
    again = api.get("/api/v1/switches/global-readonly", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.headers["etag"] == tag
    flip(ctx, make_incident(ctx), "on")
    changed = api.get("/api/v1/switches/global-readonly", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.json()["state"] == "on"
    assert changed.headers["etag"] != tag
    listed = api.get("/api/v1/switches").json()["switches"]
    assert [s["name"] for s in listed][:3] == ["global-readonly", "promotions", "deploy-freeze"]


def test_unknown_switches_and_bad_waits_are_problems(api: ApiClient) -> None:
    missing = api.get("/api/v1/switches/nope")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("unknown switch 'nope'")
    assert api.get("/api/v1/switches?wait=31").status_code == 422


def test_ofrep_evaluates_switches_as_flags(api: ApiClient, ctx: Context) -> None:
    incident = make_incident(ctx)
    flip(ctx, incident, "on")
    one = api.post("/ofrep/v1/evaluate/flags/global-readonly", json={"context": {}})
    assert one.status_code == 200
    body = one.json()
    assert (body["key"], body["value"], body["variant"]) == ("global-readonly", True, "on")
    assert body["metadata"]["safe"] == "on"
    promotions = api.post("/ofrep/v1/evaluate/flags/promotions").json()
    assert (promotions["value"], promotions["reason"]) == (False, "DEFAULT")
    missing = api.post("/ofrep/v1/evaluate/flags/nope", json={})
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "FLAG_NOT_FOUND"
    bad = api.post("/ofrep/v1/evaluate/flags/promotions", content=b"[1]")
    assert bad.status_code == 400
    assert bad.json()["errorCode"] == "PARSE_ERROR"
    bulk = api.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "svc"}})
    keys = {f["key"]: f["value"] for f in bulk.json()["flags"]}
    assert keys["global-readonly"] is True
    assert keys["deploy-freeze"] is True  # the SEV1 freezes deploys
    cached = api.post("/ofrep/v1/evaluate/flags", headers={"If-None-Match": bulk.headers["etag"]})
    assert cached.status_code == 304


def test_switch_reads_need_a_token(store: Store) -> None:
    with running(create_app(store.settings)) as client:
        for path in ("/api/v1/switches", "/api/v1/switches/global-readonly"):
            assert client.get(path).status_code == 401
        assert client.post("/ofrep/v1/evaluate/flags").status_code == 401
        assert client.post("/ofrep/v1/evaluate/flags/global-readonly").status_code == 401


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, str, Context]]:
    """A real server process over a fresh store; a read token for bob; the store's context
    in this (another) process, to write flips the server must notice."""
    home = tmp_path / "served"
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=tmp_path)
    engine, _ = initialise(settings)
    engine.dispose()
    ctx = open_context(settings)
    execute(AddUser(name=ActorId("alice"), roles=("admin",)), ActorId("alice"), ctx=ctx)
    execute(AddUser(name=ActorId("bob"), roles=("responder",)), ActorId("alice"), ctx=ctx)
    issued = accounts.issue_token(
        ctx, ActorId("bob"), user="bob", name="svc", scope="read", expires_in=timedelta(hours=1)
    )
    live = LiveServer({"FIRELINE_HOME": str(home)}, free_port())
    yield live.start(), issued.text, ctx
    live.stop()
    ctx.close()


@pytest.mark.slow
def test_a_long_poll_wakes_when_another_process_flips_the_switch(
    served: tuple[LiveServer, str, Context],
) -> None:
    server, token, ctx = served
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{server.url}/api/v1/switches/global-readonly"
    tag = httpx.get(url, headers=headers).headers["etag"]
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            httpx.get(
                url, params={"wait": 20}, headers={**headers, "If-None-Match": tag}, timeout=30
            )
        )
    )
    waiting.start()
    incident = make_incident(ctx)
    flip(ctx, incident, "on")
    waiting.join(30)
    assert answers, "the waiting reader got no answer"
    assert answers[0].status_code == 200
    assert answers[0].json()["state"] == "on"
    # Unchanged: a short wait ends in 304 with the same tag.
    now = answers[0].headers["etag"]
    held = httpx.get(url, params={"wait": 0.2}, headers={**headers, "If-None-Match": now})
    assert held.status_code == 304
    # Client mode: `switch check` asks the server; unreachable, it fails closed.
    runner = CliRunner()
    env = {"FIRELINE_URL": server.url, "FIRELINE_TOKEN": token}
    flipped = runner.invoke(cli_app, ["switch", "check", "global-readonly"], env=env)
    assert flipped.exit_code == 1
    assert "global-readonly: on (flipped" in flipped.stdout
    gone = {"FIRELINE_URL": f"http://127.0.0.1:{free_port()}", "FIRELINE_TOKEN": token}
    for name, safe in (
        ("global-readonly", "on"),
        ("promotions", "paused"),
        ("deploy-freeze", "frozen"),
        ("quarantine:cat-2026:v12", "quarantined"),
    ):
        result = runner.invoke(cli_app, ["switch", "check", name], env=gone)
        assert result.exit_code not in (0, 1), result.stderr
        assert f"treat {name} as {safe} (its safe state)" in result.stderr
