"""Every write route through the real app, on a real store: parse → command → writer → 201."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fireline import commands as c
from fireline import wire
from fireline.api.app import create_app
from fireline.api.auth import Principal, Scope, authenticated
from fireline.domain import ActorId, IncidentId
from fireline.ledger.chain import Event
from fireline.service import Context
from tests.conftest import Clock, Store
from tests.factories import make_incident, run, snapshot

RUNBOOK = b"""---
id: RBK-api-5xx
title: API 5xx spike
owner: sre
last_reviewed: 2026-11-01
---
# API 5xx spike
## Checklist
- [ ] Check the deploy log
- [ ] Roll back
"""


@dataclass
class Caller:
    """Who the overridden `authenticated` dependency says is calling."""

    actor: str = "alice"
    scope: Scope = "admin"

    def principal(self) -> Principal:
        return Principal(ActorId(self.actor), self.scope)


@dataclass
class Api:
    client: TestClient
    caller: Caller
    ctx: Context
    hit: set[str]

    def send(self, command: c.Command, actor: str = "alice") -> httpx.Response:
        self.caller.actor = actor
        request = wire.to_request(command)
        self.hit.add(type(command).__name__)
        response: httpx.Response = self.client.request(
            request.method, request.path, json=request.body
        )
        return response

    def ok(self, command: c.Command, actor: str = "alice") -> list[Event]:
        response = self.send(command, actor)
        assert response.status_code == 201, response.text
        return wire.events_from_json(response.json())

    def refused(self, command: c.Command, actor: str, status: int, detail: str) -> None:
        before = snapshot(self.ctx.engine)
        response = self.send(command, actor)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert detail in response.json()["detail"]
        assert snapshot(self.ctx.engine) == before


@pytest.fixture
def api(store: Store, clock: Clock, ctx: Context) -> Iterator[Api]:
    app = create_app(store.settings, clock=clock)
    caller = Caller()
    app.dependency_overrides[authenticated] = caller.principal
    with TestClient(app) as client:
        yield Api(client, caller, ctx, set())


def test_every_write_route_reaches_the_service(api: Api, store: Store) -> None:
    inc = IncidentId(
        api.ok(c.Declare(title="Checkout 5xx", severity="SEV1", ic="alice"))[0].incident_id
    )
    api.ok(c.AssignRole(incident_id=inc, role="scribe", holder="bob"))
    api.ok(c.ReleaseRole(incident_id=inc, role="scribe"))
    api.ok(c.AssignRole(incident_id=inc, role="governance_steward", holder="erin"))
    api.ok(c.Transition(incident_id=inc, status="investigating"))
    fact = api.ok(c.LogEntry(incident_id=inc, kind="fact", text="5xx at 38%", refs=("dash:1",)))
    api.ok(c.CorrectEntry(incident_id=inc, target_seq=fact[0].seq, text="5xx at 28%"))
    api.ok(c.EraseEntry(incident_id=inc, target_seq=fact[0].seq, reason="wrong incident"))
    api.ok(c.ChangeSeverity(incident_id=inc, severity="SEV2", reason="contained"))
    api.ok(c.PublishUpdate(incident_id=inc, impact="checkout slow", facts=("rollback done",)))
    api.ok(
        c.AddActionItem(incident_id=inc, title="add a test", owner="carol", due=date(2026, 12, 1))
    )
    api.ok(c.CompleteActionItem(incident_id=inc, number=1, note="merged", verification="ci"))
    api.ok(c.VerifyActionItem(incident_id=inc, number=1, note="green"))
    api.ok(c.DraftPostmortem(incident_id=inc, template="ir"))
    api.ok(c.EditPostmortem(incident_id=inc, section="Summary", text="It broke."))
    api.ok(c.SubmitPostmortem(incident_id=inc, reviewers=("erin",)))
    api.ok(c.ApprovePostmortem(incident_id=inc), "erin")
    api.ok(c.PublishPostmortem(incident_id=inc))
    attached = api.ok(c.AttachRunbook(incident_id=inc, path="RBK-api-5xx.md", content=RUNBOOK))
    checklist = attached[0].payload and attached[0].payload["checklist"]
    api.ok(c.CheckItem(incident_id=inc, items=(f"{checklist}:1",), note="looked"))
    api.ok(c.UncheckItem(incident_id=inc, items=(f"{checklist}:1",)))
    api.ok(c.AddEvidence(incident_id=inc, kind="dashboard", ref="grafana:abc"))
    grant = api.ok(
        c.GrantBreakglass(
            incident_id=inc, to="dave", scope="db read", why="debug", expires_in=timedelta(hours=1)
        )
    )
    api.ok(c.RevokeBreakglass(incident_id=inc, grant_seq=grant[0].seq, reason="done"))
    request = api.ok(
        c.RequestGateException(incident_id=inc, gate="mitigated", justification="drill")
    )
    api.ok(c.ApproveGateException(incident_id=inc, exception_seq=request[0].seq), "erin")
    api.ok(c.SchedulePostmortem(incident_id=inc, due=date(2026, 12, 1), owner="carol"))
    api.ok(c.ReviewGovernance(incident_id=inc, outcome="no exposure"), "erin")
    api.ok(c.CompletePostmortem(incident_id=inc, link="https://wiki/pm"))
    # Refused by the service for this incident's state: the route still reached it (the
    # handler's reason, not the codec's), and nothing was written.
    api.refused(c.LiftFreeze(incident_id=inc, reason="verified"), "alice", 422, "freeze")
    api.refused(
        c.MeetObligation(incident_id=inc, name="customer-notice", evidence="sent"),
        "alice",
        404,
        "no obligation 'customer-notice'",
    )
    # The registry's routes are api/users.py's (they answer with the user record); the wire
    # table sends there.
    for command in (
        c.AddUser(name="alice", roles=("admin", "commander")),
        c.UpdateUser(name="alice", roles=("admin", "commander", "responder")),
        c.AddUser(name="bob", roles=("responder",)),
    ):
        answer = api.send(command)
        assert answer.status_code in (200, 201), answer.text
        assert answer.json()["user"]["name"] == getattr(command, "name", None)
        assert answer.json()["events"][0]["incident_id"] == "REGISTRY"
    api.ok(c.OverrideRole(incident_id=inc, role="scribe", holder="bob", reason="IC away"))
    # Switches, integrity evidence and the learning records (issues 17 and 18).
    api.ok(c.SetSwitch(incident_id=inc, name="promotions", state="paused", reason="halt"))
    other = IncidentId(
        api.ok(c.Declare(title="Catalog drift", severity="SEV2", ic="alice"))[0].incident_id
    )
    api.ok(c.HandOverSwitch(incident_id=other, name="promotions", from_incident=inc, reason="x"))
    api.ok(c.MarkDataset(incident_id=inc, dataset="cat-2026:v12", state="suspected", reason="x"))
    digest = "ab" * 32
    api.ok(
        c.CheckManifest(
            incident_id=inc,
            manifest_name="SHA256SUMS",
            manifest=f"{digest}  a.bin\n".encode(),
            observed=(f"{digest}  a.bin",),
        )
    )
    api.ok(
        c.RecordReceipt(
            incident_id=inc,
            kind="rebuild",
            inputs=(f"cat-2026:v11@sha256:{digest}",),
            outputs=(f"cat-2026:v13@sha256:{digest}",),
            checks=("counts=ok",),
            refs=("run:4711",),
        )
    )
    api.ok(c.RecordStep(incident_id=inc, title="restart ingest", command="systemctl restart x"))
    api.ok(
        c.RecordMilestone(
            incident_id=inc, milestone="started", at=api.ctx.clock() - timedelta(minutes=5)
        )
    )
    api.refused(
        c.RecordDrill(incident_id=inc, kind="tabletop-availability", outcome="ok"),
        "alice",
        422,
        "drill",
    )
    api.ok(c.AddChannel(name="ops", kind="webhook", url="https://siem.example/in"))
    api.ok(c.Subscribe(channel="ops", events=("declared",)))
    api.ok(c.RemoveChannel(name="ops"))
    upload = api.client.post(
        wire.EVIDENCE_UPLOAD.format(incident_id=inc),
        params={"kind": "logs", "name": "app.log"},
        content=b"GET /checkout 500\n",
    )
    assert upload.status_code == 201, upload.text
    api.hit.add("AddEvidence")
    assert api.hit == {route.command.__name__ for route in wire.ROUTES}
    with api.ctx.engine.connect() as conn:
        from fireline.ledger import store as ledger

        events = ledger.read_events(conn, inc)
    assert {e.actor for e in events} <= {"alice", "erin"}
    assert all("asserted_by" not in (e.payload or {}) for e in events)


def test_answer_carries_the_sealed_events(api: Api) -> None:
    response = api.send(c.Declare(title="Checkout 5xx", severity="SEV1", ic="alice"))
    assert response.status_code == 201
    events = wire.events_from_json(response.json())
    assert events[0].kind == "incident.declared"
    assert {event.actor for event in events} == {"alice"}
    with api.ctx.engine.connect() as conn:
        from fireline.ledger import store as ledger

        assert ledger.read_events(conn, IncidentId(events[0].incident_id)) == events


def test_the_actor_is_the_authenticated_user_whatever_the_body_says(api: Api) -> None:
    inc = make_incident(api.ctx)
    before = snapshot(api.ctx.engine)
    for member in ("actor", "asserted_by", "as"):
        body = {"kind": "fact", "text": "x", member: "mallory"}
        response = api.client.post(f"/api/v1/incidents/{inc}/entries", json=body)
        assert response.status_code == 422
        assert response.json()["detail"] == f"{member}: unknown field"
    assert snapshot(api.ctx.engine) == before
    api.caller.actor = "bob"
    response = api.client.post(
        f"/api/v1/incidents/{inc}/entries", json={"kind": "fact", "text": "x"}
    )
    assert [e["actor"] for e in response.json()["events"]] == ["bob"]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{", "request body is not valid JSON"),
        (b"", "request body is empty"),
        (b"\xff\xfe", "request body is not UTF-8 JSON"),
        (b"[1]", "request body must be a JSON object"),
        (b'{"kind": "fact", "text": 5}', "text: expected a string, got a number"),
        (b'{"kind": "fact", "text": "x", "extra": 1}', "extra: unknown field"),
        (b'{"kind": "fact"}', "text: field required"),
        (b'{"kind": "fact", "text": "x", "at": "noon"}', "at: malformed time 'noon'"),
        (b'{"kind": "rumour", "text": "x"}', "rumour"),
        (b"[" * 100 + b"]" * 100, "nests JSON"),
    ],
)
def test_a_malformed_body_is_a_problem_and_writes_nothing(
    api: Api, body: bytes, detail: str
) -> None:
    inc = make_incident(api.ctx)
    before = snapshot(api.ctx.engine)
    response = api.client.post(
        f"/api/v1/incidents/{inc}/entries",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in problem["detail"]
    assert problem["exit_code"] == 2
    assert "\n" not in problem["detail"]
    assert snapshot(api.ctx.engine) == before


def test_an_oversize_body_is_413_and_writes_nothing(api: Api) -> None:
    inc = make_incident(api.ctx)
    before = snapshot(api.ctx.engine)
    huge = b'{"kind": "fact", "text": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = api.client.post(f"/api/v1/incidents/{inc}/entries", content=huge)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield huge

    response = api.client.post(f"/api/v1/incidents/{inc}/entries", content=chunked())
    assert response.status_code == 413
    assert snapshot(api.ctx.engine) == before


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/v1/incidents/INC-1/entries", "malformed incident id 'INC-1'"),
        ("/api/v1/incidents/INC-20261123-001/actions/x/complete", "number: expected a positive"),
        ("/api/v1/incidents/INC-20261123-001/actions/0/complete", "number: expected a positive"),
        ("/api/v1/incidents/INC-20261123-001/breakglass/-1/revoke", "grant_seq: expected"),
    ],
)
def test_a_bad_id_in_the_path_is_a_problem(api: Api, path: str, detail: str) -> None:
    make_incident(api.ctx)
    before = snapshot(api.ctx.engine)
    body = {"kind": "fact", "text": "x"} if path.endswith("entries") else {}
    response = api.client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"]
    assert snapshot(api.ctx.engine) == before


def test_a_missing_and_a_hidden_incident_answer_alike(api: Api) -> None:
    run(api.ctx, c.AddUser(name="alice", roles=("admin", "commander")), "alice")
    run(api.ctx, c.AddUser(name="bob", roles=("responder",)), "alice")
    hidden = make_incident(api.ctx, labels=("restricted",))
    missing = IncidentId("INC-20261123-099")
    answers = []
    before = snapshot(api.ctx.engine)
    for inc in (hidden, missing):
        response = api.send(c.LogEntry(incident_id=inc, kind="fact", text="x"), "bob")
        answers.append((response.status_code, response.json()["detail"].replace(inc, "INC")))
    assert answers[0] == answers[1] == (404, "no incident INC")
    upload = api.client.post(
        wire.EVIDENCE_UPLOAD.format(incident_id=hidden), params={"kind": "logs"}, content=b"x"
    )
    assert upload.status_code == 404
    assert snapshot(api.ctx.engine) == before


def test_a_policy_refusal_is_403_with_the_cli_exit_code(api: Api) -> None:
    run(api.ctx, c.AddUser(name="alice", roles=("admin", "commander")), "alice")
    run(api.ctx, c.AddUser(name="bob", roles=("viewer",)), "alice")
    inc = make_incident(api.ctx)
    api.refused(c.LogEntry(incident_id=inc, kind="fact", text="x"), "bob", 403, "viewer")
    response = api.send(c.LogEntry(incident_id=inc, kind="fact", text="x"), "bob")
    assert response.json()["exit_code"] == 4


def test_a_read_token_cannot_write_and_users_need_admin(api: Api) -> None:
    inc = make_incident(api.ctx)
    api.caller.scope = "read"
    before = snapshot(api.ctx.engine)
    request = wire.to_request(c.LogEntry(incident_id=inc, kind="fact", text="x"))
    response = api.client.post(request.path, json=request.body)
    assert response.status_code == 403
    api.caller.scope = "write"
    request = wire.to_request(c.AddUser(name="alice", roles=("admin",)))
    response = api.client.post(request.path, json=request.body)
    assert response.status_code == 403
    assert snapshot(api.ctx.engine) == before


def test_unauthenticated_writes_are_401(store: Store, clock: Clock, ctx: Context) -> None:
    inc = make_incident(ctx)
    with TestClient(create_app(store.settings, clock=clock)) as client:
        response = client.post(
            f"/api/v1/incidents/{inc}/entries", json={"kind": "fact", "text": "x"}
        )
    assert response.status_code == 401


def test_runbook_content_must_be_base64(api: Api) -> None:
    inc = make_incident(api.ctx)
    before = snapshot(api.ctx.engine)
    body = {"path": "r.md", "content": "# not base64 !"}
    response = api.client.post(f"/api/v1/incidents/{inc}/runbooks", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == "content: expected base64"
    assert snapshot(api.ctx.engine) == before


def test_openapi_documents_every_write_body(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for route in wire.ROUTES:
        operation = spec["paths"][route.path][route.method.lower()]
        if not route.generated:
            continue
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema == wire.body_schema(route)
        assert {p["name"] for p in operation.get("parameters", [])} == set(route.path_fields)
    upload = spec["paths"][wire.EVIDENCE_UPLOAD]["post"]
    assert "application/octet-stream" in upload["requestBody"]["content"]


def _payload(events: list[dict[str, Any]]) -> dict[str, Any]:
    payload = events[0]["payload"]
    assert isinstance(payload, dict)
    return payload


def test_evidence_upload_is_redacted_and_stored(api: Api) -> None:
    inc = make_incident(api.ctx)
    secret = "AKIAQ7ZT4NWSX3B5LMPD"
    response = api.client.post(
        wire.EVIDENCE_UPLOAD.format(incident_id=inc),
        params={"kind": "logs", "name": "app.log", "note": "the 500s"},
        content=f"key={secret}\nGET /checkout 500\n".encode(),
    )
    assert response.status_code == 201, response.text
    payload = _payload(response.json()["events"])
    assert payload["name"] == "app.log"
    assert payload["scanned"] is True
    assert payload["redacted"]
    with api.ctx.blobs.open(payload["sha256"]) as blob:
        stored = blob.read()
    assert secret.encode() not in stored
    assert b"GET /checkout 500" in stored


@pytest.mark.parametrize(
    ("params", "content", "detail"),
    [
        ({"kind": "logs"}, b"\x00\x01binary", "is not text"),
        ({"kind": "selfie"}, b"x", "unknown evidence kind"),
        ({"kind": "logs", "name": "../etc/passwd"}, b"x", "name:"),
        ({"kind": "logs", "captured_at": "noon"}, b"x", "captured_at: malformed time"),
    ],
)
def test_a_refused_upload_writes_nothing(
    api: Api, params: dict[str, str], content: bytes, detail: str
) -> None:
    inc = make_incident(api.ctx)
    before = snapshot(api.ctx.engine)
    response = api.client.post(
        wire.EVIDENCE_UPLOAD.format(incident_id=inc), params=params, content=content
    )
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"]
    assert snapshot(api.ctx.engine) == before
    assert not list((api.ctx.settings.home / "blobs").rglob("*")) or _no_blob_files(api)


def _no_blob_files(api: Api) -> bool:
    return not [p for p in (api.ctx.settings.home / "blobs").rglob("*") if p.is_file()]


def test_an_upload_past_the_size_limit_is_refused_mid_stream(
    store: Store, clock: Clock, ctx: Context
) -> None:
    import dataclasses

    small = dataclasses.replace(store.settings, evidence_max_bytes=1024)
    inc = make_incident(ctx)
    before = snapshot(ctx.engine)
    app = create_app(small, clock=clock)
    app.dependency_overrides[authenticated] = Caller().principal

    def body() -> Iterator[bytes]:  # streamed: no Content-Length to refuse up front
        for _ in range(64):
            yield b"x" * 100 + b"\n"

    with TestClient(app) as client:
        path = wire.EVIDENCE_UPLOAD.format(incident_id=inc)
        streamed = client.post(path, params={"kind": "logs", "name": "big.log"}, content=body())
        declared = client.post(path, params={"kind": "logs"}, content=b"x" * 4096)
    # The server's body limit counts the stream and refuses at the first byte past it (413).
    assert streamed.status_code == 413, streamed.text
    assert "limit" in streamed.json()["detail"]
    assert declared.status_code == 413
    assert snapshot(ctx.engine) == before


def test_real_tokens_name_the_actor_and_the_policy_still_decides(
    store: Store, clock: Clock, ctx: Context
) -> None:
    from fireline import accounts
    from fireline.service import Identity

    run(ctx, c.AddUser(name="alice", roles=("admin", "commander")), "alice")
    run(ctx, c.AddUser(name="vic", roles=("viewer",)), "alice")
    for name in ("alice", "vic"):
        accounts.set_password(ctx, Identity(ActorId(name)), name, f"{name} long passphrase 42")
    inc = make_incident(ctx)
    path = f"/api/v1/incidents/{inc}/entries"
    with TestClient(create_app(store.settings, clock=clock)) as client:
        tokens = {}
        for name in ("alice", "vic"):
            login = client.post(
                "/api/v1/login", json={"user": name, "password": f"{name} long passphrase 42"}
            )
            assert login.status_code == 200, login.text
            tokens[name] = login.json()["token"]
        before = snapshot(ctx.engine)
        wrong = client.post(
            path, json={"kind": "fact", "text": "x"}, headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        denied = client.post(
            path,
            json={"kind": "fact", "text": "x"},
            headers={"Authorization": f"Bearer {tokens['vic']}"},
        )
        assert denied.status_code == 403
        assert snapshot(ctx.engine) == before
        ok = client.post(
            path,
            json={"kind": "fact", "text": "seen by alice"},
            headers={"Authorization": f"Bearer {tokens['alice']}"},
        )
    assert ok.status_code == 201, ok.text
    assert [e["actor"] for e in ok.json()["events"]] == ["alice"]
