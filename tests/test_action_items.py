"""Action items P0–P3 with owner, due date, verification and tracker link: open → done →
verified, closing without verification refused, and `fireline actions` across incidents."""

from __future__ import annotations

import json
from datetime import date

import pytest

from fireline.commands import AddActionItem, CompleteActionItem, VerifyActionItem
from fireline.domain import ActorId
from fireline.errors import InvalidCommandError
from fireline.reads import postmortems
from fireline.service import Context, Identity
from tests.conftest import Cli
from tests.factories import make_incident, payload_of, run, snapshot


def test_an_item_goes_open_done_verified_and_needs_its_verification(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(ctx, AddActionItem(incident_id=inc, title="guard", owner="carol", priority="P0"))
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match="#1 on .* has no verification"):
        run(ctx, CompleteActionItem(incident_id=inc, number=1))
    with pytest.raises(InvalidCommandError, match="is open; only a done item can be verified"):
        run(ctx, VerifyActionItem(incident_id=inc, number=1))
    with pytest.raises(InvalidCommandError, match="--tracker 'javascript:x' is not an http"):
        run(ctx, AddActionItem(incident_id=inc, title="t", owner="carol", tracker="javascript:x"))
    assert snapshot(ctx.engine) == before
    done = run(ctx, CompleteActionItem(incident_id=inc, number=1, verification="load test"))
    assert payload_of(done)["verification"] == "load test"
    run(ctx, VerifyActionItem(incident_id=inc, number=1, note="green for a week"))
    items = postmortems.list_actions(ctx, Identity(ActorId("alice")))
    assert [(i["status"], i["verification"], i["verified_by"]) for i in items] == [
        ("verified", "load test", "alice")
    ]
    with pytest.raises(InvalidCommandError, match="already verified"):
        run(ctx, CompleteActionItem(incident_id=inc, number=1))


def test_actions_across_incidents_honour_need_to_know(cli: Cli, ctx: Context) -> None:
    open_inc = make_incident(ctx, title="public one")
    hidden = make_incident(ctx, title="secret one", labels=("restricted",))
    for inc, owner, due in ((open_inc, "carol", date(2026, 11, 24)), (hidden, "carol", None)):
        run(
            ctx,
            AddActionItem(
                incident_id=inc,
                title=f"fix {owner}",
                owner=owner,
                due=due,
                verification="a test",
                tracker="https://tracker.example/ISSUE-1",
            ),
        )
    run(ctx, AddActionItem(incident_id=open_inc, title="docs", owner="dana", verification="x"))
    shown = cli("actions", "--owner", "carol", "--format", "json", actor="mallory")
    assert shown.exit_code == 0, shown.output
    assert [i["incident_id"] for i in json.loads(shown.stdout)] == [open_inc]
    mine = cli("actions", "--owner", "carol", actor="alice")
    assert mine.stdout.splitlines()[0].startswith(f"{open_inc} #1 [open] P2 fix carol")
    assert "https://tracker.example/ISSUE-1" in mine.stdout
    assert len(mine.stdout.splitlines()) == 2
    ctx.clock.advance(days=3)  # type: ignore[attr-defined]
    late = postmortems.list_actions(ctx, Identity(ActorId("alice")), overdue_only=True)
    assert [(i["incident_id"], i["title"]) for i in late] == [(open_inc, "fix carol")]
    bad = cli("action", "done", open_inc, "1", "--verification", " ", actor="alice")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "fireline: error: --verification must not be empty"
