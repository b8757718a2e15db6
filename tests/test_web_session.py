"""Web sessions: the login form, the cookie's flags, CSRF on every post, logout revoking the
token, the one-time password, the page CSP, and the API believing the cookie only with its
CSRF header."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from fireline import accounts
from fireline.api.cookies import CSRF_HEADER, SESSION_COOKIE
from fireline.commands import AddUser, Declare
from fireline.db import events
from fireline.domain import ActorId
from fireline.service import Context, Identity, execute
from tests.conftest import Store
from tests.hostile import ALL, assert_inert
from tests.webclient import PASSWORD, add_user, count_events, csrf_of, web_client

pytestmark = pytest.mark.adapter


@pytest.fixture
def alice(ctx: Context) -> Context:
    add_user(ctx, "alice", ("commander",))
    return ctx


def test_a_page_without_a_session_redirects_to_the_login(store: Store, alice: Context) -> None:
    with web_client(store, user=None) as web:
        response = web.get("/incidents?status=open")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fincidents%3Fstatus%3Dopen"


def test_login_sets_an_httponly_strict_cookie_and_lands_on_next(
    store: Store, alice: Context
) -> None:
    with web_client(store, user=None) as web:
        form = web.get("/login?next=/incidents/new")
        response = web.client.post(
            "/login",
            data={
                "user": "alice",
                "password": PASSWORD,
                "next": "/incidents/new",
                "csrf": csrf_of(form.text),
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/incidents/new"
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
        )
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Secure" not in cookie  # plain HTTP, web_secure_cookie off
        assert "Max-Age=43200" in cookie
        listed = web.get("/incidents")
    assert listed.status_code == 200
    assert "Signed in as <strong>alice</strong>" in listed.text


def test_login_refuses_a_foreign_next(store: Store, alice: Context) -> None:
    with web_client(store, user=None) as web:
        form = web.get("/login")
        response = web.client.post(
            "/login",
            data={"user": "alice", "password": PASSWORD, "next": "//evil.example/x"}
            | {"csrf": csrf_of(form.text)},
        )
    assert response.headers["location"] == "/incidents"


def test_a_wrong_password_is_shown_beside_the_field_and_writes_nothing(
    store: Store, alice: Context
) -> None:
    before = count_events(alice)
    with web_client(store, user=None) as web:
        response = web.login("alice", "not it")
    assert response.status_code == 401
    assert 'id="password-error"' in response.text
    assert "wrong user name or password" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert count_events(alice) == before


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(
    store: Store, alice: Context
) -> None:
    with web_client(store) as web:
        before = count_events(alice)
        response = web.client.post("/logout", data={})
        forged = web.client.post("/logout", data={"csrf": "0" * 40})
        still = web.get("/incidents")
    assert response.status_code == forged.status_code == 403
    assert "reload the page" in response.text
    assert still.status_code == 200
    assert count_events(alice) == before


def test_a_login_post_without_its_form_cookie_is_refused(store: Store, alice: Context) -> None:
    with web_client(store, user=None) as web:
        response = web.client.post("/login", data={"user": "alice", "password": PASSWORD})
    assert response.status_code == 403


def test_logout_revokes_the_session_token(store: Store, alice: Context) -> None:
    with web_client(store) as web:
        session = web.client.client.cookies[SESSION_COOKIE]
        response = web.post("/logout")
        assert response.status_code == 303
        web.client.client.cookies.set(SESSION_COOKIE, session)
        again = web.get("/incidents")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login")
    with alice.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(sa.select(events.c.kind))]
    assert kinds[-1] == "token.revoked"


def test_a_one_time_password_is_replaced_at_the_first_login(store: Store, ctx: Context) -> None:
    execute(AddUser(name="root", roles=("admin",)), ActorId("root"), ctx=ctx)
    execute(AddUser(name="dana", roles=("responder",)), ActorId("root"), ctx=ctx)
    accounts.set_password(ctx, Identity(ActorId("root")), "dana", "one-time-pass")
    with web_client(store, user=None) as web:
        first = web.login("dana", "one-time-pass")
        assert first.status_code == 403
        assert 'name="new_password"' in first.text
        form = web.get("/login")
        second = web.client.post(
            "/login",
            data={
                "user": "dana",
                "password": "one-time-pass",
                "new_password": "a much better one",
                "csrf": csrf_of(form.text),
            },
        )
        assert second.status_code == 303
        assert web.login("dana", "a much better one").status_code == 303


def test_pages_carry_a_csp_without_unsafe_inline_and_no_inline_code(
    store: Store, alice: Context
) -> None:
    with web_client(store) as web:
        pages = [web.get("/incidents"), web.get("/login"), web.get("/no/such/page")]
    for response in pages:
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp
        assert "script-src 'self'" in csp
        assert "<script>" not in response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text)
        assert " style=" not in response.text
        assert not re.search(r"\son[a-z]+=", response.text)
    assert pages[2].status_code == 404
    assert "text/html" in pages[2].headers["content-type"]


def test_hostile_titles_are_inert_in_the_list(store: Store, alice: Context) -> None:
    execute(Declare(title=ALL, severity="SEV2", ic="alice"), ActorId("alice"), ctx=alice)
    with web_client(store) as web:
        html = web.get("/incidents").text
    assert_inert(html)
    assert "&lt;script&gt;" in html
    assert "\\u202e" in html


def test_the_api_believes_the_cookie_only_with_its_csrf_header(
    store: Store, alice: Context
) -> None:
    with web_client(store) as web:
        alone = web.get("/api/v1/incidents")
        paired = web.get("/api/v1/incidents", headers={CSRF_HEADER: web.csrf})
    assert alone.status_code == 401
    assert paired.status_code == 200


def test_the_secure_flag_is_set_when_configured(store: Store, alice: Context) -> None:
    import dataclasses

    settings = dataclasses.replace(store.settings, web_secure_cookie=True)
    with web_client(Store(settings, store.env, store.backend), user=None) as web:
        form = web.get("/login")
    cookie = form.headers["set-cookie"]
    assert cookie.startswith("fireline_login_csrf=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
