"""Metrics against hand-computed figures: a scripted set of incidents with known times."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fireline.commands import (
    AddActionItem,
    Command,
    CompleteActionItem,
    CompletePostmortem,
    Declare,
    PublishUpdate,
    RecordMilestone,
    Transition,
)
from fireline.domain import IncidentId
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.metrics import compute, render
from fireline.metrics.command import build, from_document, parse_query
from fireline.metrics.compute import MilestoneRow
from fireline.metrics.store import on_connection
from fireline.service import Context
from tests.conftest import Clock, Store
from tests.factories import meet_gates, run

DAY = datetime(2026, 11, 23, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def at(clock: Clock, hhmm: str) -> datetime:
    """Set the clock so the next write is stamped exactly at hh:mm on DAY."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    moment = DAY + timedelta(hours=hours, minutes=minutes)
    clock.now = moment - timedelta(seconds=1)
    return moment


def script(ctx: Context, clock: Clock) -> dict[str, IncidentId]:
    """A: SEV1, impact 09:40, detected 09:50, declared 10:00 (alice in command), one update on
    time and one late, mitigated 10:30, resolved 11:40, action item done on time, postmortem
    done. B: SEV1 `internal`, declared 12:00, mitigated 12:20, resolved 13:00, an action item
    left open past its due day. C: SEV2 `internal` + `public`, detected 12:30, declared 13:00,
    acknowledged (stated) 13:10, still open."""

    def do(hhmm: str, command: Command) -> IncidentId:
        moment = at(clock, hhmm)
        events = run(ctx, command)
        assert events[0].ts == moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        return IncidentId(events[0].incident_id)

    def hm(hours: int, minutes: int) -> datetime:
        return DAY + timedelta(hours=hours, minutes=minutes)

    a = do(
        "10:00", Declare(title="Checkout down", severity="SEV1", ic="alice", detected_at=hm(9, 50))
    )
    do("10:01", RecordMilestone(incident_id=a, milestone="started", at=hm(9, 40)))
    do("10:10", PublishUpdate(incident_id=a, impact="checkout failing"))
    at(clock, "10:12")
    meet_gates(ctx, a)
    do(
        "10:20",
        AddActionItem(
            incident_id=a,
            title="alert on 5xx",
            owner="carol",
            due=date(2026, 11, 24),
            verification="the 5xx alert fires in staging",
        ),
    )
    do("10:30", Transition(incident_id=a, status="mitigated"))
    do("10:55", PublishUpdate(incident_id=a, impact="recovering"))
    do("11:00", CompleteActionItem(incident_id=a, number=1))
    do("11:40", Transition(incident_id=a, status="resolved"))
    do("11:45", CompletePostmortem(incident_id=a, link="https://wiki/pm/a"))
    do("11:50", AddActionItem(incident_id=a, title="undated", owner="carol"))

    b = do(
        "12:00",
        Declare(
            title="Search slow",
            severity="SEV1",
            ic="alice",
            impact="slow search",
            labels=("internal",),
        ),
    )
    at(clock, "12:05")
    meet_gates(ctx, b)
    do("12:10", AddActionItem(incident_id=b, title="index", owner="dan", due=date(2026, 11, 24)))
    do("12:20", Transition(incident_id=b, status="mitigated"))
    do("13:00", Transition(incident_id=b, status="resolved"))

    c = do(
        "13:00",
        Declare(
            title="Exports lagging",
            severity="SEV2",
            labels=("internal", "public"),
            detected_at=hm(12, 30),
        ),
    )
    do("13:11", RecordMilestone(incident_id=c, milestone="acknowledged", at=hm(13, 10)))
    return {"a": a, "b": b, "c": c}


def metrics_of(ctx: Context, by: str) -> compute.Report:
    query = parse_query("2026-11-01", "2026-12-01", by, today=TODAY)
    with ctx.engine.connect() as conn:
        return build(on_connection(conn), query, today=TODAY)


def group(report: compute.Report, key: str) -> compute.Group:
    return next(g for g in report.groups if g.key == key)


