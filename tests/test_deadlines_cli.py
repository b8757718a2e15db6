"""`fireline obligations`, `obligation meet`, `deadlines tick`, and the countdown `list` and
`show` print, in-process against a real store; every refusal one line, nothing written."""

from __future__ import annotations

import json

import pytest

from fireline.commands import Declare
from fireline.domain import ActorId
from fireline.service import Context, execute
from tests.conftest import Cli, Store
from tests.test_cli import ok, refuse

pytestmark = [
    pytest.mark.adapter,
    pytest.mark.slow,
]  # each CLI run opens the store and compiles the policy


@pytest.fixture
def classic(monkeypatch: pytest.MonkeyPatch, store: Store) -> Store:
    monkeypatch.setenv("FIRELINE_LADDER", "classic")
    return store


def test_obligations_list_meet_and_tick(cli: Cli, classic: Store) -> None:
    inc = ok(cli, "declare", "Checkout down", "--sev", "SEV1").strip()
    ok(cli, "role", "assign", inc, "comms", "carol")
    text = ok(cli, "obligations", inc)
    assert "response         OPEN (in 14 min)" in text
    assert "customer-notice  OPEN (in 29 min)" in text
    assert "war room within 15 min" in text
    shown = ok(cli, "show", inc)
    assert "Next update due" in shown
    assert "(in 29 min)" in shown
    assert "Obligations: response OPEN (in 14 min), customer-notice OPEN (in 29 min)" in shown
    assert "update in 29 min" in ok(cli, "list")
    met = ok(cli, "obligation", "meet", inc, "customer-notice", "--evidence", "status page #12")
    assert met == f"{inc} event 5: obligation.met\n"
    assert "nothing due" in ok(cli, "deadlines", "tick")
    rows = json.loads(ok(cli, "obligations", inc, "--format", "json"))["obligations"]
    notice = next(r for r in rows if r["name"] == "customer-notice")
    assert (notice["status"], notice["met_by"], notice["evidence"]) == (
        "met",
        "tester",
        "status page #12",
    )
    assert "met" in ok(cli, "obligations", inc)


def test_bad_input_is_one_line_and_writes_nothing(cli: Cli, classic: Store) -> None:
    inc = ok(cli, "declare", "Checkout down", "--sev", "SEV1").strip()
    ok(cli, "obligation", "meet", inc, "response", "--evidence", "bridge open")
    meet = ("obligation", "meet", inc)
    refuse(cli, classic, (*meet, "response", "--evidence", "again"), 2, "was already met")
    refuse(cli, classic, (*meet, "nope", "--evidence", "x"), 3, "no obligation 'nope'")
    refuse(cli, classic, (*meet, "customer-notice", "--evidence", ""), 2, "must not be empty")
    refuse(cli, classic, (*meet, "customer-notice", "--evidence", "x", "--at", "soon"), 2, "--at")
    refuse(cli, classic, ("deadlines", "tick", "--now", "2999-01-01T00:00Z"), 2, "ahead of")
    refuse(cli, classic, ("deadlines", "tick", "--now", "tuesday"), 2, "malformed --now")
    refuse(cli, classic, ("obligations", "INC-20991231-999"), 3, "no incident")


def test_a_tick_catches_up_over_a_long_silence_in_bounded_steps(
    cli: Cli, classic: Store, ctx: Context
) -> None:
    """Declared on the test clock (days ago): each tick records at most 200 missed slots and
    the missed obligations; the chain still verifies."""
    from dataclasses import replace

    from fireline.ladders import PRESETS

    ctx.settings = replace(ctx.settings, ladder=PRESETS["classic"])
    inc = execute(Declare(title="Silent", severity="SEV1"), ActorId("tester"), ctx=ctx)[0]
    first = ok(cli, "deadlines", "tick").splitlines()
    assert sum("update.overdue" in line for line in first) == 200
    assert sum("obligation.missed" in line for line in first) == 2
    second = ok(cli, "deadlines", "tick").splitlines()
    assert sum("update.overdue" in line for line in second) == len(second) == 200
    assert "OVERDUE by" in ok(cli, "list")
    text = ok(cli, "obligations", inc.incident_id)
    assert text.count("MISSED") == 2
    ok(cli, "verify")
