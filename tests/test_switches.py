"""Governed switches through the service: flips on the incident's chain, the policy on who may
flip, quarantines, datasets, hand-over, the closure gates they put on an incident (held
switches for resolved, the stability window for mitigated), replay, and the read models."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from fireline import governance, queries
from fireline.commands import (
    AssignRole,
    HandOverSwitch,
    LiftFreeze,
    MarkDataset,
    SetSwitch,
    Transition,
)
from fireline.db import read_only
from fireline.domain import ActorId, IncidentId, iso_utc
from fireline.errors import InvalidCommandError, PolicyDeniedError
from fireline.reads import switches as reads
from fireline.service import Context, open_context, rebuild
from fireline.service.identity import Identity
from fireline.switches import state
from fireline.switches.spec import parse_switch_tables
from tests.conftest import Clock, Store
from tests.factories import make_incident, meet_gates, projection_state, run, snapshot


def flip(
    ctx: Context,
    incident: IncidentId,
    name: str,
    to: str,
    actor: str = "alice",
    approver: str | None = None,
) -> None:
    run(
        ctx,
        SetSwitch(
            incident_id=incident, name=name, state=to, reason="integrity at risk", approver=approver
        ),
        actor,
    )


def test_a_flip_is_an_event_on_the_incident_and_the_switch_reads_flipped(ctx: Context) -> None:
    incident = make_incident(ctx)
    events = run(
        ctx,
        SetSwitch(
            incident_id=incident,
            name="global-readonly",
            state="on",
            reason="catalog corruption suspected",
        ),
    )
    assert [e.kind for e in events] == ["switch.set"]
    payload = events[0].payload or {}
    assert (payload["switch"], payload["previous"], payload["state"]) == (
        "global-readonly",
        "off",
        "on",
    )
    assert payload["allowed_roles"] == ["ic", "tech_lead"]
    assert payload["normal"] is False
    model = reads.get_switch(ctx, "alice", "global-readonly")
    assert (model["state"], model["normal"], model["incident"]) == ("on", False, incident)
    assert model["reason"] == "catalog corruption suspected"


@pytest.mark.parametrize(
    ("name", "to", "line"),
    [
        ("nope", "on", "unknown switch 'nope'"),
        (
            "global-readonly",
            "maybe",
            "unknown state 'maybe' for switch global-readonly; states: off, on",
        ),
        ("global-readonly", "off", "global-readonly is already off"),
        ("deploy-freeze", "open", "deploy-freeze follows the severity ladder"),
        ("quarantine:cat:v1", "quarantined", "is a dataset quarantine"),
    ],
)
def test_bad_flips_are_one_line_and_write_nothing(
    ctx: Context, name: str, to: str, line: str
) -> None:
    incident = make_incident(ctx)
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match=line):
        flip(ctx, incident, name, to)
    assert snapshot(ctx.engine) == before


def test_only_the_configured_roles_may_flip(ctx: Context) -> None:
    incident = make_incident(ctx)
    run(ctx, AssignRole(incident_id=incident, role="scribe", holder="sam"))
    run(ctx, AssignRole(incident_id=incident, role="tech_lead", holder="tara"))
    before = snapshot(ctx.engine)
    with pytest.raises(PolicyDeniedError, match="only holders of ic, tech_lead may flip"):
        flip(ctx, incident, "promotions", "paused", actor="sam")
    assert snapshot(ctx.engine) == before
    flip(ctx, incident, "promotions", "paused", actor="tara")


@pytest.fixture
def approving(store: Store, clock: Clock) -> Iterator[Context]:
    """A store whose global-readonly switch needs an approver (a [switches.X] table)."""
    specs = parse_switch_tables(
        {"global-readonly": {"approver": True}, "kill-search": {"states": ["on", "off"]}},
        "test",
        window=store.settings.switches["promotions"].stability,
        known_roles=frozenset({"ic", "tech_lead"}),
    )
    context = open_context(dataclasses.replace(store.settings, switches=specs), clock=clock)
    yield context
    context.close()


def test_a_switch_that_needs_an_approver_refuses_without_a_fitting_one(approving: Context) -> None:
    incident = make_incident(approving)
    run(approving, AssignRole(incident_id=incident, role="tech_lead", holder="tara"))
    before = snapshot(approving.engine)
    for approver, line in (
        (None, "needs an approver"),
        ("alice", "alice cannot approve their own flip"),
        ("sam", "the approver sam holds none of ic, tech_lead"),
    ):
        with pytest.raises(PolicyDeniedError, match=line):
            flip(approving, incident, "global-readonly", "on", approver=approver)
    assert snapshot(approving.engine) == before
    flip(approving, incident, "global-readonly", "on", approver="tara")
    assert reads.get_switch(approving, "alice", "global-readonly")["approver"] == "tara"


def test_a_team_switch_from_config_flips_like_a_built_in(approving: Context) -> None:
    incident = make_incident(approving)
    flip(approving, incident, "kill-search", "off")
    listed = {s["name"]: s for s in reads.list_switches(approving, "alice")["switches"]}
    assert listed["kill-search"]["state"] == "off"
    assert not listed["kill-search"]["normal"]


def test_quarantine_and_release_flip_the_versions_switch(ctx: Context) -> None:
    incident = make_incident(ctx, datasets=("cat-2026:v12", "roads"))
    with read_only(ctx.engine) as conn:
        assert [(d.label, d.state) for d in state.datasets_of(conn, incident)] == [
            ("cat-2026:v12", "suspected"),
            ("roads", "suspected"),
        ]
    run(ctx, MarkDataset(incident_id=incident, dataset="roads", state="confirmed", reason="diff"))
    run(
        ctx,
        MarkDataset(
            incident_id=incident,
            dataset="cat-2026:v12",
            state="quarantined",
            reason="wrong extents",
        ),
    )
    assert reads.get_switch(ctx, "alice", "quarantine:cat-2026:v12")["state"] == "quarantined"
    for dataset, to, line in (
        ("cat-2026:v12", "quarantined", "already quarantined"),
        ("cat-2026:v11", "restored", "is not quarantined"),
        ("cat-2026", "quarantined", "a quarantine is of one version"),
        ("cat-2026:v12", "lost", "unknown dataset state 'lost'"),
    ):
        with pytest.raises(InvalidCommandError, match=line):
            run(ctx, MarkDataset(incident_id=incident, dataset=dataset, state=to, reason="x"))
    run(
        ctx,
        MarkDataset(
            incident_id=incident,
            dataset="cat-2026:v12",
            state="restored",
            reason="rebuilt from v11",
        ),
    )
    model = reads.on_incident(ctx, Identity(ActorId("alice")), incident)
    assert [(d["dataset"], d["state"]) for d in model["datasets"]] == [
        ("cat-2026:v12", "restored"),
        ("roads", "confirmed"),
    ]
    assert reads.get_switch(ctx, "alice", "quarantine:cat-2026:v12")["state"] == "released"


def unmet(ctx: Context, incident: IncidentId) -> dict[str, list[str]]:
    with read_only(ctx.engine) as conn:
        found = queries.get_state(conn, incident)
        return governance.unmet_gates(
            ctx.policy,
            conn,
            found,
            ctx.ladder(found.ladder),
            now=iso_utc(ctx.clock()),
            public_key=ctx.signer.public_key,
        )


def test_a_held_switch_gates_resolved_until_turned_back_or_handed_over(
    ctx: Context, clock: Clock
) -> None:
    incident = make_incident(ctx)
    other = make_incident(ctx, title="Catalog rebuild")
    meet_gates(ctx, incident)
    flip(ctx, incident, "promotions", "paused")
    run(ctx, Transition(incident_id=incident, status="mitigated"))
    with pytest.raises(PolicyDeniedError, match=r"turn back or hand over .*promotions \(paused\)"):
        run(ctx, Transition(incident_id=incident, status="resolved"))
    with pytest.raises(InvalidCommandError, match="is not held flipped by"):
        run(
            ctx,
            HandOverSwitch(
                incident_id=incident, name="promotions", from_incident=other, reason="x"
            ),
        )
    run(
        ctx,
        HandOverSwitch(
            incident_id=other,
            name="promotions",
            from_incident=incident,
            reason="the rebuild keeps promotions paused",
        ),
    )
    assert "resolved" not in " ".join(unmet(ctx, incident)["resolved"])
    run(ctx, Transition(incident_id=incident, status="resolved"))
    third = make_incident(ctx, title="Unrelated")
    with pytest.raises(InvalidCommandError, match="held by another open incident"):
        run(ctx, SetSwitch(incident_id=third, name="promotions", state="running", reason="x"))
    model = reads.get_switch(ctx, "alice", "promotions")
    assert (model["state"], model["incident"]) == ("paused", other)
    assert any("promotions" in item for item in unmet(ctx, other)["resolved"])


def test_the_stability_window_holds_mitigated_after_a_switch_returns(
    ctx: Context, clock: Clock
) -> None:
    incident = make_incident(ctx)
    meet_gates(ctx, incident)
    flip(ctx, incident, "global-readonly", "on")
    flip(ctx, incident, "global-readonly", "off")
    with pytest.raises(PolicyDeniedError, match="wait out the stability window: global-readonly"):
        run(ctx, Transition(incident_id=incident, status="mitigated"))
    clock.advance(minutes=30)
    run(ctx, Transition(incident_id=incident, status="mitigated"))


def test_the_deploy_freeze_is_a_switch_and_lifts_through_the_freeze(ctx: Context) -> None:
    incident = make_incident(ctx)
    assert reads.get_switch(ctx, "alice", "deploy-freeze")["state"] == "frozen"
    run(ctx, LiftFreeze(incident_id=incident, reason="fix verified"))
    assert reads.get_switch(ctx, "alice", "deploy-freeze")["state"] == "open"


def test_a_holder_is_named_only_to_readers_who_may_see_the_incident(ctx: Context) -> None:
    incident = make_incident(ctx, labels=("restricted",))
    flip(ctx, incident, "global-readonly", "on")
    inside = reads.get_switch(ctx, "alice", "global-readonly")
    outside = reads.get_switch(ctx, "mallory", "global-readonly")
    assert inside["incident"] == incident
    assert not inside["restricted"]
    assert outside["state"] == "on"
    assert outside["restricted"]
    assert outside["incident"] is None
    assert outside["reason"] is None
    assert reads.etag(inside) != reads.etag(outside)


def test_switch_rows_replay_to_the_same_state(ctx: Context) -> None:
    incident = make_incident(ctx, datasets=("cat-2026:v12",))
    other = make_incident(ctx)
    flip(ctx, incident, "global-readonly", "on")
    run(
        ctx,
        MarkDataset(
            incident_id=incident,
            dataset="cat-2026:v12",
            state="quarantined",
            reason="wrong extents",
        ),
    )
    run(
        ctx,
        HandOverSwitch(
            incident_id=other, name="global-readonly", from_incident=incident, reason="handed over"
        ),
    )
    before = projection_state(ctx.engine)
    rebuild(ctx, actor=ActorId("alice"))
    assert projection_state(ctx.engine) == before
    from fireline.projections.audit import compare_store

    with read_only(ctx.engine) as conn:
        assert compare_store(conn) is None