@pytest.mark.slow
def test_metrics_match_the_hand_computed_figures(
    ctx: Context, clock: Clock, tmp_path: Path
) -> None:
    script(ctx, clock)
    check_by_severity(metrics_of(ctx, "severity"))
    check_by_label_and_month(ctx)
    check_documents(metrics_of(ctx, "severity"))
    check_cli(tmp_path)


def check_by_severity(report: compute.Report) -> None:
    assert [g.key for g in report.groups] == ["SEV1", "SEV2", "all"]
    sev1 = group(report, "SEV1")
    assert (sev1.incidents, sev1.open) == (2, 0)
    # detect: A only (600 s); acknowledge: A 600 s (detected 09:50 → declared 10:00), B 0 s.
    assert sev1.durations["detect"] == compute.Spread(1, 600.0, 600.0)
    assert sev1.durations["acknowledge"] == compute.Spread(2, 300.0, 540.0)
    # mitigate: A 09:40 → 10:30 = 3000 s, B 12:00 → 12:20 = 1200 s; p90 = 1200 + 0.9 × 1800.
    assert sev1.durations["mitigate"] == compute.Spread(2, 2100.0, 2820.0)
    assert sev1.durations["resolve"] == compute.Spread(2, 5400.0, 6840.0)
    # Updates: A's first before its 10:30 due, the second after the 10:40 due.
    assert sev1.rates["updates"] == compute.Rate(1, 1)
    # Action items: A#1 done on time, B#1 open past its due day; A#2 has no due day.
    assert sev1.rates["actions"] == compute.Rate(1, 1)
    # Postmortems: A done before 2026-12-01; B not yet due on TODAY (pending).
    assert sev1.rates["postmortems"] == compute.Rate(1, 0)
    sev2 = group(report, "SEV2")
    assert (sev2.incidents, sev2.open) == (1, 1)
    assert sev2.durations["acknowledge"] == compute.Spread(1, 2400.0, 2400.0)
    assert sev2.durations["mitigate"].n == 0
    total = group(report, "all")
    # acknowledge over all: [0, 600, 2400] → median 600, p90 at rank 1.8 = 600 + 0.8 × 1800.
    assert total.durations["acknowledge"] == compute.Spread(3, 600.0, 2040.0)
    assert total.incidents == 3


def check_by_label_and_month(ctx: Context) -> None:
    by_label = metrics_of(ctx, "label")
    assert [(g.key, g.incidents) for g in by_label.groups] == [
        ("(none)", 1),
        ("internal", 2),
        ("public", 1),
        ("all", 3),
    ]
    assert group(by_label, "internal").durations["acknowledge"] == compute.Spread(2, 1200.0, 2160.0)
    by_month = metrics_of(ctx, "month")
    assert [(g.key, g.incidents) for g in by_month.groups] == [("2026-11", 3), ("all", 3)]


def check_documents(report: compute.Report) -> None:
    document = render.document(report)
    assert document["groups"][0]["durations"]["resolve"] == {
        "n": 2,
        "median_s": 5400.0,
        "p90_s": 6840.0,
    }
    assert document["groups"][0]["rates"]["updates"]["share"] == 0.5
    assert from_document(json.loads(json.dumps(document))) == report
    rows = render.csv_text(report).splitlines()
    assert rows[0].startswith("group,incidents,open,detect_n,detect_median_s")
    assert rows[1].startswith("SEV1,2,0,1,600.000,600.000,2,300.000,540.000")


def check_cli(tmp_path: Path) -> None:
    from fireline.cli import app

    out = tmp_path / "chart.png"
    result = CliRunner().invoke(
        app,
        ["metrics", "--since", "2026-11-01", "--until", "2026-12-01", "--chart", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "SEV1: 2 incident(s), 0 open" in result.stdout
    assert "time to resolve             median   1h30m   p90   1h54m   (n=2)" in result.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "malformed --since '2026-13-01'; expected YYYY-MM-DD"),
        (["--until", "yesterday"], "malformed --until 'yesterday'; expected YYYY-MM-DD"),
        (["--since", "2026-11-02", "--until", "2026-11-01"], "is not after --since"),
        (["--by", "team"], "unknown --by 'team'; allowed: severity, label, month"),
        (["--format", "xml"], "unknown --format 'xml'"),
        (["--chart", "out.svg"], "must name a .png file"),
        (["--since", "2020-01-01", "--until", "2020-02-01"], "no incidents declared from"),
    ],
)
def test_metrics_bad_input_is_one_line_and_writes_nothing(
    store: Store, args: list[str], message: str
) -> None:
    from fireline.cli import app

    result = CliRunner().invoke(app, ["metrics", *args])
    assert result.exit_code in (2, 3)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


