"""The API's read routes: the read service's models as JSON, need-to-know (a hidden incident
answers like a missing one, byte for byte), the access trail, masking, timeline pages,
evidence content re-hashed on the way out, the export download, and bad input."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fireline.api.app import create_app
from fireline.api.auth import Principal, Scope, authenticated
from fireline.commands import AddEvidence, AddUser, Declare, LogEntry, UpdateUser
from fireline.db import events
from fireline.domain import ActorId, IncidentId
from fireline.service import Context
from fireline.service.evidence import staged_file
from tests.conftest import Cli, Store
from tests.factories import run, snapshot
from tests.inprocess import ApiClient, running

SECRET = "Sitemap leak at 47.6062,-122.3321"
SHOWN = "Sitemap leak at 47.6,-122.3"
MISSING = "INC-20991231-999"
PER_INCIDENT = (
    "",
    "/timeline",
    "/checklist",
    "/actions",
    "/breakglass",
    "/gates",
    "/obligations",
    "/evidence",
    "/evidence/1",
    "/evidence/1/content",
    "/export",
)


class Api:
    """The app in-process (`tests.inprocess`), its caller whoever `as_` names."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.actor = "alice"
        self.scope: Scope = "admin"

    def get(self, path: str, *, as_: str = "alice", scope: Scope = "admin", **kw: Any) -> Any:
        self.actor, self.scope = as_, scope
        return self.client.get(path, **kw)


@pytest.fixture
def api(store: Store, ctx: Context) -> Iterator[Api]:
    app = create_app(store.settings)
    with running(app) as client:
        wrapper = Api(client)
        app.dependency_overrides[authenticated] = lambda: Principal(
            ActorId(wrapper.actor), wrapper.scope
        )
        yield wrapper


@pytest.fixture
def restricted(ctx: Context) -> IncidentId:
    """A restricted incident alice commands, with one evidence file; bob is a responder."""
    run(ctx, AddUser(name="root", roles=("admin",)), "root")
    run(ctx, AddUser(name="alice", roles=("commander",)), "root")
    run(ctx, AddUser(name="bob", roles=("responder",)), "root")
    incident = IncidentId(
        run(
            ctx, Declare(title=SECRET, severity="SEV2", labels=("restricted",), ic="alice"), "alice"
        )[0].incident_id
    )
    attach(ctx, incident, b"seen at 47.6062,-122.3321\n")
    return incident


def attach(ctx: Context, incident: IncidentId, data: bytes) -> None:
    command = AddEvidence(incident_id=incident, kind="logs", note="n", source="s")
    with staged_file(ctx, io.BytesIO(data), name="app.log", unscanned=False) as file:
        from dataclasses import replace

        run(ctx, replace(command, file=file), "alice")


def access_reads(ctx: Context, incident: str) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(events.c.actor).where(
                    events.c.incident_id == incident, events.c.kind == "access.read"
                )
            ).scalars()
        )


@pytest.mark.parametrize("suffix", PER_INCIDENT)
def test_a_hidden_incident_answers_exactly_like_a_missing_one(
    api: Api, ctx: Context, restricted: IncidentId, suffix: str
) -> None:
    hidden = api.get(f"/api/v1/incidents/{restricted}{suffix}", as_="bob")
    missing = api.get(f"/api/v1/incidents/{MISSING}{suffix}", as_="bob")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.headers["content-type"] == missing.headers["content-type"]
    assert hidden.content.replace(restricted.encode(), b"ID") == missing.content.replace(
        MISSING.encode(), b"ID"
    )
    assert access_reads(ctx, restricted) == []


def test_the_listing_leaves_out_what_the_caller_may_not_see(
    api: Api, ctx: Context, restricted: IncidentId
) -> None:
    run(ctx, Declare(title="Public status page slow", severity="SEV3"), "bob")
    seen_by_bob = [row["title"] for row in api.get("/api/v1/incidents", as_="bob").json()]
    assert seen_by_bob == ["Public status page slow"]
    seen_by_alice = [row["id"] for row in api.get("/api/v1/incidents", as_="alice").json()]
    assert restricted in seen_by_alice
    only_closed = api.get("/api/v1/incidents", params={"status": "closed"}, as_="alice")
    assert only_closed.json() == []


