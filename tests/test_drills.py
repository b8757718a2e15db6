"""Drills: the programme (what is due when), exercises recorded with outcomes and findings, and
drill incidents kept out of metrics and off the public status page."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from fireline.commands import Declare, PublishUpdate, RecordDrill
from fireline.config import load_settings
from fireline.db import read_only
from fireline.domain import IncidentId
from fireline.drills import reads
from fireline.drills.programme import DEFAULT_PROGRAMME, DrillKind, period_of, plan
from fireline.errors import ConfigError, InvalidCommandError, NotFoundError, PolicyDeniedError
from fireline.metrics.command import build, parse_query
from fireline.metrics.store import on_connection
from fireline.service import Context
from tests.conftest import Cli
from tests.factories import run

QUARTERLY = DrillKind("tabletop-availability", "Tabletop: availability", "quarter")
YEARLY = DrillKind("full-drill-sev3", "SEV3 full drill", "year")


def test_periods_start_on_the_calendar() -> None:
    assert period_of("quarter", date(2026, 11, 23)).name == "2026-Q4"
    assert period_of("half", date(2026, 3, 1)).name == "2026-H1"
    assert period_of("month", date(2026, 12, 31)).end == date(2027, 1, 1)
    assert period_of("year", date(2026, 5, 5)).start == date(2026, 1, 1)


def test_plan_marks_done_due_missed_and_planned() -> None:
    done = [("tabletop-availability", date(2026, 2, 10), "INC-20260210-001")]
    slots = plan([QUARTERLY, YEARLY], done, start=date(2026, 1, 1), end=date(2026, 12, 31))
    today = date(2026, 5, 1)
    assert [(s.kind.key, s.period.name, s.status(today)) for s in slots] == [
        ("full-drill-sev3", "2026", "due"),
        ("tabletop-availability", "2026-Q1", "done"),
        ("tabletop-availability", "2026-Q2", "due"),
        ("tabletop-availability", "2026-Q3", "planned"),
        ("tabletop-availability", "2026-Q4", "planned"),
    ]
    assert slots[1].done == ("INC-20260210-001",)
    assert (
        plan([QUARTERLY], [], start=date(2026, 1, 1), end=date(2026, 6, 30))[0].status(today)
        == "missed"
    )


def test_default_programme_covers_the_seeds() -> None:
    kinds = {kind.key: kind.every for kind in DEFAULT_PROGRAMME}
    assert kinds == {
        "tabletop-availability": "quarter",
        "tabletop-data-integrity": "quarter",
        "tabletop-governance": "quarter",
        "tabletop-sev2": "quarter",
        "full-drill-sev3": "year",
        "breakglass-validation": "half",
        "backup-comms-validation": "half",
    }


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[drills.x]\nevery = "quarter"\n', "drill kind 'x' in .* needs a title string"),
        ('[drills.x]\ntitle = "X"\nevery = "weekly"\n', "every must be one of month, quarter"),
        ('[drills.x]\ntitle = "X"\nevery = "year"\nwhen = 1\n', "unknown key 'when'"),
        ('[components.api]\nsystems = ["api"]\n', "component 'api' in .* needs a name string"),
        ('[components.api]\nname = "API"\nsystems = "api"\n', "systems must be a list"),
    ],
)
def test_bad_programme_or_components_config_is_one_line(
    tmp_path: Path, toml: str, message: str
) -> None:
    (tmp_path / "fireline.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings({"FIRELINE_HOME": str(tmp_path)}, cwd=tmp_path)


def test_configured_programme_and_components_load(tmp_path: Path) -> None:
    (tmp_path / "fireline.toml").write_text(
        '[drills.dr]\ntitle = "DR failover"\nevery = "half"\nsource = "ops"\n'
        '[components.api]\nname = "Catalog API"\nsystems = ["api", "search"]\n'
    )
    settings = load_settings({"FIRELINE_HOME": str(tmp_path)}, cwd=tmp_path)
    assert settings.drill_programme == (DrillKind("dr", "DR failover", "half", "", "ops"),)
    assert settings.components[0].systems == ("api", "search")


def drill(ctx: Context) -> IncidentId:
    return IncidentId(
        run(ctx, Declare(title="Q4 tabletop", severity="SEV1", ic="alice", drill=True))[
            0
        ].incident_id
    )


def test_drill_outcome_and_findings_become_action_items(ctx: Context) -> None:
    inc = drill(ctx)
    events = run(
        ctx,
        RecordDrill(
            incident_id=inc,
            kind="tabletop-availability",
            outcome="failover took 40 min; the runbook missed the DNS step",
            findings=("add the DNS step to the failover runbook", "page the DB on-call too"),
            owner="carol",
            due=date(2026, 12, 15),
        ),
    )
    assert [e.kind for e in events] == ["drill.completed", "action_item.added", "action_item.added"]
    assert events[0].payload is not None
    assert events[0].payload["findings"] == [1, 2]
    with read_only(ctx.engine) as conn:
        done = reads.list_done(conn)
        model = reads.programme(conn, ctx.settings, year=2026, today=date(2026, 11, 23))
        due = reads.due(conn, ctx.settings, today=date(2026, 11, 23))
    assert done[0]["findings"] == [{"number": 1, "status": "open"}, {"number": 2, "status": "open"}]
    q4 = [s for s in model["slots"] if s["kind"] == "tabletop-availability"][-1]
    assert (q4["period"], q4["status"], q4["done"]) == ("2026-Q4", "done", [inc])
    assert "tabletop-availability" not in {s["kind"] for s in due["due"]}
    assert "tabletop-data-integrity" in {s["kind"] for s in due["due"]}
    assert "tabletop-data-integrity" in {s["kind"] for s in due["missed"]}  # Q3 went undone


def test_drill_record_refusals(ctx: Context) -> None:
    real = IncidentId(run(ctx, Declare(title="real", severity="SEV2", ic="alice"))[0].incident_id)
    with pytest.raises(InvalidCommandError, match="is not a drill"):
        run(ctx, RecordDrill(incident_id=real, kind="tabletop-availability", outcome="x"))
    inc = drill(ctx)
    with pytest.raises(InvalidCommandError, match="unknown drill kind 'chaos'"):
        run(ctx, RecordDrill(incident_id=inc, kind="chaos", outcome="x"))
    with pytest.raises(PolicyDeniedError, match="only the incident commander"):
        run(ctx, RecordDrill(incident_id=inc, kind="tabletop-sev2", outcome="x"), "mallory")


def test_drills_are_kept_out_of_metrics_and_the_status_page(ctx: Context) -> None:
    inc = drill(ctx)
    with pytest.raises(PolicyDeniedError, match="is a DRILL: its updates never go on the public"):
        run(ctx, PublishUpdate(incident_id=inc, impact="exercise", public=True))
    query = parse_query("2026-11-01", "2026-12-01", "severity", today=date(2026, 11, 23))
    with read_only(ctx.engine) as conn, pytest.raises(NotFoundError, match="drills excluded"):
        build(on_connection(conn), query, today=date(2026, 11, 23))
    run(ctx, Declare(title="real", severity="SEV2", ic="alice"))
    with read_only(ctx.engine) as conn:
        report = build(on_connection(conn), query, today=date(2026, 11, 23))
    assert report.total.incidents == 1


def test_drill_cli_plan_due_record_and_list(cli: Cli) -> None:
    declared = cli("declare", "Q4 tabletop", "--sev", "SEV2", "--drill")
    assert declared.exit_code == 0, declared.output
    inc = declared.stdout.strip()
    recorded = cli(
        "drill",
        "record",
        inc,
        "--kind",
        "tabletop-sev2",
        "--outcome",
        "comms were late",
        "--finding",
        "pre-write the status page template",
    )
    assert recorded.exit_code == 0, recorded.output
    assert f"{inc} event" in recorded.stdout
    assert "drill.completed" in recorded.stdout
    listed = cli("drill", "list")
    assert (
        f"DRILL {inc}  tabletop-sev2: comms were late (0 of 1 finding(s) closed)" in listed.stdout
    )
    planned = cli("drill", "plan", "--quarterly")
    assert planned.exit_code == 0
    assert planned.stdout.splitlines()[1] == "Q1"
    due = cli("drill", "due", "--format", "json")
    model = json.loads(due.stdout)
    assert {"due", "missed", "done"} <= set(model)
    refused = cli("drill", "record", inc, "--kind", "nope", "--outcome", "x")
    assert refused.exit_code == 2
    assert refused.stderr.strip().startswith("fireline: error: unknown drill kind 'nope'")
