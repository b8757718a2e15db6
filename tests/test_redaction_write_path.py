"""Redaction on the one write path: no planted secret is stored anywhere, summaries are
recorded, refusals are redacted, a bad rule file stops start-up, views mask PII."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import cycle
from pathlib import Path

import pytest
import sqlalchemy as sa

from fireline import commands as c
from fireline.config import load_settings
from fireline.db import events, metadata
from fireline.domain import IncidentId
from fireline.errors import ConfigError, InvalidCommandError
from fireline.ledger import store as ledger
from fireline.service import Context, open_context
from tests.conftest import Cli, Store
from tests.factories import run
from tests.test_redaction import SECRETS

PII = "page bob@example.org on +1 312 555 0142 from 10.20.30.40 at 41.878113, -87.629799"


def tour(ctx: Context) -> tuple[IncidentId, list[str]]:
    """Every free-text field of every incident command, each carrying a planted secret."""
    planted = cycle(SECRETS)
    used: list[str] = []

    def text() -> str:
        _, line, secret = next(planted)
        used.append(secret)
        return line

    incident = IncidentId(
        run(ctx, c.Declare(title=text(), severity="SEV1", impact=text(), ic="alice"))[0].incident_id
    )
    run(ctx, c.ChangeSeverity(incident_id=incident, severity="SEV2", reason=text()))
    run(ctx, c.Transition(incident_id=incident, status="investigating", reason=text()))
    fact = run(ctx, c.LogEntry(incident_id=incident, kind="fact", text=text()))[0]
    run(ctx, c.LogEntry(incident_id=incident, kind="decision", text=text(), why=text()))
    gone = run(ctx, c.LogEntry(incident_id=incident, kind="hypothesis", text=text()))[0]
    run(
        ctx,
        c.LogEntry(incident_id=incident, kind="mitigation", text=text(), refs=(f"doc:{text()}",)),
    )
    run(ctx, c.CorrectEntry(incident_id=incident, target_seq=fact.seq, text=text(), reason=text()))
    run(ctx, c.EraseEntry(incident_id=incident, target_seq=gone.seq, reason=text()))
    run(
        ctx,
        c.PublishUpdate(
            incident_id=incident,
            impact=text(),
            facts=(text(),),
            hypotheses=(text(),),
            actions=(text(),),
            next_steps=(text(),),
        ),
    )
    run(ctx, c.AddActionItem(incident_id=incident, title=text(), owner="alice"))
    run(
        ctx,
        c.CompleteActionItem(incident_id=incident, number=1, note=text(), verification=text()),
    )
    grant = run(
        ctx,
        c.GrantBreakglass(
            incident_id=incident,
            to="sam",
            scope=text(),
            why=text(),
            expires_in=timedelta(hours=1),
        ),
    )[0]
    run(ctx, c.RevokeBreakglass(incident_id=incident, grant_seq=grant.seq, reason=text()))
    run(ctx, c.RequestGateException(incident_id=incident, gate="mitigated", justification=text()))
    run(ctx, c.CompletePostmortem(incident_id=incident, link=text()))
    run(ctx, c.ReviewGovernance(incident_id=incident, outcome=text()))
    return incident, used


def stored_text(store: Store, ctx: Context) -> str:
    """Everything the store holds: the SQLite files' bytes, or every PostgreSQL row as text."""
    if store.backend == "sqlite":
        ctx.close()
        files = sorted(store.settings.home.glob("fireline.db*"))
        return "".join(path.read_bytes().decode("latin-1") for path in files)
    with ctx.engine.connect() as conn:
        return "\n".join(
            "\n".join(conn.execute(sa.text(f"SELECT t::text FROM {table.name} t")).scalars())
            for table in metadata.sorted_tables
        )


def test_a_tour_of_commands_stores_no_planted_secret(store: Store, ctx: Context) -> None:
    incident, planted = tour(ctx)
    assert len(planted) >= 25
    with ctx.engine.connect() as conn:
        recorded = ledger.read_events(conn, incident)
    counted = sum(sum((e.payload or {}).get("redacted", {}).values()) for e in recorded)
    assert counted >= len(planted) - 1  # the erased entry's summary went with its payload
    everything = stored_text(store, ctx)
    assert "[REDACTED:" in everything
    for secret in planted:
        assert secret not in everything


def test_each_event_records_types_and_counts_never_values(ctx: Context) -> None:
    key = "AKIAIOSFODNN7EXAMPL3"
    incident = IncidentId(
        run(ctx, c.Declare(title=f"leaked {key}", severity="SEV2", impact=f"{key} {PII}"))[
            0
        ].incident_id
    )
    event = run(ctx, c.LogEntry(incident_id=incident, kind="fact", text="plain text"))[0]
    with ctx.engine.connect() as conn:
        declared = ledger.read_events(conn, incident)[0]
    assert declared.payload is not None
    assert declared.payload["title"] == "leaked [REDACTED:aws-access-key#1]"
    assert declared.payload["redacted"] == {"aws-access-key": 2}
    assert declared.payload["sensitive"] == ["coordinates", "email", "ip", "phone"]
    assert PII in declared.payload["impact"]  # PII is kept in the store
    assert event.payload is not None
    assert (event.payload["redacted"], event.payload["sensitive"]) == ({}, [])


