"""Postmortems from the record: drafts in the three templates, edits as events, review states
with the no-self-approval policy, the external version, due dates in business days, the
overdue tick, and the export's 90_postmortem/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fireline.commands import (
    AddActionItem,
    ApprovePostmortem,
    CorrectEntry,
    Declare,
    DraftPostmortem,
    EditPostmortem,
    LogEntry,
    PublishPostmortem,
    RecordPostmortemOverdue,
    SchedulePostmortem,
    SubmitPostmortem,
    Transition,
)
from fireline.config import load_settings
from fireline.domain import ActorId, IncidentId
from fireline.errors import ConfigError, InvalidCommandError, PolicyDeniedError
from fireline.postmortem import overdue
from fireline.postmortem.calendar import add_business_days, parse_holidays
from fireline.reads import postmortems
from fireline.service import Context, Identity, open_context, rebuild
from tests.conftest import Clock, Store
from tests.factories import make_incident, meet_gates, payload_of, projection_state, run, snapshot


def record_incident(ctx: Context) -> IncidentId:
    inc = make_incident(ctx)
    at = datetime(2026, 11, 23, 13, 52, tzinfo=UTC)
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="5xx rate 38%", refs=("dash:5xx",), at=at))
    run(ctx, LogEntry(incident_id=inc, kind="hypothesis", text="bad deploy 4f2c1e"))
    run(
        ctx,
        LogEntry(
            incident_id=inc, kind="decision", text="roll back", why="matches onset", approver="bob"
        ),
    )
    run(
        ctx,
        LogEntry(incident_id=inc, kind="root_cause", text="cache stampede", partial=True),
    )
    seq = run(ctx, LogEntry(incident_id=inc, kind="fact", text="carol@example.com paged"))[0].seq
    run(ctx, CorrectEntry(incident_id=inc, target_seq=seq, text="carol@example.com was paged"))
    run(
        ctx,
        AddActionItem(
            incident_id=inc,
            title="add stampede guard",
            owner="carol",
            due=date(2026, 12, 4),
            priority="P1",
            verification="load test shows no stampede",
        ),
    )
    return inc


def sections(ctx: Context, inc: IncidentId, *, external: bool = False) -> dict[str, str]:
    model = postmortems.postmortem(ctx, Identity(ActorId("alice")), inc, external=external)
    return {s["name"]: s["text"] for s in model["sections"]}


def test_a_draft_keeps_facts_and_hypotheses_apart(ctx: Context) -> None:
    inc = record_incident(ctx)
    run(ctx, DraftPostmortem(incident_id=inc, template="ir"))
    found = sections(ctx, inc)
    assert found["Root cause(s)"].splitlines()[1] == "- cache stampede (partial)"
    assert "bad deploy" not in found["Root cause(s)"]
    assert "bad deploy" not in found["Timeline (UTC)"]
    assert "not established causes" in found["Hypotheses considered (not causes)"]
    assert "bad deploy 4f2c1e" in found["Hypotheses considered (not causes)"]
    assert "why: matches onset; approver: bob" in found["Decisions"]
    assert "2026-11-23 13:52Z — Impact began" in found["Timeline (UTC)"]
    assert "was paged" in found["Corrections"]
    assert (
        "| add stampede guard | carol | P1 | 2026-12-04 | load test shows no stampede | open |"
        in found["Corrective actions"]
    )
    assert "- Time to detect: 8 min" in found["Detection & response"]


@pytest.mark.parametrize(
    ("template", "heading"),
    [
        ("kfm", "Where we got lucky"),
        ("ir", "Prevention / hardening"),
        ("evidence-kit", "What didn't"),
    ],
)
def test_every_template_has_its_seed_sections(ctx: Context, template: str, heading: str) -> None:
    inc = record_incident(ctx)
    run(ctx, DraftPostmortem(incident_id=inc, template=template))
    found = sections(ctx, inc)
    assert heading in found
    assert "5 Whys" in found
    assert found["5 Whys"].startswith("1. Why did it happen? cache stampede (partial)")


def test_bad_input_is_refused_and_nothing_written(ctx: Context) -> None:
    inc = record_incident(ctx)
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match="unknown postmortem template 'a3'"):
        run(ctx, DraftPostmortem(incident_id=inc, template="a3"))
    with pytest.raises(InvalidCommandError, match="has no postmortem draft"):
        run(ctx, EditPostmortem(incident_id=inc, section="Summary", text="x"))
    assert snapshot(ctx.engine) == before
    run(ctx, DraftPostmortem(incident_id=inc, template="ir"))
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match="no section 'Lessons'; known: 'Summary'"):
        run(ctx, EditPostmortem(incident_id=inc, section="Lessons", text="x"))
    with pytest.raises(InvalidCommandError, match="not in review"):
        run(ctx, ApprovePostmortem(incident_id=inc), "erin")
    with pytest.raises(InvalidCommandError, match="not resolved yet"):
        run(ctx, SchedulePostmortem(incident_id=inc, owner="carol"))
    assert snapshot(ctx.engine) == before


def test_edits_are_events_and_survive_a_new_draft(ctx: Context) -> None:
    inc = record_incident(ctx)
    run(ctx, DraftPostmortem(incident_id=inc, template="ir"))
    events = run(ctx, EditPostmortem(incident_id=inc, section="root CAUSE(s)", text="The cache."))
    assert events[0].kind == "postmortem.edited"
    assert payload_of(events)["section"] == "Root cause(s)"
    run(ctx, LogEntry(incident_id=inc, kind="mitigation", text="guard deployed"))
    run(ctx, DraftPostmortem(incident_id=inc, template="ir"))
    found = sections(ctx, inc)
    assert found["Root cause(s)"] == "The cache."
    assert "guard deployed" in found["Detection & response"]


def test_review_states_and_no_self_approval(ctx: Context) -> None:
    inc = record_incident(ctx)
    run(ctx, DraftPostmortem(incident_id=inc, template="kfm"))
    run(ctx, SubmitPostmortem(incident_id=inc, reviewers=("alice", "erin")))
    before = snapshot(ctx.engine)
    with pytest.raises(PolicyDeniedError, match="alice wrote this postmortem and may not approve"):
        run(ctx, ApprovePostmortem(incident_id=inc), "alice")
    with pytest.raises(InvalidCommandError, match="bob is not a reviewer"):
        run(ctx, ApprovePostmortem(incident_id=inc), "bob")
    assert snapshot(ctx.engine) == before
    # An edit in review sends it back to draft; resubmitted to someone else, it is approved.
    run(ctx, EditPostmortem(incident_id=inc, section="What went well", text="fast rollback"))
    assert (
        postmortems.postmortem(ctx, Identity(ActorId("alice")), inc, external=False)["state"]
        == "draft"
    )
    run(ctx, SubmitPostmortem(incident_id=inc, reviewers=("erin",)))
    assert payload_of(run(ctx, ApprovePostmortem(incident_id=inc), "erin"))["complete"] is True
    with pytest.raises(InvalidCommandError, match="publish the postmortem"):
        run(ctx, PublishPostmortem(incident_id=inc, external=True))
    run(ctx, PublishPostmortem(incident_id=inc))
    model = postmortems.postmortem(ctx, Identity(ActorId("alice")), inc, external=False)
    assert (model["state"], model["approvals"]) == ("published", ["erin"])


def test_the_external_version_has_no_names_pii_refs_or_restricted_sections(ctx: Context) -> None:
    inc = record_incident(ctx)
    run(ctx, DraftPostmortem(incident_id=inc, template="ir"))
    run(ctx, EditPostmortem(incident_id=inc, section="Root cause(s)", text="bob saw the cache"))
    found = sections(ctx, inc, external=True)
    text = "\n".join(found.values())
    assert "Decisions" not in found
    assert "Governance & safety review" not in found
    assert "Hypotheses considered (not causes)" not in found
    assert "carol" not in text
    assert "alice" not in text
    assert "bob" not in text
    assert "dash:5xx" not in text
    assert "example.com" not in text
    assert found["Root cause(s)"] == "a responder saw the cache"
    # Reviewed apart: submitting it needs the internal version approved first.
    with pytest.raises(InvalidCommandError, match="must be approved before its external"):
        run(ctx, SubmitPostmortem(incident_id=inc, reviewers=("erin",), external=True))


def test_business_days_skip_weekends_and_holidays() -> None:
    friday = date(2026, 11, 27)
    assert add_business_days(friday, 5) == date(2026, 12, 4)
    holidays = parse_holidays("# company days\n2026-12-01 founders' day\n\n", source="h")
    assert add_business_days(friday, 5, holidays) == date(2026, 12, 7)
    with pytest.raises(ConfigError, match="holidays file h line 2: '2026-13-01' is not a date"):
        parse_holidays("2026-12-01\n2026-13-01\n", source="h")


def resolved_incident(ctx: Context) -> IncidentId:
    inc = make_incident(ctx, severity="SEV2")
    meet_gates(ctx, inc)
    run(ctx, Transition(incident_id=inc, status="resolved"))
    return inc


def test_due_is_business_days_after_resolved_with_the_holiday_file(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("2026-11-26 thanksgiving\n")
    env = {**store.env, "FIRELINE_HOLIDAYS_FILE": str(holidays)}
    ctx = open_context(load_settings(env, cwd=tmp_path), clock=clock)
    try:
        inc = resolved_incident(ctx)  # resolved Monday 2026-11-23
        event = payload_of(run(ctx, SchedulePostmortem(incident_id=inc, owner="carol")))
        assert event["due"] == "2026-12-01"  # 5 business days, Thursday skipped
        assert event["holidays"] == ["2026-11-26"]
        holidays.write_text("not-a-date\n")
        before = snapshot(ctx.engine)
        with pytest.raises(ConfigError, match="line 1: 'not-a-date' is not a date"):
            run(ctx, SchedulePostmortem(incident_id=inc, owner="carol"))
        assert snapshot(ctx.engine) == before
    finally:
        ctx.close()


def test_overdue_is_recorded_once_by_the_scheduler(ctx: Context, clock: Clock) -> None:
    inc = resolved_incident(ctx)  # meet_gates scheduled it for 2026-12-01
    assert overdue.tick(ctx, datetime(2026, 12, 1, 12, tzinfo=UTC)) == []
    clock.now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    before = snapshot(ctx.engine)
    with pytest.raises(PolicyDeniedError, match="only fireline's scheduler"):
        run(ctx, RecordPostmortemOverdue(incident_id=inc, due=date(2026, 12, 1)), "alice")
    assert snapshot(ctx.engine) == before
    events = overdue.tick(ctx, clock.now)
    assert [(e.incident_id, e.kind, e.actor) for e in events] == [
        (inc, "postmortem.overdue", "scheduler:deadlines")
    ]
    assert overdue.tick(ctx, clock.now) == []
    listed = postmortems.list_postmortems(ctx, Identity(ActorId("alice")), overdue_only=True)
    assert [(p["incident_id"], p["overdue"]) for p in listed] == [(inc, True)]


def test_rebuild_replays_the_postmortem_identically(ctx: Context) -> None:
    inc = record_incident(ctx)
    run(ctx, DraftPostmortem(incident_id=inc, template="evidence-kit"))
    run(ctx, EditPostmortem(incident_id=inc, section="What worked", text="the rollback"))
    run(ctx, SubmitPostmortem(incident_id=inc, reviewers=("erin",)))
    before = projection_state(ctx.engine)
    rebuild(ctx, actor=ActorId("alice"))
    assert projection_state(ctx.engine) == before


def test_a_hidden_incident_postmortem_answers_like_a_missing_one(ctx: Context) -> None:
    from fireline.errors import NotFoundError

    inc = make_incident(ctx, labels=("restricted",))
    run(ctx, DraftPostmortem(incident_id=inc, template="ir"))
    with pytest.raises(NotFoundError, match=f"^no incident {inc}$"):
        postmortems.postmortem(ctx, Identity(ActorId("mallory")), inc, external=False)
    assert postmortems.list_postmortems(ctx, Identity(ActorId("mallory"))) == []
    run(ctx, Declare(title="other", severity="SEV3"))
