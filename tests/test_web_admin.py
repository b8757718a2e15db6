"""The governance screens under /admin, in-process: each write through the writer, each refusal
the policy's reason beside the control that asked (4xx, nothing written), a hidden incident
answering like a missing one."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from fireline.accounts import issue_token
from fireline.commands import AssignRole, Declare, RequestGateException
from fireline.db import api_tokens, events
from fireline.domain import ActorId, IncidentId
from fireline.service import Context, execute
from tests.conftest import Store
from tests.factories import snapshot
from tests.webclient import WebClient, add_user, web_client

pytestmark = [
    pytest.mark.adapter,
    pytest.mark.slow,
]  # logins hash passwords: about a second per test


def run(ctx: Context, command: object, actor: str) -> None:
    execute(command, ActorId(actor), ctx=ctx)  # type: ignore[arg-type]


@pytest.fixture
def people(ctx: Context) -> Context:
    """root (admin), alice (commander, also admin), erin (steward), bob (responder)."""
    add_user(ctx, "alice", ("commander", "admin"))
    add_user(ctx, "erin", ("steward",))
    add_user(ctx, "bob", ("responder",))
    return ctx


@pytest.fixture
def web(store: Store, people: Context) -> Iterator[WebClient]:
    with web_client(store) as client:
        yield client


def error_beside(text: str, field: str) -> str:
    """The refusal shown beside `field` (its `<p class="error" id="FIELD-error">`)."""
    found = re.search(
        rf'<p class="error" id="{re.escape(field)}-error" role="alert">([^<]*)</p>', text
    )
    assert found is not None, f"no error beside {field}"
    return html.unescape(found.group(1))


def in_summary(text: str, field: str) -> str:
    """A refusal in the page's summary of refusals (for a control the page does not show)."""
    found = re.search(
        rf'<li class="error" id="summary-{re.escape(field)}"><a [^>]*>([^<]*)</a>', text
    )
    assert found is not None, f"no refusal {field} in the summary"
    return html.unescape(found.group(1))


def declare_flagged(ctx: Context) -> IncidentId:
    event, *_roles = execute(
        Declare(
            title="Policy bypass on catalog",
            severity="SEV1",
            flags=("policy-bypass",),
            labels=("restricted",),
            ic="alice",
        ),
        ActorId("alice"),
        ctx=ctx,
    )
    incident = IncidentId(event.incident_id)
    run(ctx, AssignRole(incident_id=incident, role="governance_steward", holder="erin"), "alice")
    return incident


def test_admin_index_links_every_screen_and_nav_has_admin(web: WebClient) -> None:
    text = web.get("/admin").text
    for path in ("/admin/users", "/admin/tokens", "/admin/exceptions", "/admin/reviews"):
        assert f'href="{path}"' in text
    assert '<a href="/admin"' in web.get("/incidents").text


def test_an_admin_adds_and_updates_a_user(web: WebClient, ctx: Context) -> None:
    added = web.post("/admin/users", {"name": "carol", "role": ["responder"]})
    assert added.status_code == 303
    listing = web.get("/admin/users").text
    assert 'id="user-carol"' in listing
    changed = web.post(
        "/admin/users/carol", {"role": ["responder", "security"], "clearance": ["sensitive"]}
    )
    assert changed.status_code == 303
    from fireline.governance import get_user

    with ctx.engine.connect() as conn:
        carol = get_user(conn, "carol")
    assert carol is not None
    assert (carol.roles, carol.clearances) == (["responder", "security"], ["sensitive"])


def test_a_non_admin_is_refused_beside_the_button_and_nothing_is_written(
    web: WebClient, ctx: Context
) -> None:
    web.as_("bob")
    before = snapshot(ctx.engine)
    refused = web.post("/admin/users", {"name": "carol", "role": ["responder"]})
    assert refused.status_code == 403
    assert error_beside(refused.text, "add") == (
        "only an admin may change the user registry (bob is not one)"
    )
    assert 'value="carol"' in refused.text  # what was typed is kept
    again = web.post("/admin/users/erin", {"role": ["admin"]})
    assert again.status_code == 403
    assert "only an admin" in error_beside(again.text, "user-erin")
    assert snapshot(ctx.engine) == before