def test_coordinates_flag_the_incident_sensitive_location(cli: Cli, ctx: Context) -> None:
    incident = IncidentId(run(ctx, c.Declare(title="Sitemap leak", severity="SEV3"))[0].incident_id)
    run(ctx, c.LogEntry(incident_id=incident, kind="fact", text="bob@example.org saw it"))
    shown = json.loads(cli("show", incident, "--format", "json").stdout)
    assert shown["flags"] == []
    run(ctx, c.LogEntry(incident_id=incident, kind="fact", text="seen at POINT(-87.6298 41.8781)"))
    shown = json.loads(cli("show", incident, "--format", "json").stdout)
    assert shown["flags"] == ["sensitive-location"]
    assert cli("rebuild").exit_code == 0
    assert json.loads(cli("show", incident, "--format", "json").stdout)["flags"] == [
        "sensitive-location"
    ]


def test_a_refusal_never_echoes_a_secret(cli: Cli, ctx: Context) -> None:
    token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
    incident = IncidentId(run(ctx, c.Declare(title="x", severity="SEV2"))[0].incident_id)
    with pytest.raises(InvalidCommandError) as caught:
        run(ctx, c.ChangeSeverity(incident_id=incident, severity=token, reason="y"))
    assert token not in str(caught.value)
    assert "[REDACTED:github-token#1]" in caught.value.message
    result = cli("sev", incident, token, "--reason", "y")
    assert result.exit_code == 2
    assert token not in result.stderr
    assert "unknown severity '[REDACTED:github-token#1]'" in result.stderr
    result = cli("declare", "x", "--sev", "SEV2", "--label", "alice@example.org")
    assert result.exit_code == 2
    assert "alice@example.org" not in result.stderr
    assert "[masked:email]" in result.stderr


def test_a_bad_rule_file_stops_start_up_and_writes_nothing(
    cli: Cli, store: Store, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rules]]\nid = 'team-key'\nregex = '''team_[a-z+'''\nkeywords = ['team_']\n")
    monkeypatch.setenv("FIRELINE_REDACTION_RULES", str(rules))
    env = {**store.env, "FIRELINE_REDACTION_RULES": str(rules)}
    with pytest.raises(ConfigError, match="redaction rule 'team-key'"):
        open_context(load_settings(env, cwd=tmp_path))
    result = cli("declare", "Checkout down", "--sev", "SEV1")
    assert result.exit_code == 5
    assert result.stderr.startswith("fireline: error: redaction rule 'team-key' in ")
    assert result.stderr.count("\n") == 1
    with ctx.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar() == 0


def test_a_team_rule_file_redacts_on_the_write_path(
    cli: Cli, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        "[[rules]]\nid = 'team-key'\nregex = '''team_[a-z0-9]{12}'''\nkeywords = ['team_']\n"
    )
    monkeypatch.setenv("FIRELINE_REDACTION_RULES", str(rules))
    assert cli("declare", "key team_0a1b2c3d4e5f leaked", "--sev", "SEV2").exit_code == 0
    listing = cli("list").stdout
    assert "key [REDACTED:team-key#1] leaked" in listing
    assert "team_0a1b2c3d4e5f" not in listing


def declare_with_pii(cli: Cli) -> str:
    result = cli("declare", f"Leak: {PII}", "--sev", "SEV2", "--impact", PII)
    assert result.exit_code == 0, result.output
    incident = result.stdout.strip()
    assert cli("log", incident, "fact", PII).exit_code == 0
    return incident


MASKED = "page [masked:email] on [masked:phone] from [masked:ip] at 41.9, -87.6"
VIEWS = (
    ("show", "{i}"),
    ("show", "{i}", "--format", "json"),
    ("timeline", "{i}"),
    ("timeline", "{i}", "--format", "json"),
    ("list",),
    ("list", "--format", "json"),
)


@pytest.mark.parametrize("view", VIEWS)
def test_views_mask_pii_for_viewers_without_clearance(cli: Cli, view: tuple[str, ...]) -> None:
    incident = declare_with_pii(cli)
    result = cli(*(part.format(i=incident) for part in view))
    assert result.exit_code == 0, result.output
    for value in ("bob@example.org", "312 555 0142", "10.20.30.40", "41.878113", "-87.629799"):
        assert value not in result.stdout
    assert MASKED in result.stdout


