"""The CLI as a user drives it: the issue's tour, JSON output, and one clear line per refusal."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fireline.db import events
from tests.conftest import Cli, Store
from tests.factories import snapshot

pytestmark = pytest.mark.adapter

# The CLI numbers incidents by the real UTC day, so the expected ids follow the calendar.
TODAY = f"{datetime.now(UTC):%Y%m%d}"
INC = f"INC-{TODAY}-001"
MISSING = f"INC-{TODAY}-999"


def ok(cli: Cli, *args: str) -> str:
    result = cli(*args)
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.stdout


def refuse(cli: Cli, store: Store, args: tuple[str, ...], code: int, message: str) -> None:
    engine = sa.create_engine(store.settings.database_url)
    before = snapshot(engine)
    result = cli(*args)
    after = snapshot(engine)
    engine.dispose()
    assert result.exit_code == code, result.output
    assert result.stderr.splitlines() == [result.stderr.strip()], "exactly one stderr line"
    assert result.stderr.startswith("fireline: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert after == before, "a refused command wrote something"


@pytest.fixture
def incident(cli: Cli) -> str:
    out = ok(
        cli,
        "declare",
        "Catalog API 5xx spike",
        "--sev",
        "SEV1",
        "--impact",
        "search down for most users",
        "--system",
        "api",
        "--system",
        "search",
        "--dataset",
        "cat-2026:v12",
        "--label",
        "restricted",
        "--flag",
        "policy-bypass",
    )
    incident_id = out.strip()
    assert incident_id.startswith("INC-")
    assert "\n" not in incident_id
    return incident_id


def test_the_tour_from_the_issue(cli: Cli, incident: str) -> None:
    """The issue's tour, staffed for governance: the IC acts, a steward is in the room."""
    i = incident

    def alice(*args: str) -> str:
        return ok(cli, *args, "--as", "alice")

    ok(cli, "role", "assign", i, "ic", "alice")  # the declarer hands over command
    alice("role", "assign", i, "scribe", "bob")
    alice("log", i, "fact", "5xx rate 38% since 14:02Z", "--ref", "dashboard:api-5xx")
    alice("log", i, "hypothesis", "bad deploy 4f2c1e")
    alice(
        "log",
        i,
        "decision",
        "roll back 4f2c1e",
        "--why",
        "correlates with onset",
        "--approver",
        "alice",
    )
    alice("log", i, "mitigation", "rolled back to 9a1b7d", "--ref", "deploy:9a1b7d")
    alice("sev", i, "SEV0", "--reason", "sensitive layer may be exposed")
    refused = cli("status", i, "mitigating", "--as", "alice")
    assert refused.exit_code == 4
    assert "assign a governance_steward before leaving investigating" in refused.stderr
    alice("role", "assign", i, "governance_steward", "erin")
    alice("status", i, "mitigating")
    alice(
        "update",
        i,
        "--status",
        "mitigating",
        "--impact",
        "search degraded",
        "--fact",
        "5xx falling",
        "--hypothesis",
        "deploy bypassed policy",
        "--next",
        "confirm fail-closed",
    )
    alice(
        "action",
        "add",
        i,
        "add policy regression test",
        "--owner",
        "carol",
        "--due",
        f"{datetime.now(UTC).date() + timedelta(days=8)}",
        "--priority",
        "P1",
    )
    out = alice("correct", i, "4", "5xx rate 28%, not 38%")
    assert "entry.corrected" in out
    listing = alice("list")
    assert i in listing
    assert "SEV0" in listing
    assert "mitigating" in listing
    shown = alice("show", i)
    for expected in (
        "SEV0 (kfm)",
        "mitigating",
        "alice",
        "missing for SEV0: tech_lead, comms",
        "Latest update #1",
        "#1 [open] P1 add policy regression test",
    ):
        assert expected in shown
    lines = alice("timeline", i, "--tz", "America/Chicago").splitlines()
    assert "CST" in lines[0]
    assert "corrected by #" in lines[3]
    assert any("corrects #4" in line for line in lines)
    assert not [line for line in lines if "access.read" in line], "own reads are folded"
    assert lines[-1].endswith(" access reads folded; --all to show)")
    unfolded = alice("timeline", i, "--all").splitlines()
    assert [line for line in unfolded if "access.read" in line], "restricted reads are recorded"
    assert ok(cli, "verify").startswith("ok: ")
    assert "rebuilt projections" in ok(cli, "rebuild")
    assert alice("show", i).split("Events:")[0] == shown.split("Events:")[0]