def test_bad_registry_input_is_one_line_beside_the_control(web: WebClient, ctx: Context) -> None:
    before = snapshot(ctx.engine)
    no_role = web.post("/admin/users", {"name": "carol"})
    assert no_role.status_code == 422
    assert error_beside(no_role.text, "add").startswith("give carol at least one --role")
    unknown = web.post("/admin/users/nobody", {"role": ["responder"]})
    assert unknown.status_code == 404
    assert in_summary(unknown.text, "page").startswith("no user nobody")
    assert snapshot(ctx.engine) == before


def test_a_token_is_shown_once_listed_without_its_text_and_revoked(
    web: WebClient, ctx: Context
) -> None:
    made = web.post("/admin/tokens", {"name": "ci-freeze", "scope": "read", "expires": "30d"})
    assert made.status_code == 201
    text = re.search(r'id="new-token" class="secret" readonly value="(fl_[^"]+)"', made.text)
    assert text is not None
    token = text.group(1)
    listing = web.get("/admin/tokens").text
    assert token not in listing
    with ctx.engine.connect() as conn:
        (token_id,) = conn.execute(
            sa.select(api_tokens.c.id).where(api_tokens.c.name == "ci-freeze")
        ).scalars()
    assert f'id="token-{token_id}"' in listing
    # The token works against the API, until revoked from the page.
    headers = {"Authorization": f"Bearer {token}"}
    assert web.client.get("/api/v1/incidents", headers=headers).status_code == 200
    revoked = web.post(f"/admin/tokens/{token_id}/revoke")
    assert revoked.status_code == 303
    assert web.client.get("/api/v1/incidents", headers=headers).status_code == 401


def test_everyone_sees_their_own_tokens_and_an_admin_everyones(
    web: WebClient, ctx: Context
) -> None:
    issue_token(
        ctx, ActorId("bob"), user="bob", name="bobs-ci", scope="read", expires_in=timedelta(days=1)
    )
    issue_token(
        ctx,
        ActorId("erin"),
        user="erin",
        name="erins-ci",
        scope="read",
        expires_in=timedelta(days=1),
    )
    everyone = web.get("/admin/tokens").text  # alice is a registry admin
    assert "Everyone's tokens" in everyone
    assert "bobs-ci" in everyone
    assert "erins-ci" in everyone
    web.as_("bob")
    own = web.get("/admin/tokens").text
    assert "Your tokens" in own
    assert "bobs-ci" in own
    assert "erins-ci" not in own
    with ctx.engine.connect() as conn:
        (erins,) = conn.execute(
            sa.select(api_tokens.c.id).where(api_tokens.c.name == "erins-ci")
        ).scalars()
    before = snapshot(ctx.engine)
    refused = web.post(f"/admin/tokens/{erins}/revoke")
    assert refused.status_code == 404
    assert in_summary(refused.text, "page") == f"no token {erins}"
    assert snapshot(ctx.engine) == before


def test_an_admin_token_from_a_session_needs_the_password(web: WebClient, ctx: Context) -> None:
    from tests.webclient import PASSWORD

    before = snapshot(ctx.engine)
    asked = web.post("/admin/tokens", {"name": "ops", "scope": "admin"})
    assert asked.status_code == 403
    assert "needs your password" in error_beside(asked.text, "password")
    wrong = web.post("/admin/tokens", {"name": "ops", "scope": "admin", "password": "nope"})
    assert wrong.status_code == 401
    assert error_beside(wrong.text, "password") == "wrong user name or password"
    bad = web.post("/admin/tokens", {"name": "ops", "scope": "read", "expires": "soon"})
    assert bad.status_code == 422
    assert "expires" in error_beside(bad.text, "expires")
    assert snapshot(ctx.engine)["events"] == before["events"]  # the throttle counts, no event
    made = web.post("/admin/tokens", {"name": "ops", "scope": "admin", "password": PASSWORD})
    assert made.status_code == 201
    assert "admin scope" in made.text