def test_each_read_of_a_restricted_incident_goes_on_its_trail_as_the_caller(
    api: Api, ctx: Context, restricted: IncidentId
) -> None:
    shown = api.get(f"/api/v1/incidents/{restricted}", as_="alice")
    assert shown.status_code == 200
    assert shown.json()["title"] == SHOWN  # alice holds no sensitive clearance
    api.get(f"/api/v1/incidents/{restricted}/actions", as_="alice")
    assert access_reads(ctx, restricted) == ["alice", "alice"]


def test_models_equal_the_cli_json_for_the_same_viewer(
    api: Api, cli: Cli, ctx: Context, restricted: IncidentId
) -> None:
    pairs = (
        ("", ("show", restricted)),
        ("/actions", ("action", "list", restricted)),
        ("/breakglass", ("breakglass", "list", restricted)),
        ("/gates", ("gates", restricted)),
        ("/evidence", ("evidence", "list", restricted)),
        ("/evidence/1", ("evidence", "show", restricted, "E1")),
        ("/checklist", ("checklist", restricted)),
    )
    for suffix, command in pairs:
        model = api.get(f"/api/v1/incidents/{restricted}{suffix}", as_="alice").json()
        local = json.loads(cli(*command, "--format", "json", actor="alice").stdout)
        if suffix == "":  # the CLI's own access read moved these on
            for key in ("event_count", "last_activity_at"):
                model.pop(key), local.pop(key)
        assert model == local, suffix


def test_the_timeline_comes_in_pages_that_join_up(
    api: Api, ctx: Context, restricted: IncidentId
) -> None:
    for n in range(25):
        run(ctx, LogEntry(incident_id=restricted, kind="fact", text=f"fact {n}"), "alice")
    path = f"/api/v1/incidents/{restricted}/timeline"
    whole = api.get(path, params={"limit": 1000}).json()
    pages, after = [], 0
    while True:
        page = api.get(path, params={"after_seq": after, "limit": 10}).json()
        assert len(page["entries"]) <= 10
        pages.extend(page["entries"])
        if page["next_after_seq"] is None:
            break
        after = page["next_after_seq"]
    assert pages == whole["entries"]
    assert [e["seq"] for e in pages] == sorted(e["seq"] for e in pages)
    facts = api.get(path, params={"kind": "fact", "last": 3}).json()["entries"]
    assert [e["summary"] for e in facts] == ["fact 22", "fact 23", "fact 24"]
    folded = api.get(path).json()
    assert folded["folded"] == len(access_reads(ctx, restricted))  # this read's own included
    unfolded = api.get(path, params={"all": "true"}).json()
    assert unfolded["folded"] == 0
    assert any(e["kind"] == "access.read" for e in unfolded["entries"])


def test_evidence_content_is_masked_for_the_caller_and_carries_its_facts(
    api: Api, restricted: IncidentId
) -> None:
    got = api.get(f"/api/v1/incidents/{restricted}/evidence/1/content", as_="alice")
    assert got.status_code == 200
    assert got.content == b"seen at 47.6,-122.3\n"
    assert got.headers["x-fireline-masked"] == "true"
    assert got.headers["x-fireline-evidence"] == "E1"


def test_evidence_content_that_no_longer_matches_its_digest_is_not_served(
    api: Api, ctx: Context, store: Store, restricted: IncidentId
) -> None:
    run(ctx, UpdateUser(name="alice", roles=("commander",), clearances=("sensitive",)), "root")
    good = api.get(f"/api/v1/incidents/{restricted}/evidence/1/content", as_="alice")
    assert good.content == b"seen at 47.6062,-122.3321\n"
    sha = good.headers["x-fireline-sha256"]
    blob = ctx.blobs.path(sha)
    blob.chmod(0o600)
    blob.write_bytes(b"seen at 0.0,0.0\n")
    bad = api.get(f"/api/v1/incidents/{restricted}/evidence/1/content", as_="alice")
    assert bad.status_code == 500
    assert bad.json()["error"] == "IntegrityError"
    assert b"0.0,0.0" not in bad.content


