"""System actors and drills: the two seams fireline's own services (intake, notifier,
scheduler) and the drill programme build on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from fireline import queries
from fireline.commands import AddUser, ChangeSeverity, Declare, LogEntry, Transition
from fireline.domain import IncidentId, is_system_actor, parse_actor, system_actor, system_kind
from fireline.errors import InvalidCommandError, PolicyDeniedError
from fireline.ledger.chain import Event
from fireline.service import Context, Identity, execute
from tests.conftest import Cli
from tests.factories import make_incident, run, snapshot


def payload(event: Event) -> Mapping[str, Any]:
    assert event.payload is not None
    return event.payload


def test_system_actor_names_are_built_by_kind() -> None:
    assert system_actor("intake", "prom-prod") == "intake:prom-prod"
    assert system_actor("notifier") == "notifier:outbox"
    assert system_actor("scheduler") == "scheduler:deadlines"
    assert system_kind("intake:prom-prod") == "intake"
    assert is_system_actor("notifier:outbox")
    assert not is_system_actor("alice")
    assert not is_system_actor("mallory:outbox")  # not a fireline service kind


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [("root", "x", "unknown system actor kind 'root'"), ("intake", "", "invalid actor ''")],
)
def test_bad_system_actors_are_refused(kind: str, name: str, message: str) -> None:
    with pytest.raises(InvalidCommandError, match=message):
        system_actor(kind, name)


def test_no_user_can_claim_a_system_actor(ctx: Context, cli: Cli) -> None:
    with pytest.raises(InvalidCommandError, match="invalid actor"):
        parse_actor("intake:prom-prod")
    before = snapshot(ctx.engine)
    for args in (
        ("declare", "x", "--sev", "SEV2", "--as", "intake:prom-prod"),
        ("user", "add", "scheduler:deadlines", "--role", "admin"),
    ):
        result = cli(*args)
        assert result.exit_code != 0
        assert "invalid actor" in result.stderr or "invalid" in result.stderr
    assert snapshot(ctx.engine) == before


def test_a_system_actor_writes_its_kinds_once_the_registry_has_users(ctx: Context) -> None:
    run(ctx, AddUser(name="alice", roles=("admin", "responder")), "alice")
    intake = Identity(system_actor("intake", "prom-prod"))
    events = execute(Declare(title="disk full on db-1", severity="SEV2"), intake, ctx=ctx)
    incident = IncidentId(events[0].incident_id)
    assert events[0].actor == "intake:prom-prod"
    note = LogEntry(incident_id=incident, kind="detection", text="all alerts resolved")
    assert execute(note, intake, ctx=ctx)[0].kind == "entry.detection"


def test_a_system_actor_is_refused_anything_else(ctx: Context) -> None:
    run(ctx, AddUser(name="alice", roles=("admin", "responder")), "alice")
    incident = make_incident(ctx, ic="alice")
    before = snapshot(ctx.engine)
    notifier = Identity(system_actor("notifier"))
    with pytest.raises(PolicyDeniedError, match="notifier:outbox may not write entry.fact"):
        execute(LogEntry(incident_id=incident, kind="fact", text="x"), notifier, ctx=ctx)
    with pytest.raises(PolicyDeniedError, match="may not write status.changed"):
        execute(Transition(incident_id=incident, status="investigating"), notifier, ctx=ctx)
    assert snapshot(ctx.engine) == before


def test_a_drill_never_freezes_deploys(ctx: Context) -> None:
    drill = run(ctx, Declare(title="tabletop: region down", severity="SEV1", drill=True))
    real = run(ctx, Declare(title="region down", severity="SEV1"))
    assert (payload(drill[0])["drill"], payload(drill[0])["freeze"]) == (True, False)
    assert payload(real[0])["freeze"] is True
    with ctx.engine.connect() as conn:
        state = queries.get_state(conn, drill[0].incident_id)
        assert state.drill
        assert not queries.get_state(conn, real[0].incident_id).drill
        rows = {row.id: row.drill for row in queries.list_incidents(conn)}
    assert rows == {drill[0].incident_id: True, real[0].incident_id: False}
    raised = run(
        ctx,
        ChangeSeverity(
            incident_id=IncidentId(drill[0].incident_id), severity="SEV0", reason="worse"
        ),
    )
    assert payload(raised[0])["freeze"] is False


def test_declare_drill_from_the_cli_is_labelled(cli: Cli) -> None:
    result = cli("declare", "tabletop: catalog corruption", "--sev", "SEV2", "--drill")
    assert result.exit_code == 0, result.stderr
    incident = result.stdout.strip()
    assert "DRILL tabletop: catalog corruption" in cli("list").stdout
    assert "DRILL (an exercise)" in cli("show", incident).stdout
