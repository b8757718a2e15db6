"""The metrics and drills pages on the web skeleton: figures, the SVG chart, the drill form."""

from __future__ import annotations

import pytest

from fireline.commands import Declare
from fireline.service import Context
from tests.conftest import Store
from tests.factories import run
from tests.hostile import ALL as HOSTILE
from tests.webclient import add_user, web_client

pytestmark = pytest.mark.adapter


def test_metrics_page_shows_the_figures_and_an_svg_chart(store: Store, ctx: Context) -> None:
    add_user(ctx, "alice")
    run(ctx, Declare(title="Checkout down", severity="SEV1", ic="alice"))
    run(ctx, Declare(title="Tabletop", severity="SEV1", ic="alice", drill=True))
    with web_client(store) as web:
        page = web.get("/reports/metrics?since=2026-01-01&until=2027-01-01")
        assert page.status_code == 200
        assert '<th scope="row">SEV1</th>' in page.text
        assert "1 (1 open)" in page.text  # the drill is not counted
        chart = web.get("/reports/metrics/chart.svg?since=2026-01-01&until=2027-01-01")
        assert chart.headers["content-type"] == "image/svg+xml"
        assert chart.text.startswith("<svg")
        bad = web.get("/reports/metrics?since=2026-02-30")
        assert bad.status_code == 422
        assert "malformed --since" in bad.text
        empty = web.get("/reports/metrics?since=2020-01-01&until=2020-02-01")
        assert "no incidents declared from 2020-01-01" in empty.text


def test_drills_page_records_a_drill_and_shows_refusals(store: Store, ctx: Context) -> None:
    add_user(ctx, "alice")
    inc = run(ctx, Declare(title="Q4 tabletop", severity="SEV2", ic="alice", drill=True))[
        0
    ].incident_id
    with web_client(store) as web:
        assert "Tabletop: availability scenario" in web.get("/drills").text
        done = web.post(
            "/drills",
            data={
                "incident": inc,
                "kind": "tabletop-availability",
                "outcome": "went well",
                "findings": "write the DNS step\nfix paging",
            },
        )
        assert done.status_code == 303
        page = web.get("/drills").text
        assert f"{inc}</a> " in page
        assert "went well" in page
        assert "(2 finding(s) as action items)" in page
        refused = web.post("/drills", data={"incident": inc, "kind": "nope", "outcome": HOSTILE})
        assert refused.status_code == 422
        assert "unknown drill kind" in refused.text
        assert "<script>" not in refused.text
        missing = web.post(
            "/drills", data={"incident": "INC-20200101-001", "kind": "nope", "outcome": "x"}
        )
        assert missing.status_code == 404
