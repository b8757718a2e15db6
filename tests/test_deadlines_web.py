"""The obligations room panel and its meet form, through the real app in-process: the panel
as the room renders it (`room.PANELS`), countdowns as text, hostile evidence inert, the form's
refusals writing nothing, a hidden incident answering like a missing one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse

from fireline.api.app import create_app
from fireline.commands import Declare
from fireline.domain import ActorId, IncidentId
from fireline.ladders import PRESETS
from fireline.service import Context, Identity, execute, utc_now
from fireline.web.session import Viewer
from tests.conftest import Store
from tests.factories import snapshot
from tests.hostile import ALL, assert_inert
from tests.inprocess import running
from tests.webclient import WebClient, add_user

MISSING = "INC-20991231-999"
pytestmark = [
    pytest.mark.adapter,
    pytest.mark.slow,
]  # each test logs in (argon2id) and serves the app


@pytest.fixture
def classic(store: Store) -> Store:
    """The store on the classic ladder, whose SEV1 owes a response and a customer notice."""
    return replace(store, settings=replace(store.settings, ladder=PRESETS["classic"]))


@pytest.fixture
def web(classic: Store, ctx: Context) -> Iterator[WebClient]:
    """The app with a bare room: every registered panel of one incident, as the room shows
    them (the room page itself is the web skeleton's)."""
    from fireline.web import room
    from fireline.web.render import render

    add_user(ctx, "alice", ("commander",))
    add_user(ctx, "bob", ("responder",))
    app = create_app(classic.settings)

    @app.get("/incidents/{incident_id}")
    def bare_room(request: Request, principal: Viewer, incident_id: str) -> HTMLResponse:
        from fireline.reads import incidents

        ctx = request.app.state.context
        incident = incidents.get_incident(ctx, Identity(principal.actor), incident_id)
        parts = []
        for panel in room.panels():
            values = panel.context(request, principal, incident)
            if values is not None:
                parts.append(render(request, panel.template, incident=incident, **values))
        return HTMLResponse("".join(parts))

    with running(app) as client:
        yield WebClient(client, app).as_("alice")


def declare(ctx: Context, **fields: Any) -> IncidentId:
    """A classic SEV1 declared now by the wall clock (the app's), so its deadlines lie ahead."""
    ctx.settings = replace(ctx.settings, ladder=PRESETS["classic"])
    ctx.clock = utc_now
    command = Declare(title="Checkout down", severity="SEV1", **fields)
    return IncidentId(execute(command, ActorId("alice"), ctx=ctx)[0].incident_id)


def test_the_panel_shows_each_deadline_and_its_countdown_in_words(
    web: WebClient, ctx: Context
) -> None:
    inc = declare(ctx)
    page = web.get(f"/incidents/{inc}")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="panel-obligations"' in html
    assert "Next update due" in html
    assert "OPEN" in html
    assert "data-due=" in html
    assert ">in 14m<" in html or ">in 15m<" in html  # the response, due in 15 minutes
    assert ">in 29m<" in html or ">in 30m<" in html  # the customer notice and the update
    assert f'action="/incidents/{inc}/obligations/response/meet"' in html
    assert 'name="csrf"' in html


def test_meeting_from_the_panel_records_the_evidence_inert(web: WebClient, ctx: Context) -> None:
    inc = declare(ctx)
    response = web.post(f"/incidents/{inc}/obligations/customer-notice/meet", {"evidence": ALL})
    assert response.status_code == 303
    assert response.headers["location"] == f"/incidents/{inc}#panel-obligations"
    html = web.get(f"/incidents/{inc}").text
    assert "MET" in html
    assert "Hostile" in html
    assert_inert(html)


def test_the_form_refuses_bad_input_and_writes_nothing(web: WebClient, ctx: Context) -> None:
    inc = declare(ctx)
    before = snapshot(ctx.engine)
    blank = web.post(f"/incidents/{inc}/obligations/response/meet", {"evidence": " "})
    unknown = web.post(f"/incidents/{inc}/obligations/nope/meet", {"evidence": "x"})
    forged = web.client.post(f"/incidents/{inc}/obligations/response/meet", data={"evidence": "x"})
    assert snapshot(ctx.engine) == before
    web.as_("bob")  # a login records its token: the snapshot is taken after it
    before = snapshot(ctx.engine)
    denied = web.post(f"/incidents/{inc}/obligations/response/meet", {"evidence": "x"})
    assert blank.status_code == 422
    assert "--evidence must not be empty" in blank.text
    assert unknown.status_code == 404
    assert forged.status_code == 403
    assert denied.status_code == 403
    assert "or the ic role may record obligation response met" in denied.text
    assert snapshot(ctx.engine) == before


def test_a_hidden_incident_answers_like_a_missing_one(web: WebClient, ctx: Context) -> None:
    inc = declare(ctx, labels=("restricted",), ic="alice")
    web.as_("bob")
    before = snapshot(ctx.engine)
    hidden = web.post(f"/incidents/{inc}/obligations/response/meet", {"evidence": "x"})
    missing = web.post(f"/incidents/{MISSING}/obligations/response/meet", {"evidence": "x"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(inc, "X") == missing.text.replace(MISSING, "X")
    assert snapshot(ctx.engine) == before
