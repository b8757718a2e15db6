"""The public status page: only public updates of public incidents, in the 004 wording; never a
restricted incident, a title or internal text; HTML, Atom and Statuspage v2 JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest

from fireline.api.app import create_app
from fireline.commands import Declare, PublishUpdate, Transition
from fireline.domain import IncidentId
from fireline.errors import PolicyDeniedError
from fireline.service import Context, open_context
from fireline.statuspage.components import Component
from tests.conftest import Clock, Store
from tests.factories import meet_gates, run
from tests.inprocess import ApiClient, running

pytestmark = pytest.mark.adapter

PUBLIC_TITLE = "Codename BLUEFIN shard 7 wedged"
RESTRICTED_TITLE = "RESTRICTED leak of partner dataset"
INTERNAL_FACT = "db-primary-7 ran out of inodes"
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
COMPONENTS = (
    Component("api", "Catalog API", ("api",), "Search and browse"),
    Component("web", "Website", ("web",)),
)


@pytest.fixture
def public_ctx(store: Store, clock: Clock) -> Iterator[Context]:
    settings = dataclasses.replace(store.settings, components=COMPONENTS)
    context = open_context(settings, clock=clock)
    yield context
    context.close()


@pytest.fixture
def client(public_ctx: Context, clock: Clock) -> Iterator[ApiClient]:
    with running(create_app(public_ctx.settings, clock=clock)) as api:
        yield api


def declare_scenario(ctx: Context) -> dict[str, IncidentId]:
    public = IncidentId(
        run(
            ctx,
            Declare(
                title=PUBLIC_TITLE,
                severity="SEV1",
                ic="alice",
                systems=("api",),
                impact="internal: shard 7",
            ),
        )[0].incident_id
    )
    run(ctx, PublishUpdate(incident_id=public, facts=(INTERNAL_FACT,), impact="internal only"))
    run(
        ctx,
        PublishUpdate(incident_id=public, impact="Search results may fail to load", public=True),
    )
    restricted = IncidentId(
        run(
            ctx,
            Declare(
                title=RESTRICTED_TITLE,
                severity="SEV0",
                ic="alice",
                systems=("api",),
                labels=("restricted",),
            ),
        )[0].incident_id
    )
    run(ctx, PublishUpdate(incident_id=restricted, impact="partner data exposed"))
    return {"public": public, "restricted": restricted}


def forbidden_text(body: str) -> list[str]:
    return [
        t
        for t in (
            PUBLIC_TITLE,
            RESTRICTED_TITLE,
            INTERNAL_FACT,
            "internal only",
            "partner data exposed",
            "alice",
        )
        if t in body
    ]


def test_status_page_shows_only_public_updates_in_the_004_wording(
    public_ctx: Context, client: ApiClient
) -> None:
    ids = declare_scenario(public_ctx)
    page = client.get("/status")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]
    assert "style-src 'self'" in page.headers["content-security-policy"]
    text = page.text
    assert (
        "We are investigating an issue impacting Catalog API. Search results may fail to load. "
        "Next update in 30 minutes." in text
    )
    assert forbidden_text(text) == []
    assert ids["restricted"] not in text
    summary = client.get("/status/api/v2/summary.json").json()
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert [(c["id"], c["status"]) for c in summary["components"]] == [
        ("api", "partial_outage"),
        ("web", "operational"),
    ]
    assert [i["id"] for i in summary["incidents"]] == [ids["public"]]
    incident = summary["incidents"][0]
    assert incident["name"] == "Issue impacting Catalog API"
    assert incident["status"] == "investigating"
    assert incident["impact"] == "major"
    assert [u["status"] for u in incident["incident_updates"]] == ["investigating"]
    for path in ("incidents.json", "components.json"):
        answer = client.get(f"/status/api/v2/{path}")
        assert answer.status_code == 200
        assert forbidden_text(answer.text) == []
    feed = client.get("/status/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1
    assert forbidden_text(feed.text) == []


def test_status_page_escapes_hostile_public_text(public_ctx: Context, client: ApiClient) -> None:
    ids = declare_scenario(public_ctx)
    run(public_ctx, PublishUpdate(incident_id=ids["public"], impact=HOSTILE, public=True))
    text = client.get("/status").text
    assert "<script>" not in text
    assert "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    feed = client.get("/status/feed.atom")
    ET.fromstring(feed.content)  # still well-formed
    assert "<script>" not in feed.text


def test_status_page_follows_resolution_and_counts_uptime(
    public_ctx: Context, client: ApiClient, clock: Clock
) -> None:
    ids = declare_scenario(public_ctx)
    assert "No past incidents in the last 90 days." in client.get("/status").text
    meet_gates(public_ctx, ids["public"])
    clock.advance(hours=2)
    for status in ("mitigated", "resolved"):
        run(public_ctx, Transition(incident_id=ids["public"], status=status))
    summary = client.get("/status/api/v2/summary.json").json()
    assert summary["incidents"] == []
    assert summary["status"]["indicator"] == "none"
    assert summary["components"][0]["status"] == "operational"
    past = client.get("/status/api/v2/incidents.json").json()["incidents"]
    assert [u["status"] for u in past[0]["incident_updates"]] == ["resolved", "investigating"]
    assert (
        past[0]["incident_updates"][0]["body"]
        == "The issue impacting Catalog API has been resolved."
    )
    text = client.get("/status").text
    assert "No current incidents." in text
    # About 2 h of 90 days affected: 99.9 % uptime for the API, 100 % for the website.
    assert "99.91% uptime" in text
    assert "100.00% uptime" in text


def test_public_updates_only_by_the_ic_or_comms_lead_and_never_restricted(
    public_ctx: Context,
) -> None:
    ids = declare_scenario(public_ctx)
    with pytest.raises(
        PolicyDeniedError,
        match="only the comms lead or the incident commander may publish an update",
    ):
        run(public_ctx, PublishUpdate(incident_id=ids["public"], impact="x", public=True), "bob")
    with pytest.raises(PolicyDeniedError, match="restricted: its updates never go on the public"):
        run(public_ctx, PublishUpdate(incident_id=ids["restricted"], impact="x", public=True))


def test_status_routes_need_no_login_and_api_routes_still_do(client: ApiClient) -> None:
    assert client.get("/status").status_code == 200
    assert client.get("/status/status.css").headers["content-type"].startswith("text/css")
    assert client.get("/api/v1/metrics").status_code == 401
    assert client.get("/api/v1/drills/due").status_code == 401


def test_response_gauges_on_metrics(public_ctx: Context, client: ApiClient) -> None:
    declare_scenario(public_ctx)
    body = client.get("/metrics").text
    assert 'fireline_incidents_30d{severity="SEV1"} 1.0' in body
    assert 'fireline_incidents_30d{severity="all"} 2.0' in body
    assert (
        'fireline_response_seconds_30d{measure="acknowledge",quantile="0.5",severity="SEV0"} 0.0'
        in body
    )
    assert RESTRICTED_TITLE not in body
