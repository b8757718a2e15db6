"""The incident room in-process: what it shows (header, timeline kinds, corrections beside the
entry, erasures as erased, checklists with who and when, the update prefill), its writes and
their refusals beside the form, need-to-know on every room route, and hostile input."""

from __future__ import annotations

import re

import pytest

from fireline.commands import CorrectEntry, Declare, EraseEntry, LogEntry
from fireline.domain import ActorId, IncidentId
from fireline.service import Context, execute
from tests.conftest import Clock, Store
from tests.hostile import ALL, assert_inert
from tests.webclient import add_user, count_events, web_client

pytestmark = pytest.mark.adapter

SECRET_TITLE = "Partner contract leak"
MISSING = "INC-20991231-999"
ROOM_PATHS = ("", "/ledger", "/gates", "/gates?fragment=1", "/verification", "/evidence/1/download")
ROOM_POSTS = ("/entries", "/updates", "/roles", "/severity", "/status", "/checklist", "/review")


@pytest.fixture
def incident(ctx: Context) -> IncidentId:
    add_user(ctx, "alice")
    add_user(ctx, "bob", ("responder",))
    declared = execute(
        Declare(title="Catalog API 5xx spike", severity="SEV1", impact="search down", ic="alice"),
        ActorId("alice"),
        ctx=ctx,
    )
    return IncidentId(declared[0].incident_id)


def log(ctx: Context, incident: IncidentId, kind: str, text: str, **kw: object) -> int:
    command = LogEntry(incident_id=incident, kind=kind, text=text, **kw)  # type: ignore[arg-type]
    return execute(command, ActorId("alice"), ctx=ctx)[0].seq


def test_the_room_shows_kinds_corrections_and_erasures(
    store: Store, ctx: Context, incident: IncidentId, clock: Clock
) -> None:
    fact = log(ctx, incident, "fact", "5xx rate 38%", refs=("dashboard:api",))
    log(ctx, incident, "hypothesis", "bad deploy 4f2c1e")
    log(ctx, incident, "decision", "roll back", why="correlates with onset", approver="alice")
    gone = log(ctx, incident, "fact", "customer email was pasted here")
    correction = CorrectEntry(incident_id=incident, target_seq=fact, text="5xx rate 28%")
    fixed = execute(correction, ActorId("alice"), ctx=ctx)[0].seq
    erase = EraseEntry(incident_id=incident, target_seq=gone, reason="personal data")
    execute(erase, ActorId("alice"), ctx=ctx)
    with web_client(store, clock=clock) as web:
        html = web.get(f"/incidents/{incident}").text
    original = html.split(f'id="e-{fact}"')[1].split("</li>")[0]
    assert f'Corrected by <a href="#e-{fixed}">#{fixed}</a>:</strong>\n5xx rate 28%' in original
    assert 'class="entry k-hypothesis' in html
    assert "<dt>Why</dt><dd>correlates with onset</dd>" in html
    erased = html.split(f'id="e-{gone}"')[1].split("</li>")[0]
    assert "Erased by" in erased
    assert "customer email" not in html
    assert "<script" not in html.split("</head>")[1]  # no inline script in the body


def test_the_update_composer_is_prefilled_with_facts_and_hypotheses_apart(
    store: Store, ctx: Context, incident: IncidentId, clock: Clock
) -> None:
    log(ctx, incident, "fact", "5xx rate 38%")
    log(ctx, incident, "hypothesis", "bad deploy 4f2c1e")
    with web_client(store, clock=clock) as web:
        html = web.get(f"/incidents/{incident}").text
    facts = re.search(r'name="facts"[^>]*>([^<]*)</textarea>', html)
    hypotheses = re.search(r'name="hypotheses"[^>]*>([^<]*)</textarea>', html)
    assert facts is not None
    assert hypotheses is not None
    assert facts.group(1) == "5xx rate 38%"
    assert hypotheses.group(1) == "bad deploy 4f2c1e"
    assert "One cadence (30 min) from now." in html
    due = re.search(r'name="next_update_at" type="datetime-local" value="([^"]+)"', html)
    assert due is not None
    assert due.group(1) == "2026-11-23T14:30"  # declared at 14:00 on the test clock


def test_room_writes_record_and_redirect_back(
    store: Store, ctx: Context, incident: IncidentId, clock: Clock
) -> None:
    with web_client(store, clock=clock) as web:
        logged = web.post(f"/incidents/{incident}/entries", data={"kind": "fact", "text": "p99 up"})
        ticked = web.post(
            f"/incidents/{incident}/checklist",
            data={"item": "first-15-minutes:1", "checked": "1", "note": "staffed"},
        )
        html = web.get(f"/incidents/{incident}").text
    assert logged.status_code == ticked.status_code == 303
    assert logged.headers["location"] == f"/incidents/{incident}#composer"
    assert "p99 up" in html
    assert re.search(r"checked by alice at 2026-11-23 \d\d:\d\d:\d\dZ: staffed", html)