def test_json_output_for_reads(cli: Cli, incident: str) -> None:
    ok(cli, "action", "add", incident, "fix", "--owner", "carol")
    assert json.loads(ok(cli, "list", "--format", "json"))[0]["id"] == incident
    detail = json.loads(ok(cli, "show", incident, "--format", "json"))
    assert detail["severity"] == "SEV1"
    assert detail["flags"] == ["policy-bypass"]
    assert detail["datasets"] == [{"dataset_id": "cat-2026", "version_id": "v12"}]
    timeline = json.loads(ok(cli, "timeline", incident, "--format", "json"))
    kinds = [e["kind"] for e in timeline if e["kind"] != "access.read"]
    assert kinds == ["incident.declared", "action_item.added"]
    assert (
        json.loads(ok(cli, "action", "list", incident, "--format", "json"))[0]["owner"] == "carol"
    )


def test_list_filters(cli: Cli, incident: str) -> None:
    second = ok(cli, "declare", "Minor", "--sev", "SEV3").strip()
    assert second.endswith("-002")
    assert incident in ok(cli, "list", "--open")
    assert ok(cli, "list", "--status", "closed") == "no incidents\n"
    assert second in ok(cli, "list", "--status", "declared")


def test_actor_comes_from_as_then_env(cli: Cli) -> None:
    public = ok(cli, "declare", "Status page slow", "--sev", "SEV3").strip()
    ok(cli, "log", public, "fact", "x", "--as", "zed")
    ok(cli, "log", public, "root-cause", "stale CDN config", "--partial")
    timeline = json.loads(ok(cli, "timeline", public, "--format", "json"))
    assert [e["actor"] for e in timeline] == ["tester", "zed", "tester"]
    assert timeline[-1]["summary"] == "stale CDN config (partial)"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("log", MISSING, "fact", "x"), 3, f"no incident {MISSING}"),
        (("show", MISSING), 3, f"no incident {MISSING}"),
        (("timeline", MISSING), 3, f"no incident {MISSING}"),
        (("action", "list", MISSING), 3, f"no incident {MISSING}"),
        (("log", "INC-1", "fact", "x"), 2, "malformed incident id 'INC-1'"),
        (("status", INC, "closed"), 2, "illegal transition declared → closed"),
        (("status", INC, "declared"), 2, "illegal transition declared → declared"),
        (("status", INC, "finished"), 2, "unknown status 'finished'"),
        (("sev", INC, "SEV7", "--reason", "x"), 2, "unknown severity 'SEV7'"),
        (("role", "assign", INC, "pilot", "bob"), 2, "unknown role 'pilot'"),
        (("declare", "  ", "--sev", "SEV1"), 2, "title must not be empty"),
        (
            ("declare", "x", "--sev", "SEV1", "--detected-at", "noonish"),
            2,
            "malformed --detected-at",
        ),
        (("log", INC, "fact", "x", "--at", "2026-02-30T10:00Z"), 2, "malformed --at"),
        (("action", "add", INC, "x", "--owner", "c", "--due", "next week"), 2, "malformed --due"),
        (("update", INC, "--impact", "x", "--next-update", "soon"), 2, "malformed --next-update"),
        (("timeline", INC, "--tz", "Mars/Olympus"), 2, "unknown time zone 'Mars/Olympus'"),
        (("show", INC, "--tz", "Nowhere"), 2, "unknown time zone 'Nowhere'"),
        (("correct", INC, "1", "x"), 2, "only log entries can be corrected"),
        (("erase", INC, "1", "--reason", "x"), 2, "only log entries can be erased"),
        (("action", "done", INC, "5"), 3, "no action item #5"),
        (("verify", "INC-x"), 2, "malformed incident id 'INC-x'"),
        (("log", INC, "fact", "x", "--as", "bad actor"), 2, "invalid actor 'bad actor'"),
        (("log", INC, "fact", "bad \udcff byte"), 2, "text is not valid Unicode"),
    ],
)
def test_bad_input_is_one_line_nonzero_and_writes_nothing(
    cli: Cli, store: Store, incident: str, args: tuple[str, ...], code: int, message: str
) -> None:
    assert incident == INC
    refuse(cli, store, args, code, message)


def test_unreadable_config_is_refused(
    cli: Cli, store: Store, incident: str, tmp_path: Path
) -> None:
    (tmp_path / "fireline.toml").write_text("ladder = [broken")
    refuse(cli, store, ("log", incident, "fact", "x"), 5, "invalid TOML in")
    refuse(cli, store, ("list",), 5, "invalid TOML in")


def test_missing_signing_key_refuses_writes(cli: Cli, store: Store, incident: str) -> None:
    store.settings.key_path.unlink()
    refuse(cli, store, ("log", incident, "fact", "x"), 6, "no signing key at")