def test_parse_query_defaults_and_refusals() -> None:
    query = parse_query(None, None, "month", today=TODAY)
    assert (query.since, query.until) == (date(2026, 8, 27), date(2026, 11, 26))
    with pytest.raises(InvalidCommandError):
        parse_query("2026-02-30", None, "severity", today=TODAY)


def test_empty_range_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFoundError, match="no incidents declared"):
        metrics_of(ctx, "severity")


def _row(**overrides: object) -> MilestoneRow:
    fields: dict[str, object] = {
        "incident_id": "INC-20261123-001",
        "severity": "SEV1",
        "severity_rank": 3,
        "labels": (),
        "declared_at": "2026-11-23T10:00:00.000000Z",
        "started_at": None,
        "detected_at": None,
        "acknowledged_at": None,
        "mitigated_at": None,
        "resolved_at": None,
        "closed_at": None,
        "updates_on_time": 0,
        "updates_late": 0,
        "updates_overdue": 0,
        "obligations": (),
        "postmortem_due": None,
        "postmortem_done_at": None,
    }
    fields.update(overrides)
    return MilestoneRow(**fields)  # type: ignore[arg-type]


def test_obligations_and_overdue_slots_count_once() -> None:
    rows = [
        _row(
            obligations=("met", "late", "missed", "open"),
            updates_on_time=3,
            updates_late=1,
            updates_overdue=2,
        ),
        _row(incident_id="INC-20261123-002", obligations=("met",), updates_on_time=1),
    ]
    total = compute.report(rows, [], by="severity", since=TODAY, until=TODAY, today=TODAY).total
    # Open obligations are pending; a met after missed is late.
    assert total.rates["obligations"] == compute.Rate(2, 2)
    # The first incident missed two slots (overdue 2 ≥ one late update): 4 on time of 6.
    assert total.rates["updates"] == compute.Rate(4, 2)


def test_percentile_interpolates_between_ranks() -> None:
    assert compute.percentile([10.0], 0.9) == 10.0
    assert compute.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert compute.percentile([0.0, 100.0], 0.9) == 90.0
    assert compute.percentile([], 0.5) is None


def _launch(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    from fireline import launcher

    monkeypatch.setattr("sys.argv", ["fireline", *argv])
    with pytest.raises(SystemExit) as exit_:
        launcher.main()
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


def test_the_launchers_fast_path_answers_like_the_command(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fireline.cli import app

    run(ctx, Declare(title="Checkout down", severity="SEV1", ic="alice", labels=("internal",)))
    args = ["metrics", "--since", "2026-01-01", "--until=2100-01-01", "--by", "label"]
    for extra in ([], ["--format", "csv"], ["--format", "json"]):
        code, out, err = _launch([*args, *extra], monkeypatch, capsys)
        typer = CliRunner().invoke(app, [*args, *extra])
        assert (code, out, err) == (0, typer.stdout, "")
    code, out, err = _launch(["metrics", "--since", "2026-02-30"], monkeypatch, capsys)
    assert (code, out) == (2, "")
    assert err == "fireline: error: malformed --since '2026-02-30'; expected YYYY-MM-DD\n"
    # Anything the fast path does not know goes to Typer (here: its usage error, exit 2).
    code, out, err = _launch(["metrics", "--nope"], monkeypatch, capsys)
    assert (code, out) == (2, "")
    assert "--nope" in err


def test_metrics_json_output_parses(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ctx, Declare(title="Checkout down", severity="SEV1", ic="alice"))
    code, out, _ = _launch(
        ["metrics", "--since", "2026-01-01", "--format", "json"], monkeypatch, capsys
    )
    assert code == 0
    assert json.loads(out)["groups"][0]["key"] == "SEV1"
