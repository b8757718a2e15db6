"""Alert intake through the real app on a real store: record, dedup, group, route, resolve."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from fireline.api.app import create_app
from fireline.api.auth import Principal, authenticated
from fireline.db import read_only
from fireline.domain import ActorId
from fireline.intake.queries import firing_groups
from fireline.policy import default_bundle_dir
from fireline.service import open_context
from fireline.service.writer import Writer
from tests.alerting import Intake, add_source, alert, counts, intake, webhook
from tests.conftest import Cli, Store
from tests.inprocess import running


def _timeline(store: Store, incident: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(store.settings.database_url)
    try:
        with read_only(engine) as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT actor, kind, summary FROM timeline WHERE incident_id = :i ORDER BY seq"
                ),
                {"i": incident},
            )
            return [(r.actor, r.kind, r.summary) for r in rows]
    finally:
        engine.dispose()


def _firing(store: Store, incident: str) -> list[str]:
    """The incident's firing alert groups, read on an engine of its own (disposed: a pooled
    PostgreSQL connection left to the garbage collector warns inside a later test)."""
    engine = sa.create_engine(store.settings.database_url)
    try:
        with read_only(engine) as conn:
            return list(firing_groups(conn, incident))
    finally:
        engine.dispose()


def test_alertmanager_group_declares_once_and_notes_when_all_resolve(
    store: Store, cli: Cli
) -> None:
    with intake(store.settings) as it:
        first = it.post(webhook([alert(n=i) for i in range(3)]))
        assert first.status_code == 200
        answer = first.json()
        assert answer["recorded"] == 3
        [routed] = answer["routed"]
        assert routed["action"] == "declare"
        incident = routed["incident"]
        # Alertmanager re-sends the group every group_interval: nothing changes, nothing written.
        before = counts(store.settings)
        again = it.post(webhook([alert(n=i) for i in range(3)]))
        assert again.status_code == 200
        assert again.json()["recorded"] == 0
        assert counts(store.settings) == before
        more = it.post(webhook([alert(n=i) for i in range(4)]))
        assert more.json()["recorded"] == 1
        assert more.json()["routed"] == []  # still firing: no second incident
        assert len(_firing(store, incident)) == 1
        gone = it.post(webhook([alert(n=i, status="resolved") for i in range(4)]))
        assert gone.json()["routed"][0]["action"] == "resolved"
        groups = it.api.get("/api/v1/alerts").json()
        assert [(g["status"], g["firing"], g["total"], g["incident_id"]) for g in groups] == [
            ("resolved", 0, 4, incident)
        ]
    assert counts(store.settings)["incidents"] == 1
    lines = _timeline(store, incident)
    assert lines[0][:2] == ("intake:prom", "incident.declared")
    assert lines[0][2].startswith("Declared SEV1: HighErrorRate on api")
    assert any(k == "entry.detection" and "All alerts resolved" in s for _a, k, s in lines)
    verified = cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "the alert record" in verified.output
    assert _firing(store, incident) == []


def test_verify_names_an_alert_record_edited_behind_fireline(store: Store, cli: Cli) -> None:
    with intake(store.settings) as it:
        assert it.post(webhook([alert(severity="warning")])).json()["recorded"] == 1
    engine = sa.create_engine(store.settings.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alert_records SET status = 'resolved'"))
    engine.dispose()
    result = cli("verify")
    assert result.exit_code != 0
    assert "alert_records" in result.output


def test_pagerduty_events_v2_answers_like_pagerduty(store: Store) -> None:
    with intake(store.settings, kind="pagerduty") as it:
        event = {
            "routing_key": it.secret,
            "event_action": "trigger",
            "dedup_key": "disk-full-db1",
            "payload": {
                "summary": "Disk 95% full on db1",
                "source": "db1",
                "severity": "warning",
                "component": "postgres",
                "custom_details": {"free": "5%"},
            },
            "links": [{"href": "https://grafana.example/d/disk", "text": "disk"}],
        }
        raw = json.dumps(event).encode()
        sent = it.api.post(
            "/api/v1/intake/prom/v2/enqueue",
            content=raw,
            headers={"Content-Type": "application/json"},
        )
        assert sent.status_code == 202
        assert sent.json() == {
            "status": "success",
            "message": "Event processed",
            "dedup_key": "disk-full-db1",
        }
        resolve = {
            "routing_key": it.secret,
            "event_action": "resolve",
            "dedup_key": "disk-full-db1",
        }
        done = it.api.post(
            "/api/v1/intake/prom/v2/enqueue",
            content=json.dumps(resolve).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert done.status_code == 202
        [group] = it.api.get("/api/v1/alerts").json()
        assert (group["status"], group["total"], group["action"]) == ("resolved", 1, "record")
        wrong = it.api.post(
            "/api/v1/intake/prom/v2/enqueue",
            content=json.dumps({**event, "routing_key": "nope", "dedup_key": "x"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert wrong.status_code == 401
    assert counts(store.settings)["records"] == 2


def test_generic_source_signed_with_hmac_and_mapped_by_config(store: Store) -> None:
    settings = replace(
        store.settings,
        source_mappings={
            "hooks": {
                "alerts": "items",
                "fingerprint": "id",
                "status": "state",
                "firing": "alerting",
                "labels": "tags",
                "summary": "message",
            }
        },
    )
    key = add_source(settings, "hooks", "generic", hmac=True)
    add_source(settings, "prom", "alertmanager")
    app = create_app(settings)
    body = json.dumps(
        {
            "items": [
                {
                    "id": 17,
                    "state": "alerting",
                    "tags": {"alertname": "QueueDepth", "service": "jobs", "severity": "warning"},
                    "message": "queue depth 10k",
                }
            ]
        }
    ).encode()
    signature = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    with running(app) as api:
        unsigned = api.post(
            "/api/v1/intake/hooks", content=body, headers={"Content-Type": "application/json"}
        )
        assert unsigned.status_code == 401
        assert unsigned.headers["content-type"] == "application/problem+json"
        signed = api.post(
            "/api/v1/intake/hooks",
            content=body,
            headers={"Content-Type": "application/json", "X-Fireline-Signature": signature},
        )
        assert signed.status_code == 200, signed.text
        assert signed.json()["recorded"] == 1
    assert counts(settings)["records"] == 1


def test_flapping_group_is_marked_and_opens_nothing_more(store: Store) -> None:
    with intake(store.settings) as it:
        for round_ in range(5):
            status = "firing" if round_ % 2 == 0 else "resolved"
            it.post(webhook([alert(status=status, starts=f"2026-12-03T14:0{round_}:00Z")]))
        [group] = it.api.get("/api/v1/alerts").json()
        assert group["flapping"] is True
        assert group["action"] == "flapping"
    assert counts(store.settings)["incidents"] == 1


def test_undecidable_routing_records_only_and_says_so(store: Store, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(default_bundle_dir(), bundle)
    (bundle / "intake_test.rego").unlink()
    (bundle / "intake.rego").write_text(
        "package fireline.intake\n\nimport rego.v1\n\n"
        "route := x if {\n\tx := input.nothing.here\n}\n"
    )
    settings = replace(store.settings, policy_dir=bundle)
    secret = add_source(settings, "prom", "alertmanager")
    app = create_app(settings)
    app.dependency_overrides[authenticated] = lambda: Principal(ActorId("tester"), "admin")
    with running(app) as api:
        sent = api.post(
            "/api/v1/intake/prom",
            content=json.dumps(webhook([alert()])).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        )
        assert sent.status_code == 200
        assert sent.json()["routed"][0]["action"] == "undecided"
        ready = api.get("/readyz").json()
        assert ready["checks"]["intake_routing"].startswith("undecidable: 1 alert group")
        assert "fireline_intake_routing_undecidable_total 1.0" in api.get("/metrics").text
    assert counts(settings) == {"alert_events": 3, "records": 1, "incidents": 0}


def test_a_retry_after_a_5xx_is_recorded(store: Store) -> None:
    with intake(store.settings) as it:
        app_writer: Writer = it.api.portal.call(_writer_of, it)
        app_writer.stop()  # the server is shutting down: deliveries answer 503
        body = webhook([alert(severity="warning")])
        refused = it.post(body)
        assert refused.status_code == 503
        assert counts(store.settings)["records"] == 0
        ctx = open_context(store.settings)
        try:
            it.api.portal.call(_replace_writer, it, Writer(ctx).start())
            retried = it.post(body)
            assert retried.status_code == 200
            assert retried.json()["recorded"] == 1
        finally:
            it.api.portal.call(_writer_of, it).stop()
            ctx.close()


async def _writer_of(it: Intake) -> Writer:
    writer: Writer = _app_of(it).state.writer
    return writer


async def _replace_writer(it: Intake, writer: Writer) -> None:
    _app_of(it).state.writer = writer


def _app_of(it: Intake) -> FastAPI:
    transport = it.api.client._transport  # the ASGITransport `running` built
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI)
    return app


def _many_labels() -> dict[str, object]:
    return webhook([alert(extra={f"l{i}": "v" for i in range(10_000)})])


BAD = [
    ("malformed JSON", b'{"version": "4", "alerts": [', "application/json", 422),
    ("wrong content type", json.dumps(webhook([alert()])).encode(), "text/plain", 415),
    (
        "missing fields",
        json.dumps({"version": "4", "groupKey": "g"}).encode(),
        "application/json",
        422,
    ),
    (
        "old payload version",
        json.dumps({**webhook([alert()]), "version": "3"}).encode(),
        "application/json",
        422,
    ),
    (
        "far-future start",
        json.dumps(webhook([alert(starts="2099-01-01T00:00:00Z")])).encode(),
        "application/json",
        422,
    ),
    (
        "far-past start",
        json.dumps(webhook([alert(starts="1999-01-01T00:00:00Z")])).encode(),
        "application/json",
        422,
    ),
    ("10,000 labels", json.dumps(_many_labels()).encode(), "application/json", 422),
    ("oversize body", b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}', "application/json", 413),
]


@pytest.mark.parametrize(("what", "body", "media", "status"), BAD, ids=[b[0] for b in BAD])
def test_bad_delivery_is_refused_with_a_problem_and_writes_nothing(
    store: Store, what: str, body: bytes, media: str, status: int
) -> None:
    settings = replace(store.settings, intake_max_body_bytes=1024 * 1024)
    with intake(settings) as it:
        before = counts(settings)
        answer = it.api.post(
            "/api/v1/intake/prom",
            content=body,
            headers={"Authorization": f"Bearer {it.secret}", "Content-Type": media},
        )
        assert answer.status_code == status, (what, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == status
        assert "\n" not in problem["detail"]
        assert counts(settings) == before


@pytest.mark.parametrize(
    ("source", "secret", "status"),
    [("nobody", None, 401), ("Bad_Name", None, 401), ("prom", "fls_wrong", 401), ("prom", "", 401)],
)
def test_unknown_source_or_bad_secret_writes_nothing(
    store: Store, source: str, secret: str | None, status: int
) -> None:
    with intake(store.settings) as it:
        before = counts(store.settings)
        answer = it.post(webhook([alert()]), source=source, secret=secret)
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/problem+json"
        assert counts(store.settings) == before


def test_cli_lists_and_shows_groups(store: Store, cli: Cli) -> None:
    with intake(store.settings) as it:
        it.post(webhook([alert(n=1, severity="warning")]))
    listed = cli("alerts", "--firing")
    assert listed.exit_code == 0, listed.output
    group = listed.output.split()[0]
    assert "firing" in listed.output
    assert "prom" in listed.output
    shown = cli("alert", "show", group)
    assert shown.exit_code == 0, shown.output
    assert "HighErrorRate" in shown.output
    assert "ALERTS event" in shown.output
    as_json = cli("alerts", "--source", "prom", "--format", "json")
    assert json.loads(as_json.output)[0]["id"] == group
    bad = cli("alert", "show", "zz")
    assert bad.exit_code == 2
    assert "malformed alert group id" in bad.output


def test_source_add_prints_the_secret_once_and_stores_its_digest(store: Store, cli: Cli) -> None:
    added = cli("source", "add", "prom-prod", "--kind", "alertmanager", "--format", "json")
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    assert shown["url"].endswith("/api/v1/intake/prom-prod")
    engine = sa.create_engine(store.settings.database_url)
    with read_only(engine) as conn:
        stored = conn.execute(
            sa.text("SELECT payload FROM events WHERE kind = 'source.added'")
        ).scalar_one()
    engine.dispose()
    assert shown["secret"] not in stored
    assert hashlib.sha256(shown["secret"].encode()).hexdigest() in stored
    twice = cli("source", "add", "prom-prod", "--kind", "alertmanager")
    assert twice.exit_code == 2
    assert "exists already" in twice.output
    assert cli("source", "add", "x", "--kind", "nagios").exit_code == 2
    listed = cli("source", "list")
    assert "prom-prod" in listed.output
    assert "fls_" not in listed.output
    removed = cli("source", "remove", "prom-prod", "--reason", "moved")
    assert removed.exit_code == 0
    assert "no alert sources" in cli("source", "list").output


def test_rebuild_replays_the_alert_projections(store: Store, cli: Cli) -> None:
    with intake(store.settings) as it:
        it.post(webhook([alert(n=i) for i in range(5)]))
        it.post(webhook([alert(n=i, status="resolved") for i in range(2)]))
    rebuilt = cli("rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    checked = cli("verify")
    assert checked.exit_code == 0, checked.output


@pytest.mark.slow
def test_alert_storm_opens_one_incident_per_group_and_loses_nothing(store: Store) -> None:
    """10,000 alerts over 50 groups, 8 senders at once: at most 50 incidents, every alert
    recorded, and the server keeps answering its health probe throughout."""
    import anyio

    with intake(store.settings) as it:
        headers = {"Authorization": f"Bearer {it.secret}", "Content-Type": "application/json"}
        bodies = [
            json.dumps(
                webhook(
                    [
                        alert(f"Storm{k % 50}", n=k * 100 + i, service=f"svc{k % 50}")
                        for i in range(100)
                    ],
                    key=f'{{}}:{{alertname="Storm{k % 50}"}}',
                )
            ).encode()
            for k in range(100)
        ]

        async def storm(client: httpx.AsyncClient) -> tuple[list[int], list[int]]:
            statuses: list[int] = []
            probes: list[int] = []
            limiter = anyio.Semaphore(8)

            async def send(body: bytes) -> None:
                async with limiter:
                    answer = await client.post("/api/v1/intake/prom", content=body, headers=headers)
                    statuses.append(answer.status_code)
                    probes.append((await client.get("/healthz")).status_code)

            async with anyio.create_task_group() as group:
                for body in bodies:
                    group.start_soon(send, body)
            return statuses, probes

        statuses, probes = it.api.portal.call(storm, it.api.client)
        assert statuses == [200] * 100
        assert probes == [200] * 100
        groups = it.api.get("/api/v1/alerts").json()
    found = counts(store.settings)
    assert found["records"] == 10_000
    assert found["incidents"] <= 50
    assert len(groups) == 50
    assert sum(g["firing"] for g in groups) == 10_000


RUNBOOK = """---
id: RBK-high-error-rate
title: High error rate on the API
owner: sre
last_reviewed: 2026-11-01
alerts: [HighErrorRate]
---
# High error rate on the API
## Checklist
- [ ] Check the deploy log
- [ ] Roll back the last deploy
"""


def test_a_fitting_runbook_is_attached_on_arrival(store: Store, cli: Cli, tmp_path: Path) -> None:
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "high-error-rate.md").write_text(RUNBOOK)
    indexed = cli("runbook", "index", str(books))
    assert indexed.exit_code == 0, indexed.output
    settings = replace(store.settings, runbook_dir=books)
    with intake(settings) as it:
        answer = it.post(webhook([alert()])).json()
        incident = answer["routed"][0]["incident"]
        [group] = it.api.get("/api/v1/alerts").json()
    assert group["suggestions"][0]["id"] == "RBK-high-error-rate"
    assert group["suggestions"][0]["fits"] is True
    kinds = [(k, s) for _a, k, s in _timeline(store, incident)]
    assert any(k == "runbook.attached" and "RBK-high-error-rate" in s for k, s in kinds), kinds
    assert any(
        k == "entry.detection" and "attached runbook RBK-high-error-rate" in s for k, s in kinds
    )