def test_world_readable_signing_key_refuses_writes(cli: Cli, store: Store, incident: str) -> None:
    store.settings.key_path.chmod(0o644)
    refuse(cli, store, ("log", incident, "fact", "x"), 7, "accessible to others (mode 644)")


def test_uninitialised_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from fireline.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FIRELINE_HOME", str(tmp_path / "nowhere"))
    monkeypatch.delenv("FIRELINE_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 6
    assert result.stderr.startswith("fireline: error: no fireline store at")
    assert not (tmp_path / "nowhere").exists(), "a read must not create the store"


def test_store_without_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from fireline.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "fireline.db").touch()
    monkeypatch.setenv("FIRELINE_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("FIRELINE_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["declare", "x", "--sev", "SEV1"])
    assert result.exit_code == 6
    assert "not initialised; run `fireline init`" in result.stderr


def test_init_is_idempotent_and_key_is_private(cli: Cli, store: Store, incident: str) -> None:
    out = ok(cli, "init")
    assert "kept" in out
    assert store.settings.key_path.stat().st_mode & 0o777 == 0o600
    assert json.loads(ok(cli, "list", "--format", "json"))[0]["id"] == incident


def test_demo_plays_the_seed_scenario(cli: Cli, store: Store) -> None:
    out = ok(cli, "demo")
    assert f"played the SEV1 scenario as {INC}" in out
    refuse(cli, store, ("show", INC), 3, f"no incident {INC}")  # restricted: tester is no responder
    shown = ok(cli, "show", INC, "--as", "alice")
    assert "SEV0" in shown
    assert "mitigating" in shown
    assert "first-15-minutes  First 15 minutes  5/10  (built-in)" in shown
    assert ok(cli, "verify").startswith("ok: 22 events in 1 incident chain verified")
    engine = sa.create_engine(store.settings.database_url)
    with engine.connect() as conn:
        kinds = list(conn.execute(sa.select(events.c.kind).order_by(events.c.seq)).scalars())
    engine.dispose()
    assert kinds[-2:] == ["entry.corrected", "access.read"]


def test_help_lists_every_command(cli: Cli) -> None:
    out = ok(cli, "--help")
    for name in (
        "init",
        "declare",
        "role",
        "log",
        "sev",
        "status",
        "update",
        "action",
        "correct",
        "erase",
        "list",
        "show",
        "timeline",
        "verify",
        "rebuild",
        "demo",
    ):
        assert name in out


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fireline", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "declare" in result.stdout


def test_open_and_status_filters_combine(cli: Cli, incident: str) -> None:
    assert ok(cli, "list", "--open", "--status", "closed") == "no incidents\n"
    assert incident in ok(cli, "list", "--open", "--status", "declared")


def test_verify_of_an_unknown_incident_is_not_found(cli: Cli, store: Store, incident: str) -> None:
    refuse(cli, store, ("verify", f"INC-{TODAY}-404"), 3, f"no incident INC-{TODAY}-404")
    assert ok(cli, "verify", incident).startswith("ok: 1 event in 1 incident chain verified")


def test_init_restores_a_lost_public_key(cli: Cli, store: Store, incident: str) -> None:
    pem = store.settings.public_key_path.read_bytes()
    store.settings.public_key_path.unlink()
    refuse(cli, store, ("verify",), 7, "no public key at")
    ok(cli, "init")
    assert store.settings.public_key_path.read_bytes() == pem
    assert ok(cli, "verify").startswith("ok: ")


def test_demo_refuses_a_roster_it_cannot_staff(cli: Cli, store: Store, tmp_path: Path) -> None:
    (tmp_path / "fireline.toml").write_text(
        'ladder = "mine"\n[ladders.mine]\nlevels = [{name = "P1", rank = 1}]\n'
        '[roles.ic]\ntitle = "IC"\n'
    )
    refuse(cli, store, ("demo",), 2, "unknown role 'scribe'; allowed: ic")


def test_verify_policy_show_and_freeze_check_speak_json(cli: Cli, incident: str) -> None:
    report = json.loads(ok(cli, "verify", "--format", "json"))
    assert report == {
        "ok": True,
        "events": 1,
        "chains": 1,
        "blobs": 0,
        "projections_checked": True,
        "projection_mismatch": None,
        "log": {"size": 1, "checkpoints": 0},
        "breaks": [],
    }
    shown = json.loads(ok(cli, "policy", "show", "--format", "json"))
    assert len(shown["digest"]) == 64
    assert "authz.rego" in shown["modules"]
    frozen = cli("freeze", "check", "--format", "json")
    assert frozen.exit_code == 1
    assert json.loads(frozen.stdout) == {
        "frozen": [{"incident_id": incident, "severity": "SEV1", "status": "declared"}],
        "restricted": False,
    }
