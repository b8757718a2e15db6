"""The incidents board and the declare form: order, filters, search, the closed view's paging,
need-to-know in every count, refusals beside their control, and hostile input."""

from __future__ import annotations

import re

import pytest

from fireline.commands import Declare, Transition
from fireline.domain import ActorId, IncidentId
from fireline.service import Context, execute
from tests.conftest import Clock, Store
from tests.hostile import ALL, assert_inert
from tests.webclient import add_user, count_events, web_client

pytestmark = pytest.mark.adapter

SECRET_TITLE = "Sitemap leak of partner contract"


def declare(ctx: Context, title: str, severity: str = "SEV2", **kw: object) -> IncidentId:
    command = Declare(title=title, severity=severity, ic=str(kw.pop("ic", "alice")), **kw)  # type: ignore[arg-type]
    return IncidentId(execute(command, ActorId("alice"), ctx=ctx)[0].incident_id)


@pytest.fixture
def people(ctx: Context) -> Context:
    add_user(ctx, "alice", ("commander",))
    add_user(ctx, "bob", ("responder",))
    return ctx


def titles(html: str) -> list[str]:
    return re.findall(r'<a href="/incidents/INC-[0-9-]+">([^<]*)</a>', html)


def test_the_board_lists_open_incidents_worst_first_with_due_and_labels(
    store: Store, people: Context, clock: Clock
) -> None:
    declare(people, "minor blip", "SEV3")
    declare(people, "search down", "SEV1", labels=("internal",))
    declare(people, "partial outage", "SEV2")
    with web_client(store, clock=clock) as web:
        html = web.get("/incidents").text
    assert titles(html) == ["search down", "partial outage", "minor blip"]
    assert "3 incidents" in html
    assert 'class="badge">internal</span>' in html
    assert "data-due=" in html
    assert re.search(r"in \d+m", html)


def test_overdue_updates_say_so_in_words(store: Store, people: Context, clock: Clock) -> None:
    declare(people, "search down", "SEV1")
    clock.advance(hours=2)
    with web_client(store, clock=clock) as web:
        html = web.get("/incidents").text
    assert re.search(r'class="overdue">overdue by 1h \d\dm', html)


def test_filters_and_title_search(store: Store, people: Context, clock: Clock) -> None:
    declare(people, "search down", "SEV1")
    declare(people, "checkout slow", "SEV2", labels=("internal",))
    declare(people, "bobs pager", "SEV3", ic="bob")
    with web_client(store, clock=clock) as web:
        assert titles(web.get("/incidents?severity=SEV2").text) == ["checkout slow"]
        assert titles(web.get("/incidents?label=internal").text) == ["checkout slow"]
        assert titles(web.get("/incidents?q=SEARCH").text) == ["search down"]
        assert titles(web.get("/incidents?status=investigating").text) == []
        web.as_("bob")
        assert titles(web.get("/incidents?mine=true").text) == ["bobs pager"]


def test_the_closed_view_pages(store: Store, people: Context, clock: Clock) -> None:
    from tests.factories import check_definitions_of_done, meet_gates

    for n in range(3):
        inc = declare(people, f"done {n}", "SEV3")
        meet_gates(people, inc)
        check_definitions_of_done(people, inc)
        execute(Transition(incident_id=inc, status="resolved"), ActorId("alice"), ctx=people)
    declare(people, "still open", "SEV3")
    with web_client(store, clock=clock) as web:
        first = web.get("/incidents?view=closed&per_page=2").text
        second = web.get("/incidents?view=closed&per_page=2&page=2").text
    assert "still open" not in first + second
    assert titles(first) == ["done 2", "done 1"]  # newest first
    assert titles(second) == ["done 0"]
    assert "page 1 of 2" in first
    assert 'rel="next"' in first
    assert 'href="/incidents?view=closed&amp;per_page=2&amp;page=1" rel="prev"' in second


def test_a_restricted_incident_is_nowhere_for_someone_without_a_role(
    store: Store, people: Context, clock: Clock
) -> None:
    hidden = declare(people, SECRET_TITLE, "SEV1", labels=("restricted",))
    declare(people, "public one", "SEV2")
    with web_client(store, clock=clock) as web:
        assert SECRET_TITLE in web.get("/incidents").text
        web.as_("bob")
        before = count_events(people)
        pages = [
            web.get("/incidents"),
            web.get("/incidents?q=Sitemap"),
            web.get("/incidents?label=restricted"),
            web.get("/incidents?severity=SEV1"),
        ]
        room = web.get(f"/incidents/{hidden}")
        missing = web.get("/incidents/INC-20991231-999")
    for response in pages:
        assert SECRET_TITLE not in response.text
        assert hidden not in response.text
    assert "1 incident<" in pages[0].text
    assert "0 incidents" in pages[1].text
    assert room.status_code == missing.status_code == 404
    assert room.text.replace(hidden, "X") == missing.text.replace("INC-20991231-999", "X")
    assert SECRET_TITLE not in room.text
    assert count_events(people) == before  # nothing about it was recorded as read by bob


def test_declare_form_shows_the_ladder_and_the_seed_block(
    store: Store, people: Context, clock: Clock
) -> None:
    with web_client(store, clock=clock) as web:
        html = web.get("/incidents/new").text
    assert "updates every 30 min" in html
    assert "&lt; 30 min to mitigation attempt" in html
    assert "needs ic, tech_lead, comms, scribe" in html
    assert "DECLARING SEV? INCIDENT" in html
    assert "IC: alice" in html


def test_declaring_redirects_to_the_room(store: Store, people: Context, clock: Clock) -> None:
    with web_client(store, clock=clock) as web:
        response = web.post(
            "/incidents/new",
            data={
                "title": "Catalog API 5xx spike",
                "severity": "SEV1",
                "impact": "search down",
                "systems": "api, search",
                "labels": ["restricted"],
                "ic": "alice",
            },
        )
        assert response.status_code == 303
        room = web.get(response.headers["location"])
    assert room.status_code == 200
    assert "Catalog API 5xx spike" in room.text


def test_a_refused_declaration_shows_why_beside_the_field_and_writes_nothing(
    store: Store, people: Context, clock: Clock
) -> None:
    with web_client(store, clock=clock) as web:
        before = count_events(people)
        response = web.post(
            "/incidents/new", data={"title": "x", "severity": "SEV9", "ic": "alice"}
        )
    assert response.status_code == 422
    assert 'id="severity-error"' in response.text
    assert "SEV9" in response.text
    assert count_events(people) == before
    assert 'value="x"' in response.text  # what was typed is kept


def test_hostile_titles_are_inert_on_the_board_and_the_form(
    store: Store, people: Context, clock: Clock
) -> None:
    declare(people, ALL, "SEV2")
    with web_client(store, clock=clock) as web:
        board = web.get("/incidents").text
        refused = web.post("/incidents/new", data={"title": ALL, "severity": "nope"}).text
    assert_inert(board)
    assert_inert(refused)


def test_drills_are_marked_and_filtered(store: Store, people: Context, clock: Clock) -> None:
    declare(people, "real outage", "SEV2")
    with web_client(store, clock=clock) as web:
        made = web.post(
            "/incidents/new",
            data={"title": "game day", "severity": "SEV2", "ic": "alice", "drill": "1"},
        )
        assert made.status_code == 303
        everything = web.get("/incidents").text
        only = titles(web.get("/incidents?drill=only").text)
        hidden = titles(web.get("/incidents?drill=hide").text)
    assert 'class="badge drill">DRILL</span>' in everything
    assert only == ["game day"]
    assert hidden == ["real outage"]