def test_a_refusal_is_shown_beside_its_form_and_writes_nothing(
    store: Store, ctx: Context, incident: IncidentId, clock: Clock
) -> None:
    with web_client(store, clock=clock) as web:
        before = count_events(ctx)
        gated = web.post(f"/incidents/{incident}/status", data={"status": "mitigated"})
        empty = web.post(f"/incidents/{incident}/entries", data={"kind": "fact", "text": " "})
        after = count_events(ctx)
    assert gated.status_code == 403
    status_error = gated.text.split('id="status-error"')[1].split("</p>")[0]
    assert "gate &#39;mitigated&#39; is not met" in status_error
    assert empty.status_code == 422
    assert 'id="composer-error"' in empty.text
    # the refused reads of the room re-rendered record nothing for an unrestricted incident
    assert after == before


def test_a_restricted_room_answers_like_a_missing_one_on_every_route(
    store: Store, ctx: Context, clock: Clock
) -> None:
    add_user(ctx, "alice")
    add_user(ctx, "mallory", ("responder",))
    declared = execute(
        Declare(title=SECRET_TITLE, severity="SEV2", labels=("restricted",), ic="alice"),
        ActorId("alice"),
        ctx=ctx,
    )
    hidden = declared[0].incident_id
    with web_client(store, user="mallory", clock=clock) as web:
        before = count_events(ctx)
        for suffix in ROOM_PATHS:
            seen = web.get(f"/incidents/{hidden}{suffix}")
            missing = web.get(f"/incidents/{MISSING}{suffix}")
            assert seen.status_code == missing.status_code == 404, suffix
            assert seen.text.replace(hidden, "X") == missing.text.replace(MISSING, "X"), suffix
            assert SECRET_TITLE not in seen.text
            assert "<title>Not found · fireline</title>" in seen.text
        for suffix in ROOM_POSTS:
            data = {"kind": "fact", "text": "x", "status": "resolved", "severity": "SEV1"}
            seen = web.post(f"/incidents/{hidden}{suffix}", data=data)
            missing = web.post(f"/incidents/{MISSING}{suffix}", data=data)
            assert seen.status_code == missing.status_code == 404, suffix
            assert seen.text.replace(hidden, "X") == missing.text.replace(MISSING, "X"), suffix
        assert count_events(ctx) == before


def test_hostile_entries_are_inert_in_the_room(
    store: Store, ctx: Context, incident: IncidentId, clock: Clock
) -> None:
    log(ctx, incident, "fact", ALL, refs=(f"ticket:{ALL}",))
    log(ctx, incident, "decision", "x", why=ALL, approver="alice")
    with web_client(store, clock=clock) as web:
        html = web.get(f"/incidents/{incident}").text
        refused = web.post(f"/incidents/{incident}/entries", data={"kind": "nope", "text": ALL})
    assert_inert(html)
    assert_inert(refused.text)
    assert "\\u202e" in html


def test_the_room_uploads_evidence_through_the_api_route_with_its_session(
    store: Store, ctx: Context, incident: IncidentId, clock: Clock
) -> None:
    from fireline.api.cookies import CSRF_HEADER
    from tests.hostile import FILE_NAMES

    token = b"ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    body = b"GET /search 500\nAuthorization: Bearer " + token + b"\n"
    route = f"/api/v1/incidents/{incident}/evidence/file"
    with web_client(store, clock=clock) as web:
        forged = web.request("POST", route, params={"kind": "logs", "name": "a.log"}, content=body)
        uploaded = web.request(
            "POST",
            route,
            params={"kind": "logs", "name": FILE_NAMES[0], "note": ALL},
            content=body,
            headers={CSRF_HEADER: web.csrf, "content-type": "application/octet-stream"},
        )
        html = web.get(f"/incidents/{incident}").text
        download = web.get(f"/incidents/{incident}/evidence/1/download")
    assert forged.status_code == 401  # the cookie alone is not enough
    assert uploaded.status_code == 201, uploaded.text
    assert_inert(html)
    row = html.split('<table class="evidence">')[1].split("</table>")[0]
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;.log" in row
    assert re.search(r'title="[0-9a-f]{64}"', row)
    assert "1 github-token" in row
    assert download.status_code == 200
    assert token not in download.content
    assert b"[REDACTED:github-token#1]" in download.content
    assert download.headers["content-disposition"] == 'attachment; filename="E1.bin"'
