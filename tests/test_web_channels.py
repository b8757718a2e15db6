"""The Channels page: admins list, add, subscribe and remove; secrets never shown; refusals
beside their control; non-admins refused; hostile input inert."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fireline.db import channel_secrets, channels, events
from fireline.service import Context
from fireline.web.nav import links
from tests.conftest import Store
from tests.hostile import ALL, assert_inert
from tests.webclient import add_user, web_client

pytestmark = pytest.mark.adapter

URL = "https://hooks.slack.com/services/T000/B000/pathIsTheSecret"


def count_events(ctx: Context) -> int:
    """Channel and subscription events (logging in records a token of its own)."""
    with ctx.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(
            sa.or_(events.c.kind.like("channel.%"), events.c.kind.like("subscription.%"))
        )
        return int(conn.execute(query).scalar_one())


def test_an_admin_adds_subscribes_and_removes_a_channel_and_never_sees_its_url(
    store: Store, ctx: Context
) -> None:
    add_user(ctx, "alice", ("admin",))
    assert any(link.href == "/channels" for link in links())
    with web_client(store) as web:
        added = web.post("/channels", data={"name": "ops-slack", "kind": "slack", "url": URL})
        assert added.status_code == 303, added.text
        hooked = web.post(
            "/channels", data={"name": "siem", "kind": "webhook", "url": "https://siem.example/in"}
        )
        assert hooked.status_code == 200
        assert "shown this once" in hooked.text
        assert "whsec_" in hooked.text
        subscribed = web.post(
            "/channels/subscriptions",
            data={"channel": "ops-slack", "events": ["declared", "update"], "severities": "SEV1"},
        )
        assert subscribed.status_code == 303, subscribed.text
        shown = web.get("/channels")
        assert shown.status_code == 200
        assert "hooks.slack.com" in shown.text
        assert "declared, update (SEV1)" in shown.text
        assert "pathIsTheSecret" not in shown.text
        assert "whsec_" not in shown.text  # the signing key was shown once only
        removed = web.post("/channels/siem/remove")
        assert removed.status_code == 303
    with ctx.engine.connect() as conn:
        assert [r.name for r in conn.execute(sa.select(channels))] == ["ops-slack"]
        assert [r.name for r in conn.execute(sa.select(channel_secrets))] == ["ops-slack"]


def test_a_bad_channel_is_refused_beside_the_form_and_nothing_is_written(
    store: Store, ctx: Context
) -> None:
    add_user(ctx, "alice", ("admin",))
    before = count_events(ctx)
    with web_client(store) as web:
        bad = web.post(
            "/channels", data={"name": "ops", "kind": "slack", "url": "http://x.example/"}
        )
        assert bad.status_code == 422
        assert "must use https" in bad.text
        assert 'role="alert"' in bad.text
        hostile = web.post("/channels", data={"name": ALL, "kind": "slack", "url": URL})
        assert hostile.status_code == 422
        assert_inert(hostile.text)
        sub = web.post("/channels/subscriptions", data={"channel": "nope", "events": ["declared"]})
        assert sub.status_code == 404
    assert count_events(ctx) == before


def test_a_responder_may_not_see_or_change_channels(store: Store, ctx: Context) -> None:
    add_user(ctx, "alice", ("admin",))
    add_user(ctx, "bob", ("responder",))
    before = count_events(ctx)
    with web_client(store, user="bob") as web:
        listing = web.get("/channels")
        assert listing.status_code == 403
        assert "only an admin may manage notification channels" in listing.text
        added = web.post("/channels", data={"name": "ops", "kind": "slack", "url": URL})
        assert added.status_code == 403
    assert count_events(ctx) == before