def test_gate_exceptions_are_approved_by_the_other_party_and_refused_to_others(
    web: WebClient, ctx: Context
) -> None:
    incident = declare_flagged(ctx)
    run(
        ctx,
        RequestGateException(incident_id=incident, gate="resolved", justification="ok"),
        "alice",
    )
    web.as_("erin")
    text = web.get("/admin/exceptions").text
    found = re.search(rf"/admin/exceptions/{incident}/(\d+)/approve", text)
    assert found is not None
    assert "Still needed: governance_steward" in text
    seq = found.group(1)
    web.as_("bob")
    assert incident not in web.get("/admin/exceptions").text  # restricted: bob has no role
    hidden = web.post(f"/admin/exceptions/{incident}/{seq}/approve")
    missing = web.post(f"/admin/exceptions/INC-20000101-001/{seq}/approve")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(incident, "X") == missing.text.replace("INC-20000101-001", "X")
    web.as_("alice")
    twice = web.post(f"/admin/exceptions/{incident}/{seq}/approve")
    assert twice.status_code == 422
    assert "already" in error_beside(twice.text, f"approve-{incident}-{seq}")
    web.as_("erin")
    assert web.post(f"/admin/exceptions/{incident}/{seq}/approve").status_code == 303
    assert "No gate exception awaits approval" in web.get("/admin/exceptions").text


def test_the_steward_signs_off_the_review_and_others_are_told_why_not(
    web: WebClient, ctx: Context
) -> None:
    incident = declare_flagged(ctx)
    refused = web.post(f"/admin/reviews/{incident}", {"outcome": "looks fine"})  # alice
    assert refused.status_code == 403
    assert error_beside(refused.text, f"review-{incident}") == (
        "only a steward may sign off a governance review (alice is not one)"
    )
    assert "looks fine" in refused.text
    assert "governance.reviewed" not in _kinds(ctx, incident)
    web.as_("erin")
    assert "Awaiting the steward" in web.get("/admin/reviews").text
    assert web.post(f"/admin/reviews/{incident}", {"outcome": "fails closed"}).status_code == 303
    assert "Signed off" in web.get("/admin/reviews").text
    assert _kinds(ctx, incident).count("governance.reviewed") == 1


def test_breakglass_grant_shows_its_expiry_and_the_ic_revokes_it(
    web: WebClient, ctx: Context
) -> None:
    incident = declare_flagged(ctx)
    granted = web.post(
        "/admin/breakglass",
        {
            "incident": incident,
            "to": "bob",
            "scope": "prod-db read",
            "why": "restore",
            "expires": "2h",
        },
    )
    assert granted.status_code == 303
    text = web.get("/admin/breakglass").text
    assert "ACTIVE" in text
    assert "prod-db read" in text
    found = re.search(rf"/admin/breakglass/{incident}/(\d+)/revoke", text)
    assert found is not None
    web.as_("erin")
    refused = web.post(f"/admin/breakglass/{incident}/{found.group(1)}/revoke")
    assert refused.status_code == 403
    assert error_beside(refused.text, f"revoke-{incident}-{found.group(1)}").startswith(
        "only the incident commander (alice) may revoke breakglass access"
    )
    web.as_("alice")
    assert (
        web.post(
            f"/admin/breakglass/{incident}/{found.group(1)}/revoke", {"reason": "done"}
        ).status_code
        == 303
    )
    assert "revoked" in web.get("/admin/breakglass").text


def test_breakglass_bad_input_is_refused_beside_its_field(web: WebClient, ctx: Context) -> None:
    incident = declare_flagged(ctx)
    fields = {"incident": incident, "to": "bob", "scope": "s", "why": "w"}
    long = web.post("/admin/breakglass", {**fields, "expires": "8d"})
    assert long.status_code == 422
    assert error_beside(long.text, "grant") == "--expires must be more than 0 and at most 7 days"
    bad = web.post("/admin/breakglass", {**fields, "expires": "later"})
    assert bad.status_code == 422
    assert "expires" in error_beside(bad.text, "expires")
    wrong = web.post("/admin/breakglass", {**fields, "incident": "nope", "expires": "1h"})
    assert wrong.status_code == 422
    assert "nope" in error_beside(wrong.text, "incident")
    assert _kinds(ctx, incident).count("breakglass.granted") == 0


def _kinds(ctx: Context, incident: str) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(
            conn.execute(sa.select(events.c.kind).where(events.c.incident_id == incident)).scalars()
        )
