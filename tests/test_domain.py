"""Pure rules: ids, ladders, roles, the lifecycle state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.domain import (
    CLOCK_SKEW,
    DEFAULT_ROSTER,
    DETECTION_LOOKBACK,
    DUE_HORIZON_DAYS,
    LEAD_IN,
    TRANSITIONS,
    UNCADENCED_UPDATE_HORIZON,
    Ladder,
    SeverityLevel,
    Status,
    check_detected,
    check_due,
    check_observed,
    check_planned,
    check_transition,
    format_byte_size,
    format_incident_id,
    iso_utc,
    parse_actor,
    parse_byte_size,
    parse_day,
    parse_duration,
    parse_incident_id,
    parse_status,
    parse_when,
    require_text,
    update_horizon,
)
from fireline.errors import InvalidCommandError, InvalidTransitionError
from fireline.ladders import CLASSIC, FIVE_LEVEL, KFM, PRESETS


def test_incident_id_round_trips() -> None:
    incident_id = format_incident_id(date(2026, 11, 23), 1)
    assert incident_id == "INC-20261123-001"
    assert parse_incident_id(incident_id) == incident_id


@pytest.mark.parametrize("text", ["INC-2026-001", "inc-20261123-001", "INC-20261123-1", "", "x"])
def test_parse_incident_id_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidCommandError, match="malformed incident id"):
        parse_incident_id(text)


def test_worst_level_is_by_rank_not_by_digit() -> None:
    assert KFM.ordered()[0].name == "SEV0"
    assert CLASSIC.ordered()[0].name == "SEV1"
    assert FIVE_LEVEL.ordered()[0].name == "SEV4"
    assert FIVE_LEVEL.level("4").rank > FIVE_LEVEL.level("0").rank
    assert KFM.level("0").rank > KFM.level("3").rank


@pytest.mark.parametrize("text", ["SEV1", "sev1", " Sev1 ", "1"])
def test_ladder_lookup_is_forgiving(text: str) -> None:
    assert KFM.level(text).name == "SEV1"


def test_ladder_rejects_unknown_level_listing_allowed() -> None:
    with pytest.raises(
        InvalidCommandError, match="unknown severity 'SEV9'.*SEV0, SEV1, SEV2, SEV3"
    ):
        KFM.level("SEV9")


def test_presets_carry_every_field_the_seeds_define() -> None:
    assert set(PRESETS) == {"kfm", "classic", "five-level"}
    assert [lvl.update_cadence_minutes for lvl in KFM.ordered()] == [15, 30, 60, None]
    assert [lvl.customer_notice_minutes for lvl in CLASSIC.ordered()] == [30, 120, None]
    assert [lvl.freeze for lvl in KFM.ordered()] == [True, True, False, False]
    assert [lvl.freeze for lvl in FIVE_LEVEL.ordered()] == [True, True, False, False, False]
    assert "RTO 1 h" in FIVE_LEVEL.level("3").response_target


def test_ladder_rejects_duplicate_ranks_and_names() -> None:
    level = SeverityLevel("A", 1, "", None, "")
    with pytest.raises(InvalidCommandError, match="repeats a rank"):
        Ladder("x", (level, SeverityLevel("B", 1, "", None, "")))
    with pytest.raises(InvalidCommandError, match="repeats a level name"):
        Ladder("x", (level, SeverityLevel("a", 2, "", None, "")))
    with pytest.raises(InvalidCommandError, match="has no levels"):
        Ladder("x", ())


@pytest.mark.parametrize("text", ["ic", "IC", "tech-lead", "Tech_Lead", "incident commander"])
def test_roster_finds_roles_by_key_or_title(text: str) -> None:
    assert DEFAULT_ROSTER.get(text).key in {"ic", "tech_lead"}


def test_roster_rejects_unknown_role() -> None:
    with pytest.raises(InvalidCommandError, match="unknown role 'pilot'; allowed: ic, tech_lead"):
        DEFAULT_ROSTER.get("pilot")


def test_status_accepts_monitoring_as_mitigated() -> None:
    assert parse_status("Monitoring") is Status.MITIGATED
    with pytest.raises(InvalidCommandError, match="unknown status 'done'"):
        parse_status("done")


@given(st.sampled_from(list(Status)), st.sampled_from(list(Status)))
def test_transitions_follow_the_table(current: Status, target: Status) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransitionError, match=f"illegal transition {current.value}"):
            check_transition(current, target)


def test_no_status_jumps_to_closed_except_from_resolved() -> None:
    assert [s for s in Status if Status.CLOSED in TRANSITIONS[s]] == [Status.RESOLVED]
    assert Status.MITIGATING in TRANSITIONS[Status.MITIGATED]
    assert TRANSITIONS[Status.CLOSED] == frozenset()


def test_the_only_way_back_is_mitigated_to_mitigating() -> None:
    order = list(Status)
    backwards = {
        (current, target)
        for current, targets in TRANSITIONS.items()
        for target in targets
        if order.index(target) <= order.index(current)
    }
    assert backwards == {(Status.MITIGATED, Status.MITIGATING)}


def test_every_status_is_reachable_from_declared() -> None:
    seen, frontier = {Status.DECLARED}, [Status.DECLARED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(Status)


def test_parse_when_treats_naive_as_utc_and_rejects_garbage() -> None:
    assert parse_when("--at", "2026-11-23T14:02Z") == datetime(2026, 11, 23, 14, 2, tzinfo=UTC)
    assert parse_when("--at", "2026-11-23 08:02-06:00").hour == 14
    with pytest.raises(InvalidCommandError, match="malformed --at 'yesterday'"):
        parse_when("--at", "yesterday")
    with pytest.raises(InvalidCommandError, match="malformed --due '2026-13-01'"):
        parse_day("--due", "2026-13-01")


def test_iso_utc_refuses_naive_times() -> None:
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    with pytest.raises(InvalidCommandError, match="no time zone"):
        iso_utc(datetime(2026, 1, 2))


@pytest.mark.parametrize("text", ["", "a b", "-x", "x" * 65, "al;ce"])
def test_parse_actor_rejects_odd_handles(text: str) -> None:
    with pytest.raises(InvalidCommandError, match="invalid actor"):
        parse_actor(text)


def test_require_text_strips_and_bounds() -> None:
    assert require_text("title", "  hi ") == "hi"
    with pytest.raises(InvalidCommandError, match="title must not be empty"):
        require_text("title", "   ")
    with pytest.raises(InvalidCommandError, match="the limit is 3"):
        require_text("title", "abcd", limit=3)


@pytest.mark.parametrize(
    ("text", "size"),
    [("1GiB", 1 << 30), ("512 MiB", 512 << 20), ("1048576", 1 << 20), ("4kib", 4096)],
)
def test_sizes_parse_in_binary_units(text: str, size: int) -> None:
    assert parse_byte_size("x", text) == size


@pytest.mark.parametrize("text", ["0", "0GiB", "1GB", "-5", "lots", "", "1.5GiB"])
def test_a_malformed_size_is_refused(text: str) -> None:
    with pytest.raises(InvalidCommandError, match="expected a size above 0 like 1GiB"):
        parse_byte_size("x", text)


def test_sizes_format_in_the_largest_whole_unit() -> None:
    assert [format_byte_size(n) for n in (1 << 30, 3 << 20, 1, 1500)] == [
        "1 GiB",
        "3 MiB",
        "1 byte",
        "1,500 bytes",
    ]


def test_observed_times_lie_between_the_lead_in_and_the_clock_skew() -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    now = start + timedelta(hours=2)
    for moment in (start - LEAD_IN, start, now, now + CLOCK_SKEW):
        assert check_observed("--at", moment, now=now, start=start) == moment
    with pytest.raises(InvalidCommandError, match="--at 2026-11-22T13:59Z is too long before"):
        check_observed("--at", start - LEAD_IN - timedelta(minutes=1), now=now, start=start)
    with pytest.raises(InvalidCommandError, match="--at 2026-11-23T16:06Z is in the future"):
        check_observed("--at", now + CLOCK_SKEW + timedelta(minutes=1), now=now, start=start)
    with pytest.raises(InvalidCommandError, match="--at 0001-01-01T00:00Z"):
        check_observed("--at", datetime(1, 1, 1, tzinfo=UTC), now=now, start=start)


def test_planned_times_lie_ahead_within_their_horizon() -> None:
    now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert update_horizon(30) == timedelta(minutes=30)
    assert update_horizon(None) == UNCADENCED_UPDATE_HORIZON
    due = now + timedelta(minutes=30)
    assert check_planned("--next-update", due, now=now, horizon=timedelta(minutes=30)) == due
    with pytest.raises(InvalidCommandError, match="is not in the future"):
        check_planned("--next-update", now, now=now, horizon=timedelta(minutes=30))
    with pytest.raises(InvalidCommandError, match="too far ahead; at most 30 minutes from now"):
        check_planned("--next-update", due + timedelta(seconds=1), now=now, horizon=due - now)
    today = now.date()
    assert check_due("--due", today, today=today) == today
    last = today + timedelta(days=DUE_HORIZON_DAYS)
    assert check_due("--due", last, today=today) == last
    with pytest.raises(InvalidCommandError, match="--due 2026-11-22 is in the past"):
        check_due("--due", today - timedelta(days=1), today=today)
    with pytest.raises(InvalidCommandError, match="too far ahead; at most 366 days"):
        check_due("--due", last + timedelta(days=1), today=today)


def test_detection_may_precede_declaration_by_the_lookback_only() -> None:
    now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    earliest = now - DETECTION_LOOKBACK
    assert check_detected("--detected-at", earliest, now=now) == earliest
    with pytest.raises(InvalidCommandError, match="is more than 90 days ago"):
        check_detected("--detected-at", earliest - timedelta(minutes=1), now=now)
    with pytest.raises(InvalidCommandError, match="is in the future"):
        check_detected("--detected-at", now + timedelta(hours=1), now=now)


def test_times_off_the_calendar_and_endless_durations_are_malformed() -> None:
    with pytest.raises(InvalidCommandError, match="malformed --at"):
        parse_when("--at", "0001-01-01T00:00+05:00")
    with pytest.raises(InvalidCommandError, match="malformed --expires"):
        parse_duration("--expires", "9999999999d")
    with pytest.raises(InvalidCommandError, match="--expires '999999999d99999h' is too long"):
        parse_duration("--expires", "999999999d99999h")
