"""Governed writes and reads: the default rules, closure gates, exceptions, breakglass, freeze,
and need-to-know. Every refusal shows its reason and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from fireline import governance, queries
from fireline.commands import (
    AddActionItem,
    AddUser,
    ApproveGateException,
    AssignRole,
    ChangeSeverity,
    Command,
    Declare,
    EraseEntry,
    GrantBreakglass,
    LiftFreeze,
    LogEntry,
    OverrideRole,
    PublishUpdate,
    RequestGateException,
    ReviewGovernance,
    RevokeBreakglass,
    Transition,
    UpdateUser,
)
from fireline.domain import IncidentId, iso_utc
from fireline.errors import InvalidCommandError, NotFoundError, PolicyDeniedError
from fireline.freeze import check as check_freeze
from fireline.service import Context
from tests.conftest import Cli, Clock, Store
from tests.factories import check_definitions_of_done, make_incident, meet_gates, run, snapshot


def frozen_incidents(ctx: Context) -> list[tuple[str, str, str]]:
    settings = ctx.settings
    return check_freeze(
        settings.database_url,
        actor="tester",
        policy_dir=None,
        public_key_path=settings.public_key_path,
    ).shown


def refused(ctx: Context, command: Command, actor: str, message: str) -> None:
    before = snapshot(ctx.engine)
    with pytest.raises(PolicyDeniedError, match=message):
        run(ctx, command, actor)
    assert snapshot(ctx.engine) == before


def unmet(ctx: Context, incident_id: IncidentId) -> dict[str, list[str]]:
    with ctx.engine.connect() as conn:
        state = queries.get_state(conn, incident_id)
        return governance.unmet_gates(
            ctx.policy,
            conn,
            state,
            ctx.ladder(state.ladder),
            now=iso_utc(ctx.clock()),
            public_key=ctx.signer.public_key,
        )


@pytest.mark.parametrize(
    ("command", "actor", "message"),
    [
        (
            lambda i: Transition(incident_id=i, status="investigating"),
            "bob",
            r"only the incident commander \(alice\) may change the status",
        ),
        (
            lambda i: ChangeSeverity(incident_id=i, severity="SEV0", reason="x"),
            "bob",
            r"only the incident commander \(alice\) may change the severity",
        ),
        (
            lambda i: PublishUpdate(incident_id=i, impact="x"),
            "bob",
            r"only the comms lead or the incident commander may publish an update \(bob",
        ),
        (
            lambda i: AssignRole(incident_id=i, role="scribe", holder="bob"),
            "bob",
            r"only the incident commander \(alice\) may assign or release roles",
        ),
        (
            lambda i: EraseEntry(incident_id=i, target_seq=3, reason="x"),
            "bob",
            "only the incident commander, a steward or an admin may erase",
        ),
        (
            lambda i: GrantBreakglass(
                incident_id=i, to="dave", scope="db", why="x", expires_in=timedelta(hours=1)
            ),
            "bob",
            r"only the incident commander \(alice\) may grant breakglass access",
        ),
        (
            lambda i: RevokeBreakglass(incident_id=i, grant_seq=4),
            "bob",
            r"only the incident commander \(alice\) may revoke breakglass access",
        ),
        (
            lambda i: RequestGateException(incident_id=i, gate="resolved", justification="x"),
            "bob",
            "only the incident commander or the governance steward may request a gate exception",
        ),
    ],
)
def test_the_default_rules_refuse_with_their_reason(
    ctx: Context, command: Callable[[IncidentId], Command], actor: str, message: str
) -> None:
    inc = make_incident(ctx)
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="x"), "bob")  # event 3
    grant = GrantBreakglass(
        incident_id=inc, to="dave", scope="db", why="x", expires_in=timedelta(hours=1)
    )
    run(ctx, grant)  # event 4
    refused(ctx, command(inc), actor, message)


def test_the_declarer_commands_until_an_ic_is_named(ctx: Context) -> None:
    inc = make_incident(ctx, ic=None)
    run(ctx, Transition(incident_id=inc, status="investigating"), "alice")
    refused(ctx, Transition(incident_id=inc, status="mitigating"), "bob", "commander")
    run(ctx, AssignRole(incident_id=inc, role="ic", holder="bob"), "carol")  # anyone may take it
    run(ctx, Transition(incident_id=inc, status="mitigating"), "bob")


def test_comms_lead_publishes_updates(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(ctx, AssignRole(incident_id=inc, role="comms", holder="dana"))
    run(ctx, PublishUpdate(incident_id=inc, impact="search down"), "dana")


def test_a_flagged_major_incident_needs_a_steward_to_leave_investigating(ctx: Context) -> None:
    inc = make_incident(ctx, flags=("policy-bypass",))
    run(ctx, Transition(incident_id=inc, status="investigating"))
    refused(
        ctx,
        Transition(incident_id=inc, status="mitigating"),
        "alice",
        "SEV1 with policy flags \\(policy-bypass\\): assign a governance_steward",
    )
    run(ctx, AssignRole(incident_id=inc, role="governance_steward", holder="erin"))
    run(ctx, Transition(incident_id=inc, status="mitigating"))


def test_a_minor_flagged_incident_needs_no_steward(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV2", flags=("policy-bypass",))
    run(ctx, Transition(incident_id=inc, status="mitigating"))


def test_registry_first_admin_then_admins_only(ctx: Context) -> None:
    refused(ctx, AddUser(name="root", roles=("responder",)), "root", "first registered user must")
    run(ctx, AddUser(name="root", roles=("admin",)), "root")
    refused(
        ctx, AddUser(name="eve", roles=("responder",)), "mallory", "mallory is not a registered"
    )
    run(ctx, AddUser(name="bob", roles=("responder",)), "root")
    refused(ctx, AddUser(name="eve", roles=("admin",)), "bob", "only an admin may change the user")
    run(ctx, UpdateUser(name="bob", roles=("viewer",)), "root")
    inc_refusal = "bob is a viewer and cannot change the record"
    refused(ctx, AddUser(name="x", roles=("viewer",)), "bob", inc_refusal)
    with ctx.engine.connect() as conn:
        assert [u.name for u in governance.list_users(conn)] == ["bob", "root"]


@pytest.mark.parametrize(
    ("command", "error", "message"),
    [
        (AddUser(name="root", roles=()), InvalidCommandError, "at least one --role"),
        (AddUser(name="root", roles=("pilot",)), InvalidCommandError, "unknown role 'pilot'"),
        (
            AddUser(name="root", roles=("admin",), clearances=("top",)),
            InvalidCommandError,
            "unknown clearance 'top'",
        ),
        (UpdateUser(name="ghost", roles=("admin",)), NotFoundError, "no user ghost"),
    ],
)
def test_registry_bad_input(
    ctx: Context, command: Command, error: type[Exception], message: str
) -> None:
    before = snapshot(ctx.engine)
    with pytest.raises(error, match=message):
        run(ctx, command, "root")
    assert snapshot(ctx.engine) == before


def test_unregistered_users_are_refused_once_the_registry_exists(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(ctx, AddUser(name="alice", roles=("admin", "commander")))
    refused(ctx, LogEntry(incident_id=inc, kind="fact", text="x"), "bob", "bob is not a registered")


def test_the_mitigated_gate_lists_what_is_missing(ctx: Context) -> None:
    inc = make_incident(ctx, impact="")
    refused(
        ctx,
        Transition(incident_id=inc, status="mitigated"),
        "alice",
        "gate 'mitigated' is not met: check the 'mitigated' definition-of-done checklist "
        r"\(open: mitigated:1, mitigated:2, mitigated:3, mitigated:4\); record at least one "
        "mitigation entry; record the detection .*; state the user harm",
    )
    assert len(unmet(ctx, inc)["mitigated"]) == 4
    run(ctx, LogEntry(incident_id=inc, kind="mitigation", text="rolled back"))
    run(ctx, LogEntry(incident_id=inc, kind="detection", text="alert fired"))
    run(ctx, PublishUpdate(incident_id=inc, impact="search down for most users"))
    check_definitions_of_done(ctx, inc)
    assert unmet(ctx, inc)["mitigated"] == []
    run(ctx, Transition(incident_id=inc, status="mitigated"))


def test_the_resolved_gate_lists_what_is_missing(ctx: Context) -> None:
    inc = make_incident(ctx, flags=("license-uncertain",))
    run(ctx, AddActionItem(incident_id=inc, title="fix", owner="carol"))
    assert unmet(ctx, inc)["resolved"] == [
        "a steward must sign off the governance review (fireline review)",
        "check the 'resolved' definition-of-done checklist (open: resolved:1, resolved:2, "
        "resolved:3, resolved:4, resolved:5)",
        "give every follow-up an owner and a due date (#1)",
        "record the root cause (log root-cause, with --partial if not fully understood)",
        "schedule the postmortem (fireline postmortem schedule)",
    ]
    refused(ctx, Transition(incident_id=inc, status="resolved"), "alice", "gate 'resolved'")


def test_closing_needs_a_steward_review_when_flagged(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV2", flags=("license-uncertain",))
    meet_gates(ctx, inc)
    run(ctx, Transition(incident_id=inc, status="mitigated"))
    refused(ctx, Transition(incident_id=inc, status="resolved"), "alice", "governance review")


def test_a_steward_signs_off_the_review(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV2", flags=("license-uncertain",))
    meet_gates(ctx, inc)
    run(ctx, AddUser(name="root", roles=("admin",)), "root")
    for name, roles in (("alice", ("commander",)), ("erin", ("steward",)), ("bob", ("responder",))):
        run(ctx, AddUser(name=name, roles=roles), "root")
    refused(ctx, ReviewGovernance(incident_id=inc, outcome="ok"), "bob", "only a steward")
    run(ctx, ReviewGovernance(incident_id=inc, outcome="no exposure"), "erin")
    run(ctx, Transition(incident_id=inc, status="resolved"))
    run(ctx, Transition(incident_id=inc, status="closed"))


def test_a_gate_exception_needs_the_ic_and_the_steward(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(ctx, AssignRole(incident_id=inc, role="governance_steward", holder="erin"))
    request = run(
        ctx,
        RequestGateException(incident_id=inc, gate="mitigated", justification="drill"),
    )[0]
    refused(ctx, Transition(incident_id=inc, status="mitigated"), "alice", "gate 'mitigated'")
    with pytest.raises(InvalidCommandError, match="alice already approved"):
        run(ctx, ApproveGateException(incident_id=inc, exception_seq=request.seq))
    refused(
        ctx,
        ApproveGateException(incident_id=inc, exception_seq=request.seq),
        "bob",
        "only the incident commander or the governance steward may approve",
    )
    run(ctx, ApproveGateException(incident_id=inc, exception_seq=request.seq), "erin")
    run(ctx, Transition(incident_id=inc, status="mitigated"))
    with ctx.engine.connect() as conn:
        assert governance.excepted_gates(conn, inc) == ["mitigated"]


def test_gate_exception_bad_input(ctx: Context) -> None:
    inc = make_incident(ctx)
    with pytest.raises(InvalidCommandError, match="unknown gate 'closed'"):
        run(ctx, RequestGateException(incident_id=inc, gate="closed", justification="x"))
    with pytest.raises(NotFoundError, match="no gate exception at event 99"):
        run(ctx, ApproveGateException(incident_id=inc, exception_seq=99))


def test_breakglass_expires_by_the_clock_and_blocks_resolution(ctx: Context, clock: Clock) -> None:
    inc = make_incident(ctx)
    meet_gates(ctx, inc)
    grant = run(
        ctx,
        GrantBreakglass(
            incident_id=inc,
            to="dave",
            scope="prod-db read",
            why="restore",
            expires_in=timedelta(hours=2),
        ),
    )[0]
    assert unmet(ctx, inc)["resolved"] == [
        f"revoke active breakglass access (#{grant.seq} dave (prod-db read))"
    ]
    clock.advance(hours=3)
    assert unmet(ctx, inc)["resolved"] == []
    with pytest.raises(InvalidCommandError, match="already revoked or expired"):
        run(ctx, RevokeBreakglass(incident_id=inc, grant_seq=grant.seq))


def test_breakglass_revoke_and_bad_input(ctx: Context) -> None:
    inc = make_incident(ctx)
    with pytest.raises(InvalidCommandError, match="at most 7 days"):
        run(
            ctx,
            GrantBreakglass(
                incident_id=inc, to="dave", scope="db", why="x", expires_in=timedelta(days=8)
            ),
        )
    grant = run(
        ctx,
        GrantBreakglass(
            incident_id=inc, to="dave", scope="db", why="x", expires_in=timedelta(hours=1)
        ),
    )[0]
    run(ctx, RevokeBreakglass(incident_id=inc, grant_seq=grant.seq, reason="done"))
    with pytest.raises(NotFoundError, match="no breakglass grant at event 99"):
        run(ctx, RevokeBreakglass(incident_id=inc, grant_seq=99))
    with ctx.engine.connect() as conn:
        [listed] = governance.list_breakglass(conn, inc)
    assert listed.revoked_at is not None


def test_freeze_follows_the_ladder_and_the_ic(ctx: Context) -> None:
    minor = make_incident(ctx, severity="SEV2")
    major = make_incident(ctx, severity="SEV1")
    assert [i for i, _sev, _status in frozen_incidents(ctx)] == [major]
    refused(ctx, LiftFreeze(incident_id=major, reason="x"), "bob", "may lift the deploy freeze")
    run(ctx, LiftFreeze(incident_id=major, reason="rollback verified"))
    assert frozen_incidents(ctx) == []
    with pytest.raises(InvalidCommandError, match="holds no deploy freeze to lift"):
        run(ctx, LiftFreeze(incident_id=minor, reason="x"))
    run(ctx, ChangeSeverity(incident_id=major, severity="SEV0", reason="exposure"))
    assert [i for i, _sev, _status in frozen_incidents(ctx)] == [major]  # decided afresh
    meet_gates(ctx, major)
    run(ctx, AssignRole(incident_id=major, role="governance_steward", holder="erin"))
    run(ctx, Transition(incident_id=major, status="resolved"))
    assert frozen_incidents(ctx) == []


def test_postmortem_due_date_cannot_be_past(ctx: Context) -> None:
    from fireline.commands import SchedulePostmortem

    inc = make_incident(ctx)
    with pytest.raises(InvalidCommandError, match="is in the past"):
        run(ctx, SchedulePostmortem(incident_id=inc, due=date(2020, 1, 1), owner="bob"))


def test_root_cause_may_be_partial_only_for_root_causes(ctx: Context) -> None:
    inc = make_incident(ctx)
    event = run(ctx, LogEntry(incident_id=inc, kind="root-cause", text="x", partial=True))[0]
    assert event.payload is not None
    assert event.payload["partial"] is True
    with pytest.raises(InvalidCommandError, match="--partial belongs to root-cause"):
        run(ctx, LogEntry(incident_id=inc, kind="fact", text="x", partial=True))


def test_freeze_check_is_a_ci_gate(cli: Cli) -> None:
    assert cli("freeze", "check").stdout == "no deploy freeze\n"
    incident = cli("declare", "Checkout down", "--sev", "SEV1").stdout.strip()
    result = cli("freeze", "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == f"FROZEN by {incident} (SEV1, declared)"
    assert "Checkout down" not in result.stdout  # ids only: a CI log is no place for titles
    assert cli("freeze", "lift", incident, "--reason", "rollback verified").exit_code == 0
    assert cli("freeze", "check").exit_code == 0


def test_freeze_check_on_a_missing_store(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRELINE_HOME", "/nonexistent/fireline")
    monkeypatch.delenv("FIRELINE_DATABASE_URL", raising=False)
    result = cli("freeze", "check")
    assert result.exit_code == 6
    assert result.stderr.startswith("fireline: error: no fireline store at /nonexistent")


def test_freeze_check_fast_path_in_a_real_process(cli: Cli, store: Store) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, **store.env}
    argv = [sys.executable, "-m", "fireline", "freeze", "check"]
    clear = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert (clear.returncode, clear.stdout) == (0, "no deploy freeze\n")
    incident = cli("declare", "Checkout down", "--sev", "SEV0").stdout.strip()
    frozen = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert frozen.returncode == 1
    assert frozen.stdout.startswith(f"FROZEN by {incident} (SEV0, declared)")
    broken = subprocess.run(
        argv, env={**env, "FIRELINE_LADDER": "nope"}, capture_output=True, text=True, check=False
    )
    assert broken.returncode == 5
    assert broken.stderr.startswith("fireline: error: unknown ladder 'nope'")


def test_show_lists_freeze_breakglass_postmortem_and_review(cli: Cli) -> None:
    incident = cli("declare", "Checkout down", "--sev", "SEV1", "--ic", "alice").stdout.strip()

    def alice(*args: str) -> str:
        result = cli(*args, "--as", "alice")
        assert result.exit_code == 0, result.output
        return result.stdout

    alice(
        "breakglass",
        "grant",
        incident,
        "--to",
        "dave",
        "--scope",
        "prod-db read",
        "--why",
        "restore",
        "--expires",
        "2h",
    )
    due = f"{datetime.now(UTC).date() + timedelta(days=14)}"
    alice("postmortem", "schedule", incident, "--due", due, "--owner", "carol")
    shown = alice("show", incident)
    assert "Deploy freeze: ACTIVE" in shown
    assert "Breakglass #3: dave — prod-db read, until " in shown
    assert f"Postmortem: due {due}" in shown
    assert "[ACTIVE] dave: prod-db read" in alice("breakglass", "list", incident)
    gates = alice("gates", incident)
    assert "resolved: NOT MET" in gates
    assert "  [ ] revoke active breakglass access (#3 dave (prod-db read))" in gates


def test_a_level_without_cadence_must_schedule_the_next_update(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV3")
    assert "schedule the next status update" in unmet(ctx, inc)["mitigated"]
    run(
        ctx,
        PublishUpdate(incident_id=inc, impact="x", next_update_at=ctx.clock() + timedelta(hours=4)),
    )
    assert "schedule the next status update" not in unmet(ctx, inc)["mitigated"]


def test_every_command_has_a_handler_and_a_policy_action() -> None:
    import typing

    from fireline import commands
    from fireline.service import HANDLERS

    every = set(typing.get_args(commands.Command))
    assert set(HANDLERS) == every
    assert set(governance.ACTIONS) == every


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "breakglass",
                "grant",
                "{i}",
                "--to",
                "dave",
                "--scope",
                "db",
                "--why",
                "x",
                "--expires",
                "soon",
            ),
            "malformed --expires 'soon'",
        ),
        (
            (
                "breakglass",
                "grant",
                "{i}",
                "--to",
                "dave",
                "--scope",
                "db",
                "--why",
                "x",
                "--expires",
                "0m",
            ),
            "--expires must be more than 0",
        ),
        (
            ("postmortem", "schedule", "{i}", "--due", "someday", "--owner", "bob"),
            "malformed --due 'someday'",
        ),
        (("gate", "except", "{i}", "closed", "--why", "x"), "unknown gate 'closed'"),
        (("user", "add", "eve"), "give eve at least one --role"),
    ],
)
def test_governance_bad_input_is_one_line_and_writes_nothing(
    cli: Cli, store: Store, args: tuple[str, ...], message: str
) -> None:
    import sqlalchemy as sa

    incident = cli("declare", "x", "--sev", "SEV2").stdout.strip()
    engine = sa.create_engine(store.settings.database_url)
    before = snapshot(engine)
    result = cli(*(part.format(i=incident) for part in args))
    after = snapshot(engine)
    engine.dispose()
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert message in result.stderr
    assert after == before


@pytest.fixture
def unreachable_ic(ctx: Context) -> IncidentId:
    """A restricted incident whose IC, alice, cannot be reached; pat is a registry admin."""
    run(ctx, AddUser(name="pat", roles=("admin",)), "pat")
    for name, role in (("alice", "commander"), ("bob", "commander"), ("carol", "responder")):
        run(ctx, AddUser(name=name, roles=(role,)), "pat")
    declared = run(
        ctx, Declare(title="Sitemap leak", severity="SEV2", labels=("restricted",), ic="alice")
    )
    return IncidentId(declared[0].incident_id)


def test_an_admin_hands_over_command_of_a_restricted_incident_on_the_record(
    cli: Cli, ctx: Context, unreachable_ic: IncidentId
) -> None:
    inc = unreachable_ic
    reason = "alice unreachable since 02:00; paged twice"
    result = cli("role", "override", inc, "ic", "bob", "--reason", reason, actor="pat")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{inc} event 3: role.overridden\n"
    with ctx.engine.connect() as conn:
        assert queries.current_roles(conn, inc)["ic"] == ["bob"]
    # bob now commands: he moves the status, and the timeline shows who overrode whom and why.
    assert cli("status", inc, "investigating", actor="bob").exit_code == 0
    refused_alice = cli("status", inc, "identified", actor="alice")
    assert refused_alice.exit_code == 3  # alice holds no role any more: restricted, so hidden
    line = cli("timeline", inc, actor="bob").stdout.splitlines()[2]
    assert " pat " in line
    assert f"role.overridden        Admin override: bob is ic (replacing alice): {reason}" in line
    # The override staffs; it does not let the admin read the incident.
    assert cli("show", inc, actor="pat").exit_code == 3


def test_an_admin_plain_assignment_on_a_restricted_incident_stays_hidden(
    cli: Cli, ctx: Context, unreachable_ic: IncidentId
) -> None:
    before = snapshot(ctx.engine)
    result = cli("role", "assign", unreachable_ic, "ic", "bob", actor="pat")
    assert result.exit_code == 3
    assert result.stderr == f"fireline: error: no incident {unreachable_ic}\n"
    assert snapshot(ctx.engine) == before


@pytest.mark.parametrize(
    ("actor", "reason", "code", "message"),
    [
        ("carol", "alice unreachable", 3, "no incident {i}"),  # not hers to see
        (
            "alice",
            "handing over",
            4,
            "only a registry admin may override a role assignment (alice is not one)",
        ),
        ("pat", "   ", 2, "--reason must not be empty"),
    ],
)
def test_a_role_override_refusal_writes_nothing(
    cli: Cli,
    ctx: Context,
    unreachable_ic: IncidentId,
    actor: str,
    reason: str,
    code: int,
    message: str,
) -> None:
    before = snapshot(ctx.engine)
    result = cli("role", "override", unreachable_ic, "ic", "bob", "--reason", reason, actor=actor)
    assert result.exit_code == code, result.output
    assert result.stderr == f"fireline: error: {message.format(i=unreachable_ic)}\n"
    assert snapshot(ctx.engine) == before


def test_a_role_override_needs_an_admin_on_an_open_incident_too(ctx: Context) -> None:
    run(ctx, AddUser(name="pat", roles=("admin",)), "pat")
    run(ctx, AddUser(name="alice", roles=("commander",)), "pat")
    inc = make_incident(ctx)
    refused(
        ctx,
        OverrideRole(incident_id=inc, role="ic", holder="bob", reason="x"),
        "alice",
        r"only a registry admin may override a role assignment \(alice is not one\)",
    )
    events = run(ctx, OverrideRole(incident_id=inc, role="scribe", holder="bob", reason="x"), "pat")
    assert [(e.kind, e.payload) for e in events] == [
        (
            "role.overridden",
            {
                "role": "scribe",
                "holder": "bob",
                "replaces": None,
                "reason": "x",
                "redacted": {},
                "sensitive": [],
            },
        )
    ]
