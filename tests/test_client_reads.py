"""Client mode for reads: every read command against a real server process prints what it
prints locally — the same model, rendered by the same renderer — with the same exit code."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fireline.cli import app
from fireline.commands import (
    AddActionItem,
    AddChannel,
    AddEvidence,
    AddUser,
    Declare,
    GrantBreakglass,
    LogEntry,
)
from fireline.domain import IncidentId
from fireline.service import Context
from fireline.service.evidence import staged_file
from tests.conftest import Store
from tests.factories import run
from tests.reads_server import ROOT, free_port, serving

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]


@pytest.fixture
def incident(ctx: Context) -> IncidentId:
    """A public SEV2 with entries, an action item, a grant and a log file; a small registry."""
    run(ctx, AddUser(name="tester", roles=("admin",)), "tester")
    run(ctx, AddUser(name="alice", roles=("commander",)), "tester")
    found = IncidentId(
        run(ctx, Declare(title="Checkout 5xx near 41.8781,-87.6298", severity="SEV2", ic="alice"))[
            0
        ].incident_id
    )
    for n in range(4):
        run(ctx, LogEntry(incident_id=found, kind="fact", text=f"fact {n} ann@example.com"))
    run(ctx, AddActionItem(incident_id=found, title="Add a canary", owner="alice"))
    run(
        ctx,
        AddChannel(name="ops", kind="slack", url="https://hooks.slack.com/services/T/B/x"),
        "tester",
    )
    grant = GrantBreakglass(
        incident_id=found, to="alice", scope="db read", why="x", expires_in=timedelta(hours=1)
    )
    run(ctx, grant)
    command = AddEvidence(incident_id=found, kind="logs", note="n", source="s")
    with staged_file(ctx, io.BytesIO(b"ann@example.com\n"), name="a.log", unscanned=False) as f:
        run(ctx, replace(command, file=f))
    return found


@pytest.fixture
def server(store: Store, incident: IncidentId) -> Iterator[str]:
    with serving(store.env, "tester:admin") as url:
        yield url


READS = (
    ("list",),
    ("list", "--format", "json"),
    ("list", "--status", "closed"),
    ("show", "{i}"),
    ("show", "{i}", "--format", "json", "--tz", "America/Chicago"),
    ("timeline", "{i}"),
    ("timeline", "{i}", "--format", "json"),
    ("timeline", "{i}", "--kind", "fact", "--limit", "2"),
    ("timeline", "{i}", "--all", "--since", "2h"),
    ("checklist", "{i}"),
    ("checklist", "{i}", "--format", "json"),
    ("checklist", "{i}", "--checklist", "nope"),
    ("action", "list", "{i}"),
    ("breakglass", "list", "{i}", "--format", "json"),
    ("gates", "{i}"),
    ("evidence", "list", "{i}"),
    ("evidence", "show", "{i}", "E1"),
    ("evidence", "show", "{i}", "E9"),
    ("evidence", "get", "{i}", "E1"),
    ("user", "list"),
    ("user", "list", "--format", "json"),
    ("freeze", "check"),
    ("freeze", "check", "--format", "json"),
    ("verify",),
    ("verify", "{i}", "--format", "json"),
    ("show", "INC-20991231-999"),
    ("runbook", "search", "anything"),
    ("policy", "show"),
    ("policy", "show", "--format", "json"),
    ("policy", "test"),
    ("channel", "list"),
    ("channel", "list", "--format", "json"),
    ("outbox",),
    ("outbox", "--failed", "--format", "json"),
)


def test_every_read_prints_the_same_against_the_server(server: str, incident: IncidentId) -> None:
    runner = CliRunner()
    for read in READS:
        args = [part.format(i=incident) for part in read]
        local = runner.invoke(app, args)
        remote = runner.invoke(app, args, env={"FIRELINE_URL": server})
        assert (remote.exit_code, remote.stdout, remote.stderr) == (
            local.exit_code,
            local.stdout,
            local.stderr,
        ), args


def test_as_is_refused_in_client_mode(server: str, incident: IncidentId) -> None:
    got = CliRunner().invoke(app, ["show", incident, "--as", "alice"], env={"FIRELINE_URL": server})
    assert got.exit_code == 2
    assert got.stderr.startswith("fireline: error: --as is not accepted in client mode")


def test_export_downloads_the_zip(server: str, incident: IncidentId, tmp_path: Path) -> None:
    env = {"FIRELINE_URL": server}
    out = tmp_path / "out"
    got = CliRunner().invoke(app, ["export", incident, "--zip", "--out", str(out)], env=env)
    assert got.exit_code == 0, got.stderr
    assert (out / f"{incident}.zip").is_file()
    assert got.stdout.startswith(f"exported {incident} up to event ")
    verified = CliRunner().invoke(app, ["verify", str(out / f"{incident}.zip")])
    assert verified.exit_code == 0, verified.stderr
    folder = CliRunner().invoke(app, ["export", incident, "--out", str(out)], env=env)
    assert folder.exit_code == 2
    assert (
        folder.stderr
        == "fireline: error: in client mode the server sends the export as a zip: add --zip\n"
    )


def test_client_mode_reads_import_no_sqlalchemy(server: str, incident: IncidentId) -> None:
    probe = (
        "import sys\n"
        "from fireline.cli import main\n"
        f"sys.argv = ['fireline', 'show', {str(incident)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print(code, 'sqlalchemy' in sys.modules, 'fireline.policy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**_environ(), "FIRELINE_URL": server, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "0 False False"


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_an_unreachable_server_is_one_line(store: Store) -> None:
    got = CliRunner().invoke(app, ["list"], env={"FIRELINE_URL": f"http://127.0.0.1:{free_port()}"})
    assert got.exit_code == 6
    assert got.stderr.startswith("fireline: error: cannot reach the fireline server at ")
    assert got.stderr.count("\n") == 1
