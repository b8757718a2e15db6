"""The one write path, end to end against a real store: lifecycle, roles, entries, refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from fireline import queries
from fireline.commands import (
    AddActionItem,
    AssignRole,
    ChangeSeverity,
    Command,
    CompleteActionItem,
    CorrectEntry,
    Declare,
    EraseEntry,
    LogEntry,
    PublishUpdate,
    ReleaseRole,
    Transition,
)
from fireline.db import events
from fireline.domain import IncidentId, iso_utc
from fireline.errors import (
    ConfigError,
    FirelineError,
    InvalidCommandError,
    InvalidTransitionError,
    NotFoundError,
)
from fireline.ladders import KFM
from fireline.service import Context, resolve_identity
from tests.conftest import Clock
from tests.factories import make_incident, meet_gates, run, snapshot


def detail(ctx: Context, incident_id: str) -> queries.IncidentDetail:
    with ctx.engine.connect() as conn:
        return queries.get_incident(conn, incident_id, ladders=ctx.settings.ladders)


def timeline(ctx: Context, incident_id: str) -> list[queries.TimelineEntry]:
    with ctx.engine.connect() as conn:
        return queries.get_timeline(conn, incident_id)


def test_declare_numbers_incidents_per_utc_day(ctx: Context, clock: Clock) -> None:
    assert make_incident(ctx) == "INC-20261123-001"
    assert make_incident(ctx) == "INC-20261123-002"
    clock.advance(hours=12)
    assert make_incident(ctx) == "INC-20261124-001"


def test_declare_records_everything_the_seed_record_needs(ctx: Context) -> None:
    events_ = run(
        ctx,
        Declare(
            title="  Catalog API 5xx spike ",
            severity="sev1",
            impact="search down",
            systems=("api", "search", "api"),
            datasets=("cat-2026:v12", "raw"),
            labels=("restricted",),
            flags=("policy-bypass",),
            ic="alice",
            detected_at=datetime(2026, 11, 23, 13, 58, tzinfo=UTC),
        ),
    )
    assert [e.kind for e in events_] == ["incident.declared", "role.assigned"]
    payload = events_[0].payload
    assert payload is not None
    assert payload["title"] == "Catalog API 5xx spike"
    assert payload["severity"] == "SEV1"
    assert payload["severity_rank"] == 3
    assert payload["systems"] == ["api", "search"]
    assert payload["datasets"] == [
        {"dataset_id": "cat-2026", "version_id": "v12"},
        {"dataset_id": "raw", "version_id": None},
    ]
    assert payload["detected_at"] == "2026-11-23T13:58:00.000000Z"
    assert payload["next_update_at"] == "2026-11-23T14:30:01.000000Z"  # SEV1 cadence: 30 min
    d = detail(ctx, events_[0].incident_id)
    assert d.summary.ic == "alice"
    assert d.missing_roles == ["tech_lead", "comms", "scribe"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "   "}, "title must not be empty"),
        ({"severity": "SEV9"}, "unknown severity 'SEV9'"),
        ({"labels": ("secret",)}, "unknown label 'secret'"),
        ({"flags": ("oops",)}, "unknown policy flag 'oops'"),
        ({"ic": "not a handle"}, "invalid actor"),
        ({"datasets": (":v1",)}, "malformed dataset"),
        ({"systems": (" ",)}, "system must not be empty"),
    ],
)
def test_declare_refuses_bad_input_and_writes_nothing(
    ctx: Context, change: dict[str, Any], message: str
) -> None:
    before = snapshot(ctx.engine)
    command = replace(Declare(title="t", severity="SEV1"), **change)
    with pytest.raises(InvalidCommandError, match=message):
        run(ctx, command)
    assert snapshot(ctx.engine) == before


def test_full_lifecycle_to_closed(ctx: Context) -> None:
    inc = make_incident(ctx)
    meet_gates(ctx, inc)
    for status in (
        "investigating",
        "identified",
        "mitigating",
        "monitoring",
        "mitigating",
        "mitigated",
        "resolved",
        "closed",
    ):
        run(ctx, Transition(incident_id=inc, status=status))
    d = detail(ctx, inc)
    assert d.summary.status == "closed"
    assert d.mitigated_at is not None
    assert d.resolved_at is not None
    assert d.closed_at is not None
    kinds = [e.summary for e in timeline(ctx, inc) if e.kind == "status.changed"]
    assert kinds[4] == "Status mitigated → mitigating"


@pytest.mark.parametrize(
    ("path", "target", "message"),
    [
        (
            (),
            "closed",
            "illegal transition declared → closed; from declared allowed: identified, "
            "investigating, mitigated, mitigating, resolved",
        ),
        (("mitigating",), "investigating", "illegal transition mitigating → investigating"),
        (("identified",), "declared", "illegal transition identified → declared"),
        (("resolved",), "mitigating", "illegal transition resolved → mitigating"),
        (("mitigating", "mitigated"), "closed", "mitigated → closed"),
        ((), "declared", "illegal transition declared → declared"),
    ],
)
def test_illegal_transitions_are_refused(
    ctx: Context, path: tuple[str, ...], target: str, message: str
) -> None:
    inc = make_incident(ctx)
    meet_gates(ctx, inc)
    for status in path:
        run(ctx, Transition(incident_id=inc, status=status))
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidTransitionError, match=message):
        run(ctx, Transition(incident_id=inc, status=target))
    assert snapshot(ctx.engine) == before


def test_severity_change_records_ranks_reason_and_tightens_cadence(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV2")  # 60-minute cadence
    event = run(ctx, ChangeSeverity(incident_id=inc, severity="SEV0", reason="exposure"))[0]
    assert event.payload is not None
    assert event.payload["from_rank"] == 2
    assert event.payload["to_rank"] == 4
    # The declaration (14:00:01, no update since) plus the new level's 15 minutes.
    assert event.payload["next_update_at"] == "2026-11-23T14:15:01.000000Z"
    back = run(ctx, ChangeSeverity(incident_id=inc, severity="SEV3", reason="contained"))[0]
    assert back.payload is not None
    assert back.payload["next_update_at"] == "2026-11-23T14:15:01.000000Z"  # as needed: kept
    assert detail(ctx, inc).summary.severity == "SEV3"


@pytest.mark.parametrize(
    ("severity", "reason", "error", "message"),
    [
        ("SEV1", "x", InvalidCommandError, "is already SEV1"),
        ("SEV0", " ", InvalidCommandError, "reason must not be empty"),
        ("P1", "x", InvalidCommandError, "unknown severity 'P1'"),
    ],
)
def test_severity_refusals(
    ctx: Context, severity: str, reason: str, error: type[FirelineError], message: str
) -> None:
    inc = make_incident(ctx)
    before = snapshot(ctx.engine)
    with pytest.raises(error, match=message):
        run(ctx, ChangeSeverity(incident_id=inc, severity=severity, reason=reason))
    assert snapshot(ctx.engine) == before


def test_role_history_keeps_who_held_what_when(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(ctx, AssignRole(incident_id=inc, role="scribe", holder="bob"))
    run(ctx, AssignRole(incident_id=inc, role="scribe", holder="carol"))
    run(ctx, AssignRole(incident_id=inc, role="sme", holder="dave"))
    run(ctx, AssignRole(incident_id=inc, role="sme", holder="erin"))
    run(ctx, ReleaseRole(incident_id=inc, role="sme", holder="dave"))
    d = detail(ctx, inc)
    scribes = [(t.holder, t.released_at is None) for t in d.roles if t.role == "scribe"]
    assert scribes == [("bob", False), ("carol", True)]
    assert d.current_roles() == {"ic": ["alice"], "scribe": ["carol"], "sme": ["erin"]}
    bob = next(t for t in d.roles if t.holder == "bob")
    carol = next(t for t in d.roles if t.holder == "carol")
    assert bob.released_at == carol.assigned_at


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (lambda inc: AssignRole(incident_id=inc, role="pilot", holder="x"), "unknown role 'pilot'"),
        (
            lambda inc: AssignRole(incident_id=inc, role="ic", holder="alice"),
            "alice already holds ic",
        ),
        (lambda inc: ReleaseRole(incident_id=inc, role="scribe"), "nobody holds scribe"),
        (lambda inc: ReleaseRole(incident_id=inc, role="ic", holder="bob"), "bob does not hold ic"),
    ],
)
def test_role_refusals(
    ctx: Context, command: Callable[[IncidentId], Command], message: str
) -> None:
    inc = make_incident(ctx)
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match=message):
        run(ctx, command(inc))
    assert snapshot(ctx.engine) == before


def test_release_needs_a_name_when_several_hold_the_role(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(ctx, AssignRole(incident_id=inc, role="sme", holder="dave"))
    run(ctx, AssignRole(incident_id=inc, role="sme", holder="erin"))
    with pytest.raises(InvalidCommandError, match="held by dave, erin .* name the holder"):
        run(ctx, ReleaseRole(incident_id=inc, role="sme"))
    run(ctx, ReleaseRole(incident_id=inc, role="ic"))
    assert "ic" not in detail(ctx, inc).current_roles()


def test_log_entries_keep_facts_apart_from_hypotheses(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(
        ctx,
        LogEntry(
            incident_id=inc,
            kind="fact",
            text="5xx 38%",
            refs=("dashboard:api",),
            at=datetime(2026, 11, 23, 13, 59, tzinfo=UTC),
        ),
    )
    run(ctx, LogEntry(incident_id=inc, kind="Hypothesis", text="bad deploy"))
    run(
        ctx,
        LogEntry(incident_id=inc, kind="decision", text="roll back", why="onset", approver="alice"),
    )
    entries = {e.kind: e for e in timeline(ctx, inc)}
    assert entries["entry.fact"].at == "2026-11-23T13:59:00.000000Z"
    assert entries["entry.fact"].detail == {"refs": ["dashboard:api"]}
    assert entries["entry.hypothesis"].summary == "bad deploy"
    assert entries["entry.decision"].detail == {"why": "onset", "approver": "alice"}
    assert detail(ctx, inc).entry_counts == {"fact": 1, "hypothesis": 1, "decision": 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "rumour", "text": "x"}, "unknown entry kind 'rumour'"),
        ({"kind": "fact", "text": " "}, "fact must not be empty"),
        ({"kind": "decision", "text": "x"}, "a decision needs --why"),
        ({"kind": "fact", "text": "x", "why": "y"}, "--why and --approver belong to decisions"),
        ({"kind": "fact", "text": "x", "refs": ("nocolon",)}, "malformed ref 'nocolon'"),
        ({"kind": "decision", "text": "x", "why": "y", "approver": "a b"}, "invalid actor"),
    ],
)
def test_log_refusals(ctx: Context, fields: dict[str, object], message: str) -> None:
    inc = make_incident(ctx)
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match=message):
        run(ctx, LogEntry(incident_id=inc, **fields))  # type: ignore[arg-type]
    assert snapshot(ctx.engine) == before


def test_updates_are_numbered_and_schedule_the_next(ctx: Context, clock: Clock) -> None:
    inc = make_incident(ctx)
    first = run(
        ctx,
        PublishUpdate(
            incident_id=inc,
            impact="search down",
            facts=("5xx 38%",),
            hypotheses=("bad deploy",),
            next_steps=("roll back",),
        ),
    )[0]
    assert first.payload is not None
    assert first.payload["number"] == 1
    assert first.payload["status"] == "declared"
    due = datetime(2026, 11, 23, 14, 20, tzinfo=UTC)  # sooner than the SEV1 cadence (30 min)
    second = run(
        ctx, PublishUpdate(incident_id=inc, status="declared", impact="same", next_update_at=due)
    )[0]
    assert second.payload is not None
    assert second.payload["number"] == 2
    d = detail(ctx, inc)
    assert d.summary.next_update_due == "2026-11-23T14:20:00.000000Z"
    assert d.latest_update is not None
    assert d.latest_update.number == 2
    assert d.latest_update.body["facts"] == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "mitigating", "impact": "x"}, "update says mitigating but .* is declared"),
        ({}, "an update needs --impact, --fact"),
        ({"impact": "x", "next_update_at": datetime(2020, 1, 1, tzinfo=UTC)}, "not in the future"),
        ({"facts": (" ",)}, "fact must not be empty"),
    ],
)
def test_update_refusals(ctx: Context, fields: dict[str, object], message: str) -> None:
    inc = make_incident(ctx)
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match=message):
        run(ctx, PublishUpdate(incident_id=inc, **fields))  # type: ignore[arg-type]
    assert snapshot(ctx.engine) == before


def test_action_items_outlive_closure(ctx: Context) -> None:
    inc = make_incident(ctx)
    meet_gates(ctx, inc)
    for status in ("investigating", "mitigating", "mitigated", "resolved", "closed"):
        run(ctx, Transition(incident_id=inc, status=status))
    run(
        ctx,
        AddActionItem(
            incident_id=inc,
            title="policy test",
            owner="carol",
            due=date(2026, 12, 1),
            priority="p1",
        ),
    )
    run(ctx, CompleteActionItem(incident_id=inc, number=1, note="PR 42", verification="ci"))
    [item] = detail(ctx, inc).action_items
    assert (item.status, item.priority, item.due, item.note) == (
        "done",
        "P1",
        "2026-12-01",
        "PR 42",
    )
    with pytest.raises(InvalidCommandError, match="already done"):
        run(ctx, CompleteActionItem(incident_id=inc, number=1))
    with pytest.raises(NotFoundError, match="no action item #2"):
        run(ctx, CompleteActionItem(incident_id=inc, number=2))
    with pytest.raises(InvalidCommandError, match="unknown priority 'urgent'"):
        run(ctx, AddActionItem(incident_id=inc, title="x", owner="carol", priority="urgent"))


@pytest.mark.parametrize(
    "command",
    [
        lambda inc: LogEntry(incident_id=inc, kind="fact", text="late"),
        lambda inc: AssignRole(incident_id=inc, role="scribe", holder="bob"),
        lambda inc: ReleaseRole(incident_id=inc, role="ic"),
        lambda inc: ChangeSeverity(incident_id=inc, severity="SEV0", reason="x"),
        lambda inc: PublishUpdate(incident_id=inc, impact="x"),
    ],
)
def test_closed_incident_accepts_no_new_response_work(
    ctx: Context, command: Callable[[IncidentId], Command]
) -> None:
    inc = make_incident(ctx)
    meet_gates(ctx, inc)
    for status in ("investigating", "mitigating", "mitigated", "resolved", "closed"):
        run(ctx, Transition(incident_id=inc, status=status))
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match="is closed; only corrections, erasures"):
        run(ctx, command(inc))
    assert snapshot(ctx.engine) == before


def test_correction_is_a_new_event_pointing_at_the_old(ctx: Context) -> None:
    inc = make_incident(ctx)
    fact = run(ctx, LogEntry(incident_id=inc, kind="fact", text="5xx 38%"))[0]
    fix = run(
        ctx,
        CorrectEntry(incident_id=inc, target_seq=fact.seq, text="5xx 28%", reason="double count"),
    )[0]
    entries = {e.seq: e for e in timeline(ctx, inc)}
    assert entries[fact.seq].summary == "5xx 38%"
    assert entries[fact.seq].corrected_by_seq == fix.seq
    assert entries[fix.seq].corrects_seq == fact.seq
    with pytest.raises(InvalidCommandError, match="event 1 .* is incident.declared; only log"):
        run(ctx, CorrectEntry(incident_id=inc, target_seq=1, text="x"))
    with pytest.raises(NotFoundError, match="no event 99"):
        run(ctx, CorrectEntry(incident_id=inc, target_seq=99, text="x"))


def test_erasure_removes_the_payload_but_keeps_the_hash(ctx: Context) -> None:
    inc = make_incident(ctx)
    fact = run(ctx, LogEntry(incident_id=inc, kind="fact", text="caller 555-0100 said hi"))[0]
    fix = run(ctx, CorrectEntry(incident_id=inc, target_seq=fact.seq, text="caller said hi"))[0]
    run(ctx, EraseEntry(incident_id=inc, target_seq=fact.seq, reason="privacy request"))
    with ctx.engine.connect() as conn:
        row = conn.execute(
            sa.select(events.c.payload, events.c.hash).where(
                events.c.incident_id == inc, events.c.seq == fact.seq
            )
        ).one()
    assert row.payload is None
    assert row.hash == fact.hash
    entries = {e.seq: e for e in timeline(ctx, inc)}
    assert entries[fact.seq].summary is None
    assert entries[fact.seq].erased_by_seq is not None
    assert entries[fact.seq].corrected_by_seq == fix.seq
    with pytest.raises(InvalidCommandError, match="was erased by event"):
        run(ctx, EraseEntry(incident_id=inc, target_seq=fact.seq, reason="again"))
    with pytest.raises(InvalidCommandError, match="reason must not be empty"):
        run(ctx, EraseEntry(incident_id=inc, target_seq=fix.seq, reason=""))


def test_unknown_incident_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFoundError, match="no incident INC-20261123-404"):
        run(ctx, LogEntry(incident_id=IncidentId("INC-20261123-404"), kind="fact", text="x"))


def test_incident_on_a_ladder_no_longer_configured_fails_closed(ctx: Context) -> None:
    inc = make_incident(ctx)
    lost = replace(ctx, settings=replace(ctx.settings, ladders={"other": KFM}))
    with pytest.raises(ConfigError, match="ladder 'kfm', which is no longer configured"):
        run(lost, ChangeSeverity(incident_id=inc, severity="SEV0", reason="x"))


def test_a_skewed_clock_never_runs_a_chain_backwards(ctx: Context, clock: Clock) -> None:
    inc = make_incident(ctx)
    clock.advance(hours=-2)
    late = run(ctx, LogEntry(incident_id=inc, kind="fact", text="x"))[0]
    first = timeline(ctx, inc)[0]
    assert late.ts >= first.ts


def test_actor_resolution_order(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def who(explicit: str | None, local: str | None) -> tuple[str, str | None]:
        found = resolve_identity(explicit, replace(ctx.settings, actor=local))
        return found.actor, found.asserted_by

    assert who("bob", "carol") == ("bob", "carol")  # --as: carol asserts bob
    assert who("carol", "carol") == ("carol", None)
    assert who(None, "carol") == ("carol", None)
    monkeypatch.setattr("getpass.getuser", lambda: "osuser")
    assert who(None, None) == ("osuser", None)
    assert who("bob", None) == ("bob", "osuser")


def test_timestamps_advance_with_the_clock(ctx: Context, clock: Clock) -> None:
    inc = make_incident(ctx)
    clock.advance(minutes=5)
    event = run(ctx, LogEntry(incident_id=inc, kind="fact", text="x"))[0]
    assert event.ts == iso_utc(clock.now)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            lambda inc: LogEntry(
                incident_id=inc, kind="fact", text="x", at=datetime(2099, 1, 1, tzinfo=UTC)
            ),
            "--at 2099-01-01T00:00Z is in the future",
        ),
        (
            lambda inc: PublishUpdate(
                incident_id=inc, impact="x", next_update_at=datetime(2020, 1, 1, tzinfo=UTC)
            ),
            "--next-update 2020-01-01T00:00Z is not in the future",
        ),
    ],
)
def test_times_must_be_on_the_right_side_of_now(
    ctx: Context, command: Callable[[IncidentId], Command], message: str
) -> None:
    inc = make_incident(ctx)
    with pytest.raises(InvalidCommandError, match=message):
        run(ctx, command(inc))


def test_detection_cannot_be_in_the_future(ctx: Context) -> None:
    before = snapshot(ctx.engine)
    with pytest.raises(
        InvalidCommandError, match="--detected-at 2099-01-01T00:00Z is in the future"
    ):
        run(ctx, Declare(title="x", severity="SEV3", detected_at=datetime(2099, 1, 1, tzinfo=UTC)))
    assert snapshot(ctx.engine) == before


def test_resolution_ends_the_update_cadence(ctx: Context) -> None:
    inc = make_incident(ctx)
    meet_gates(ctx, inc)
    assert detail(ctx, inc).summary.next_update_due is not None
    run(ctx, Transition(incident_id=inc, status="mitigated"))
    assert detail(ctx, inc).summary.next_update_due is not None  # monitoring still reports
    run(ctx, Transition(incident_id=inc, status="resolved"))
    assert detail(ctx, inc).summary.next_update_due is None
    run(ctx, PublishUpdate(incident_id=inc, facts=("all clear",)))
    run(ctx, ChangeSeverity(incident_id=inc, severity="SEV0", reason="late escalation"))
    assert detail(ctx, inc).summary.next_update_due is None  # no cadence after resolution


def test_erased_entries_leave_the_counts(ctx: Context) -> None:
    inc = make_incident(ctx)
    fact = run(ctx, LogEntry(incident_id=inc, kind="fact", text="x"))[0]
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="y"))
    run(ctx, EraseEntry(incident_id=inc, target_seq=fact.seq, reason="privacy"))
    assert detail(ctx, inc).entry_counts == {"fact": 1, "erased": 1}


def test_a_reader_holds_a_snapshot_and_never_blocks_a_writer(ctx: Context) -> None:
    from fireline.db import read_only

    inc = make_incident(ctx)
    with read_only(ctx.engine) as conn:
        before = len(queries.get_timeline(conn, inc))
        run(ctx, LogEntry(incident_id=inc, kind="fact", text="written while a reader is open"))
        assert len(queries.get_timeline(conn, inc)) == before
    assert len(timeline(ctx, inc)) == before + 1