def test_the_export_downloads_as_a_zip_and_is_recorded(
    api: Api, ctx: Context, restricted: IncidentId
) -> None:
    got = api.get(f"/api/v1/incidents/{restricted}/export", as_="alice")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(got.content)).namelist()
    assert any(name.endswith("events.jsonl") for name in names)
    summary = json.loads(got.headers["x-fireline-export"])
    with ctx.engine.connect() as conn:
        kinds = conn.execute(
            sa.select(events.c.kind).where(
                events.c.incident_id == restricted, events.c.seq == summary["event_seq"]
            )
        ).scalar_one()
    assert kinds == "export.created"


def test_verify_of_the_whole_store_needs_an_admin_token(api: Api, restricted: IncidentId) -> None:
    refused = api.get("/api/v1/verify", scope="read")
    assert refused.status_code == 403
    assert api.get("/api/v1/verify", scope="admin").json()["ok"] is True
    named = api.get("/api/v1/verify", params={"incident": restricted}, as_="bob", scope="read")
    assert named.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/incidents/INC-bad",
        "/api/v1/incidents?status=sleeping",
        "/api/v1/incidents/{i}/timeline?limit=0",
        "/api/v1/incidents/{i}/timeline?limit=1001",
        "/api/v1/incidents/{i}/timeline?after_seq=-1",
        "/api/v1/incidents/{i}/timeline?kind=nonsense",
        "/api/v1/incidents/{i}/timeline?since=yesterday",
        "/api/v1/incidents/{i}/evidence/0",
        "/api/v1/incidents/{i}/checklist?checklist=nope",
        "/api/v1/runbooks/search?q=%20",
    ],
)
def test_bad_input_is_one_problem_line_and_writes_nothing(
    api: Api, ctx: Context, restricted: IncidentId, path: str
) -> None:
    before = snapshot(ctx.engine)
    got = api.get(path.format(i=restricted), as_="bob")
    assert 400 <= got.status_code < 500
    assert got.headers["content-type"] == "application/problem+json"
    assert "\n" not in got.json()["detail"]
    assert snapshot(ctx.engine) == before


def test_runbook_suggest_takes_the_alert_as_its_body(
    api: Api, cli: Cli, tmp_path: Path, restricted: IncidentId
) -> None:
    alert = {"labels": {"alertname": "Api5xx"}, "annotations": {}}
    unindexed = api.client.post("/api/v1/runbooks/suggest", json=alert)
    assert unindexed.status_code == 404
    assert "runbook index" in unindexed.json()["detail"]
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "api.md").write_text(
        "---\nid: api-5xx\ntitle: API 5xx\nalerts: [Api5xx]\n---\n# API 5xx\n\nRoll back.\n"
    )
    assert cli("runbook", "index", str(tmp_path / "books")).exit_code == 0
    got = api.client.post("/api/v1/runbooks/suggest", json=alert)
    assert got.status_code == 200
    local = cli(
        "runbook", "suggest", "--alert", str(write_json(tmp_path, alert)), "--format", "json"
    )
    assert got.json() == json.loads(local.stdout)
    bad = api.client.post("/api/v1/runbooks/suggest", content=b"{nope")
    assert bad.status_code == 422


def write_json(folder: Path, data: object) -> Path:
    path = folder / "alert.json"
    path.write_text(json.dumps(data))
    return path


def test_reads_need_a_token(store: Store) -> None:
    with running(create_app(store.settings)) as client:
        assert client.get("/api/v1/incidents").status_code == 401
        assert client.get("/api/v1/freeze").status_code == 401
