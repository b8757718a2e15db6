"""The postmortem editor, its server-rendered preview and the action-items board: every page
behind a session, writes through the writer with refusals beside their control, hostile text
inert, a hidden incident answering like a missing one."""

from __future__ import annotations

import pytest

from fireline.commands import AddActionItem, Declare, LogEntry
from fireline.domain import ActorId, IncidentId
from fireline.service import Context, execute
from tests.conftest import Store
from tests.hostile import ALL, SCRIPT, assert_inert
from tests.webclient import add_user, hidden_like_missing, web_client

pytestmark = pytest.mark.adapter


@pytest.fixture
def team(ctx: Context) -> Context:
    add_user(ctx, "alice", ("commander",))
    add_user(ctx, "erin", ("responder",))
    return ctx


def declare(ctx: Context, labels: tuple[str, ...] = ()) -> IncidentId:
    command = Declare(title=f"API down {ALL}", severity="SEV2", ic="alice", labels=labels)
    return IncidentId(execute(command, ActorId("alice"), ctx=ctx)[0].incident_id)


@pytest.mark.slow
def test_the_editor_drafts_edits_previews_and_reviews(store: Store, team: Context) -> None:
    inc = declare(team)
    execute(
        LogEntry(incident_id=inc, kind="root_cause", text=f"pool {SCRIPT}"),
        ActorId("alice"),
        ctx=team,
    )
    with web_client(store) as web:
        empty = web.get(f"/incidents/{inc}/postmortem")
        assert empty.status_code == 200
        assert "No postmortem drafted yet." in empty.text
        assert (
            web.post(f"/incidents/{inc}/postmortem/draft", {"template": "nope"}).status_code == 422
        )
        drafted = web.post(f"/incidents/{inc}/postmortem/draft", {"template": "ir"})
        assert drafted.status_code == 303
        page = web.get(f"/incidents/{inc}/postmortem")
        assert "Root cause(s)" in page.text
        assert_inert(page.text)
        assert "<script" not in page.text.replace('<script src="/static/', "")
        preview = web.post(f"/incidents/{inc}/postmortem/preview", {"text": f"**bold** {SCRIPT}"})
        assert preview.status_code == 200
        assert "<strong>bold</strong>" in preview.text
        assert "&lt;script&gt;" in preview.text
        nojs = web.post(
            f"/incidents/{inc}/postmortem/sections",
            {"section": "Summary", "text": "_draft_", "preview": "1"},
        )
        assert "<em>draft</em>" in nojs.text
        unknown = web.post(
            f"/incidents/{inc}/postmortem/sections", {"section": "Nope", "text": "x"}
        )
        assert unknown.status_code == 422
        assert "has no section" in unknown.text
        saved = web.post(
            f"/incidents/{inc}/postmortem/sections", {"section": "Summary", "text": "It broke."}
        )
        assert saved.status_code == 303
        submit = {"step": "submit", "reviewers": "alice, erin"}
        web.post(f"/incidents/{inc}/postmortem/review", submit)
        own = web.post(f"/incidents/{inc}/postmortem/review", {"step": "approve"})
        assert own.status_code == 403
        assert "alice wrote this postmortem and may not approve it" in own.text
        web.as_("erin")
        assert (
            web.post(f"/incidents/{inc}/postmortem/review", {"step": "approve"}).status_code == 303
        )
        listed = web.get("/postmortems")
        assert "<td>in review</td>" in listed.text  # alice's approval is still wanted
        assert_inert(listed.text)


@pytest.mark.slow
def test_pages_need_a_session_and_hide_restricted_incidents(store: Store, team: Context) -> None:
    hidden = declare(team, labels=("restricted",))
    execute(
        AddActionItem(incident_id=hidden, title=f"secret {ALL}", owner="carol", verification="t"),
        ActorId("alice"),
        ctx=team,
    )
    with web_client(store, user=None) as web:
        assert web.get("/actions").status_code == 303
    with web_client(store, user="erin") as web:
        hidden_like_missing(web, hidden, "INC-20000101-001", "/postmortem")
        board = web.get("/actions")
        assert board.status_code == 200
        assert "secret" not in board.text
        web.as_("alice")
        mine = web.get("/actions?owner=carol")
        assert "Open (1)" in mine.text
        assert_inert(mine.text)
