"""The switches page and the room's switches panel: listed for the viewer, flipped through a
form (CSRF, the policy, the refusal beside its control), hostile text shown inert."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from fireline.api.auth import Principal
from fireline.commands import AssignRole
from fireline.domain import ActorId
from fireline.service import Context
from fireline.web.render import render
from fireline.web.room import panels
from tests.conftest import Store
from tests.factories import make_incident, run, snapshot
from tests.hostile import ALL, assert_inert
from tests.webclient import add_user, web_client

pytestmark = pytest.mark.adapter


def test_the_page_lists_switches_and_a_flip_goes_on_the_record(store: Store, ctx: Context) -> None:
    add_user(ctx, "alice")
    add_user(ctx, "sam", ("responder",))
    incident = make_incident(ctx)
    run(ctx, AssignRole(incident_id=incident, role="scribe", holder="sam"), "alice")
    with web_client(store) as web:
        listed = web.get("/switches")
        assert listed.status_code == 200
        assert "global-readonly" in listed.text
        assert "off (normal)" in listed.text
        form = {"name": "global-readonly", "state": "on", "incident": incident, "reason": ALL}
        done = web.post("/switches", data=form)
        assert done.status_code == 303
        shown = web.get("/switches")
        assert f'<a href="/incidents/{incident}">{incident}</a>' in shown.text
        assert_inert(shown.text)
        web.as_("sam")
        before = snapshot(ctx.engine)
        refused = web.post("/switches", data={**form, "name": "promotions", "state": "paused"})
        assert refused.status_code == 403
        assert "only holders of ic, tech_lead may flip promotions" in refused.text
        assert 'aria-invalid="true"' in refused.text
        assert snapshot(ctx.engine) == before
        no_token = web.client.post("/switches", data=form)
        assert no_token.status_code == 403
        assert snapshot(ctx.engine) == before


def test_the_room_panel_shows_what_the_incident_holds(store: Store, ctx: Context) -> None:
    add_user(ctx, "alice")
    incident = make_incident(ctx, datasets=("cat-2026:v12",))
    with web_client(store) as web:
        web.post(
            "/switches",
            data={"name": "promotions", "state": "paused", "incident": incident, "reason": ALL},
        )
        request = Request({"type": "http", "app": web.app, "headers": []})
        panel = next(p for p in panels() if p.name == "switches")
        values = panel.context(request, Principal(ActorId("alice"), "write"), {"id": incident})
        assert values is not None
        touched = values["touched"]
        assert touched["held"] == ["promotions"]
        assert [d["dataset"] for d in touched["datasets"]] == ["cat-2026:v12"]
        html = render(request, panel.template, **values)
        assert "Still held by this incident" in html
        assert_inert(html)
        other = make_incident(ctx)
        assert panel.context(request, Principal(ActorId("alice"), "write"), {"id": other}) is None
