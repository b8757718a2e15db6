"""The room panels of `fireline.web.pages.panels_*`, in-process: action items (list, add),
runbook suggestions with attach (only indexed runbooks), the export download; refusals beside
their control on the panel's own page, nothing written; a hidden incident like a missing one."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fireline import progress
from fireline.commands import Declare
from fireline.db import action_items, events
from fireline.domain import ActorId, IncidentId
from fireline.export.verify import verify_export
from fireline.service import Context, execute
from fireline.web.pages.panels_runbooks import field_key
from tests.conftest import Store
from tests.factories import snapshot
from tests.test_suggest import write_runbooks
from tests.test_web_admin import error_beside
from tests.webclient import WebClient, add_user, web_client

pytestmark = [
    pytest.mark.adapter,
    pytest.mark.slow,
]  # logins hash passwords: about a second per test
MISSING = "INC-20000101-001"


@pytest.fixture
def incident(ctx: Context) -> IncidentId:
    """alice (IC, cleared), bob (responder, no role on it), vic (viewer); a restricted SEV2."""
    add_user(ctx, "alice", ("commander",), clearances=("sensitive",))
    add_user(ctx, "bob", ("responder",))
    event, *_ = execute(
        Declare(
            title="Catalog API 5xx spike",
            severity="SEV2",
            impact="HTTP 5xx errors for most requests",
            systems=("catalog-api",),
            labels=("restricted",),
            ic="alice",
        ),
        ActorId("alice"),
        ctx=ctx,
    )
    return IncidentId(event.incident_id)


@pytest.fixture
def web(store: Store, incident: IncidentId) -> Iterator[WebClient]:
    with web_client(store) as client:
        yield client


def test_an_action_item_is_added_with_the_existing_fields(
    web: WebClient, ctx: Context, incident: IncidentId
) -> None:
    due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()  # the server's own clock
    fields = {
        "title": "add policy test",
        "owner": "carol",
        "due": due,
        "priority": "P1",
        "verification": "the regression test fails on 4f2c1e",
    }
    added = web.post(f"/incidents/{incident}/actions", fields)
    assert added.status_code == 303, re.findall(r'class="error"[^<]*<[^<]*', added.text)
    assert added.headers["location"] == f"/incidents/{incident}#panel-actions"
    with ctx.engine.connect() as conn:
        row = conn.execute(sa.select(action_items)).one()
    assert (row.title, row.owner, row.due, row.priority, row.verification) == (
        "add policy test",
        "carol",
        due,
        "P1",
        "the regression test fails on 4f2c1e",
    )


def test_a_refused_action_item_comes_back_beside_its_control(
    web: WebClient, ctx: Context, incident: IncidentId
) -> None:
    before = snapshot(ctx.engine)["action_items"]
    bad = web.post(f"/incidents/{incident}/actions", {"title": "t", "owner": "c", "due": "soon"})
    assert bad.status_code == 422
    assert error_beside(bad.text, "action-due") == "malformed due 'soon'; expected YYYY-MM-DD"
    assert 'value="t"' in bad.text  # the form keeps what was typed
    assert f'href="/incidents/{incident}#panel-actions"' in bad.text
    unknown = web.post(
        f"/incidents/{incident}/actions", {"title": "t", "owner": "c", "priority": "P9"}
    )
    assert unknown.status_code == 422
    assert error_beside(unknown.text, "action").startswith("unknown priority 'P9'")
    assert snapshot(ctx.engine)["action_items"] == before


def test_a_hidden_incidents_panels_answer_like_a_missing_ones(
    web: WebClient, ctx: Context, incident: IncidentId
) -> None:
    web.as_("bob")
    before = snapshot(ctx.engine)
    for suffix, data in (
        ("/actions", {"title": "t", "owner": "c"}),
        ("/runbooks", {"path": "api/RBK-api-5xx-spike.md"}),
        ("/export", {}),
    ):
        hidden = web.post(f"/incidents/{incident}{suffix}", data)
        missing = web.post(f"/incidents/{MISSING}{suffix}", data)
        assert hidden.status_code == missing.status_code == 404, suffix
        assert hidden.text.replace(incident, "X") == missing.text.replace(MISSING, "X")
    assert snapshot(ctx.engine) == before


def _index(ctx: Context, folder: Path) -> None:
    from fireline.suggest.documents import read_entries
    from fireline.suggest.store import replace_index

    entries = read_entries(write_runbooks(folder))
    with ctx.engine.begin() as conn:
        replace_index(conn, folder=str(folder), entries=entries, now=datetime.now(UTC))


def test_a_suggested_runbook_is_attached_and_only_indexed_ones_can_be(
    web: WebClient, ctx: Context, incident: IncidentId, tmp_path: Path
) -> None:
    _index(ctx, tmp_path / "runbooks")
    outside = tmp_path / "secret.md"
    outside.write_text("---\nid: RBK-x\n---\n## Summary\n- [ ] leak\n")
    refused = web.post(f"/incidents/{incident}/runbooks", {"path": str(outside)})
    assert refused.status_code == 404
    assert f"no indexed runbook {str(outside)!r}" in html.unescape(refused.text)
    # The panel on its page lists the suggestions, each with its confidence and flag.
    assert "api/RBK-api-5xx-spike.md" in refused.text
    assert re.search(r"confidence \d\.\d{3}, (<strong>fits</strong>|low confidence)", refused.text)
    with ctx.engine.connect() as conn:
        assert progress.list_checklists(conn, incident)[-1].path != str(outside)

    attached = web.post(f"/incidents/{incident}/runbooks", {"path": "api/RBK-api-5xx-spike.md"})
    assert attached.status_code == 303
    with ctx.engine.connect() as conn:
        names = [c.path for c in progress.list_checklists(conn, incident)]
    assert "api/RBK-api-5xx-spike.md" in names[-1]
    web.as_("bob")  # no role: the policy's reason beside that runbook's button
    execute_public = execute(
        Declare(title="Public API 5xx", severity="SEV3", ic="alice"), ActorId("alice"), ctx=ctx
    )
    public = execute_public[0].incident_id
    denied = web.post(f"/incidents/{public}/runbooks", {"path": "api/RBK-api-5xx-spike.md"})
    assert denied.status_code == 403
    assert error_beside(denied.text, field_key("api/RBK-api-5xx-spike.md")).startswith(
        f"only responders of {public} (its role holders) may attach a runbook"
    )


def test_the_export_downloads_a_zip_that_verifies_and_unmasked_needs_clearance(
    web: WebClient, ctx: Context, incident: IncidentId, tmp_path: Path
) -> None:
    got = web.post(f"/incidents/{incident}/export")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert f"{incident}" in got.headers["content-disposition"]
    archive = tmp_path / "export.zip"
    archive.write_bytes(got.content)
    report = verify_export(archive)
    assert (report.ok, report.incident_id, report.masked) == (True, incident, True)
    with ctx.engine.connect() as conn:
        kinds = list(
            conn.execute(
                sa.select(events.c.kind).where(
                    events.c.incident_id == incident, events.c.kind == "export.created"
                )
            ).scalars()
        )
    assert kinds == ["export.created"]

    add_user(ctx, "sam", ("responder",))
    from fireline.commands import AssignRole

    execute(
        AssignRole(incident_id=incident, role="scribe", holder="sam"), ActorId("alice"), ctx=ctx
    )
    web.as_("sam")
    refused = web.post(f"/incidents/{incident}/export", {"unmasked": "1"})
    assert refused.status_code == 403
    assert error_beside(refused.text, "export").startswith(
        "--unmasked needs the sensitive clearance"
    )