@pytest.mark.parametrize("view", VIEWS)
def test_views_show_pii_to_a_viewer_the_configuration_clears(
    cli: Cli, view: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = declare_with_pii(cli)
    monkeypatch.setenv("FIRELINE_SENSITIVE_CLEARANCE", "tester")
    result = cli(*(part.format(i=incident) for part in view))
    assert result.exit_code == 0, result.output
    assert PII in result.stdout
    assert MASKED not in result.stdout


def test_views_show_pii_to_a_viewer_the_registry_clears(cli: Cli, ctx: Context) -> None:
    incident = declare_with_pii(cli)
    run(ctx, c.AddUser(name="tester", roles=("admin",)), "tester")
    run(ctx, c.AddUser(name="carol", roles=("responder",), clearances=("sensitive",)), "tester")
    run(ctx, c.AddUser(name="dave", roles=("responder",)), "tester")
    assert PII in cli("timeline", incident, "--as", "carol").stdout
    shown = cli("timeline", incident, "--as", "dave").stdout
    assert PII not in shown
    assert MASKED in shown


def test_coordinate_precision_is_configurable(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    incident = declare_with_pii(cli)
    monkeypatch.setenv("FIRELINE_COORDINATE_PRECISION", "0.01")
    assert "at 41.88, -87.63" in cli("show", incident).stdout


def test_commands_that_read_print_through_the_masking_seam() -> None:
    """A CLI module that reads incidents (`seeing`) prints only through `echo`/`emit_json`."""
    cli_dir = Path(__file__).resolve().parent.parent / "src" / "fireline" / "cli"
    for module in sorted(cli_dir.glob("*.py")):
        source = module.read_text()
        if module.name != "__init__.py" and "seeing(" in source:
            assert "typer.echo(" not in source, module.name
            assert "print(" not in source, module.name


def test_redact_payload_walks_everything_but_verbatim_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fireline.events import Entry
    from fireline.redaction import Redactor
    from fireline.service.redacting import redact_payload

    key = "AKIAIOSFODNN7EXAMPL3"
    monkeypatch.setattr(Entry, "verbatim", frozenset({"at"}))
    payload = {
        "text": f"key {key}",
        "refs": [f"doc:{key}"],
        "at": key,
        "nested": {"deep": ["password=hunter2xyz", 3]},
        "redacted": {"private-key": 1},
        "sensitive": ["ip"],
    }
    clean = redact_payload(Redactor(), "entry.fact", payload)
    assert clean == {
        "text": "key [REDACTED:aws-access-key#1]",
        "refs": ["doc:[REDACTED:aws-access-key#1]"],
        "at": key,  # declared verbatim: left alone
        "nested": {"deep": ["password=[REDACTED:password#1]", 3]},
        "redacted": {"aws-access-key": 2, "password": 1, "private-key": 1},
        "sensitive": ["ip"],
    }


def test_runbook_text_attached_to_an_incident_is_redacted(store: Store, ctx: Context) -> None:
    token = "glpat-x7Kq2Lm9Np4Rt6Vw8Yz0"
    runbook = (
        "---\nid: RBK-deploy\ntitle: Deploy with token\nowner: team-api\n---\n# Deploy\n"
        "## Triage Checklist\n"
        f"- [ ] Log in with `export GITLAB_TOKEN={token}`\n"
        "- [ ] Run `mysql -u root -pS3cr3tPassw0rd orders`\n"
    ).encode()
    incident = IncidentId(run(ctx, c.Declare(title="x", severity="SEV2"))[0].incident_id)
    [event] = run(ctx, c.AttachRunbook(incident_id=incident, path="deploy.md", content=runbook))
    assert event.payload is not None
    texts = [item["text"] for item in event.payload["items"]]
    assert texts == [
        "Log in with `export GITLAB_TOKEN=[REDACTED:gitlab-token#1]`",
        "Run `mysql -u root -p[REDACTED:password#1] orders`",
    ]
    assert event.payload["redacted"] == {"gitlab-token": 1, "password": 1}
    everything = stored_text(store, ctx)
    assert token not in everything
    assert "S3cr3tPassw0rd" not in everything


def test_a_text_redaction_cannot_settle_is_refused_and_nothing_is_written(
    cli: Cli, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A team rule that matches after every placeholder it causes: the output never settles.
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rules]]\nid = 'endless'\nregex = '''\\][a-]{4}'''\n")
    monkeypatch.setenv("FIRELINE_REDACTION_RULES", str(rules))
    result = cli("declare", "key AKIAIOSFODNN7EXAMPL3-" + "a" * 40, "--sev", "SEV2")
    assert result.exit_code == 2
    assert result.stderr.startswith("fireline: error: redaction did not settle after 4 passes")
    assert result.stderr.endswith("nothing was written\n")
    assert result.stderr.count("\n") == 1
    assert "AKIAIOSFODNN7EXAMPL3" not in result.stderr
    with ctx.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar() == 0
