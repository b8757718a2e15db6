"""The seed SEV1 scenario (`fireline.scenario`) played both ways with the same CLI commands —
writes, refusals and reads:
once locally against a fresh store, once in client mode against a real server process over a
fresh store of its own, each person with their own real token. Every command's stdout, stderr
and exit code must be the same, refusals included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fireline import accounts
from fireline.cli import app
from fireline.commands import AddUser
from fireline.config import load_settings
from fireline.domain import ActorId
from fireline.schema import initialise
from fireline.service import execute, open_context
from tests.live_server import LiveServer, free_port

pytestmark = [pytest.mark.slow]

CAST = {  # who plays what: the registry both stores start with
    "alice": ("commander", "admin"),
    "bob": ("responder",),
    "carol": ("responder",),
    "dana": ("responder",),
    "erin": ("steward",),
}
TODAY = datetime.now(UTC).date()
INC = f"INC-{TODAY:%Y%m%d}-001"
MISSING = f"INC-{TODAY:%Y%m%d}-404"
DUE = (TODAY + timedelta(days=8)).isoformat()

# (actor, argv) — the seed scenario's steps, then refusals each mode must answer alike.
STEPS: list[tuple[str, tuple[str, ...]]] = [
    (
        "alice",
        ("declare", "Catalog API 5xx spike", "--sev", "SEV1")
        + ("--impact", "search down for most users", "--system", "api", "--system", "search")
        + ("--dataset", "cat-2026:v12", "--label", "restricted", "--flag", "policy-bypass")
        + ("--ic", "alice"),
    ),
    ("alice", ("role", "assign", INC, "scribe", "bob")),
    ("alice", ("role", "assign", INC, "tech_lead", "carol")),
    ("alice", ("role", "assign", INC, "comms", "dana")),
    ("alice", ("role", "assign", INC, "governance_steward", "erin")),
    ("alice", ("status", INC, "investigating")),
    ("bob", ("log", INC, "fact", "5xx rate 38% since 14:02Z", "--ref", "dashboard:api-5xx")),
    ("carol", ("log", INC, "hypothesis", "bad deploy 4f2c1e")),
    (
        "alice",
        ("log", INC, "decision", "roll back 4f2c1e", "--why", "correlates with onset")
        + ("--approver", "alice"),
    ),
    ("alice", ("status", INC, "mitigating")),
    ("carol", ("log", INC, "mitigation", "rolled back to 9a1b7d", "--ref", "deploy:9a1b7d")),
    ("alice", ("sev", INC, "SEV0", "--reason", "sensitive layer may be exposed")),
    ("alice", ("check", INC, "first-15-minutes:1", "--note", "IC alice, tech lead carol")),
    ("alice", ("check", INC, "first-15-minutes:4,5", "--note", "restricted layer")),
    ("carol", ("check", INC, "first-15-minutes:7", "--note", "bad deploy 4f2c1e")),
    ("carol", ("check", INC, "first-15-minutes:9", "--note", "rollback to 9a1b7d")),
    (
        "dana",
        ("update", INC, "--status", "mitigating")
        + ("--impact", "search degraded; restricted layer hidden")
        + ("--fact", "5xx rate falling after rollback to 9a1b7d")
        + ("--hypothesis", "deploy 4f2c1e bypassed the policy check")
        + ("--next", "confirm policy enforcement fails closed (carol)"),
    ),
    (
        "alice",
        ("action", "add", INC, "add policy regression test", "--owner", "carol")
        + ("--due", DUE, "--priority", "P1"),
    ),
    (
        "bob",
        ("correct", INC, "8", "5xx rate 28% since 14:02Z")
        + ("--reason", "dashboard double-counted retries"),
    ),
    ("bob", ("evidence", "add", INC, "{api_log}", "--kind", "logs", "--note", "api 5xx")),
    ("bob", ("evidence", "add", INC, "--ref", "ticket:OPS-42", "--note", "the ticket")),
    ("alice", ("action", "done", INC, "1", "--note", "merged", "--verification", "ci test")),
    # refusals (from FIRST_REFUSAL on): the same line and exit code in both modes, nothing written
    ("bob", ("status", INC, "resolved")),
    ("bob", ("sev", INC, "SEV2", "--reason", "calmer")),
    ("bob", ("log", MISSING, "fact", "nobody here")),
    ("bob", ("log", INC, "guess", "a kind that does not exist")),
    ("bob", ("log", INC, "decision", "no reason given")),
    ("alice", ("check", INC, "first-15-minutes:1")),
    ("alice", ("action", "done", INC, "99")),
    ("alice", ("correct", INC, "999", "no such entry")),
    ("alice", ("role", "assign", INC, "chief", "bob")),
    ("bob", ("evidence", "add", INC, "{missing_file}", "--kind", "logs")),
    ("bob", ("evidence", "add", INC, "{big_file}", "--kind", "logs")),
    ("alice", ("declare", "", "--sev", "SEV1")),
    ("alice", ("declare", "x", "--sev", "SEV9")),
    ("alice", ("log", "INC-bad", "fact", "x")),
    # reads (each read of the restricted incident goes on its access trail, in both modes)
    ("alice", ("show", INC)),
    ("bob", ("timeline", INC)),
    ("carol", ("timeline", INC, "--tz", "America/Chicago", "--format", "json")),
    ("alice", ("checklist", INC)),
    ("alice", ("action", "list", INC)),
    ("bob", ("evidence", "list", INC)),
    ("dana", ("list",)),
    ("alice", ("gates", INC)),
    ("alice", ("show", INC, "--format", "json")),
    ("bob", ("show", MISSING)),
]

FIRST_REFUSAL = STEPS.index(("bob", ("status", INC, "resolved")))
STEPS.insert(FIRST_REFUSAL, ("alice", ("user", "update", "dana", "--role", "responder")))
STEPS.insert(FIRST_REFUSAL, ("alice", ("user", "add", "frank", "--role", "responder")))
FIRST_REFUSAL += 2
FIRST_READ = STEPS.index(("alice", ("show", INC)))


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


STAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z| UTC| [A-Z]{3,5}|[+-]\d{2}:\d{2})?"
)


def normal(text: str) -> str:
    """Output with each instant replaced: the two stores record at different times."""
    return STAMP.sub("<time>", text)


def prepared(home: Path) -> dict[str, str]:
    """A fresh store at `home` with the scenario's registry; one token per person: admin scope
    for the registry's admins (the user commands need it), write scope for everyone else."""
    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home.parent)
    engine, _ = initialise(settings)
    engine.dispose()
    ctx = open_context(settings)
    tokens = {}
    try:
        for name, roles in CAST.items():
            execute(AddUser(name=ActorId(name), roles=roles), ActorId("alice"), ctx=ctx)
        for name in CAST:
            issued = accounts.issue_token(
                ctx,
                ActorId(name),
                user=name,
                name=f"scenario-{name}",
                scope="admin" if "admin" in CAST[name] else "write",
                expires_in=timedelta(hours=1),
            )
            tokens[name] = issued.text
    finally:
        ctx.close()
    return tokens


def play(env_of: dict[str, dict[str, str]], files: dict[str, str]) -> list[Run]:
    runner = CliRunner()
    runs = []
    for actor, argv in STEPS:
        args = [arg.format(**files) for arg in argv]
        result = runner.invoke(app, args, env=env_of[actor])
        runs.append(Run(result.exit_code, normal(result.stdout), normal(result.stderr)))
    return runs


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    api_log = tmp_path / "api.log"
    api_log.write_text("14:02:11 GET /search 503\n14:02:12 GET /search 503\n")
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * 2048)
    return {
        "api_log": str(api_log),
        "missing_file": str(tmp_path / "nope.log"),
        "big_file": str(big),
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    home = tmp_path / "served"
    tokens = prepared(home)
    live = LiveServer(
        {"FIRELINE_HOME": str(home), "FIRELINE_EVIDENCE_MAX_SIZE": "1KiB"}, free_port()
    )
    yield live.start(), tokens
    live.stop()


def test_the_seed_scenario_prints_the_same_locally_and_through_the_server(
    tmp_path: Path,
    files: dict[str, str],
    served: tuple[LiveServer, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FIRELINE_HOME", raising=False)
    monkeypatch.setenv("FIRELINE_EVIDENCE_MAX_SIZE", "1KiB")  # the client checks it too
    local_home = tmp_path / "local"
    prepared(local_home)
    local = play(
        {actor: {"FIRELINE_HOME": str(local_home), "FIRELINE_ACTOR": actor} for actor in CAST},
        files,
    )
    server, tokens = served
    nowhere = str(tmp_path / "no-store-here")  # client mode must not need (or make) a store
    remote = play(
        {
            actor: {
                "FIRELINE_URL": server.url,
                "FIRELINE_TOKEN": tokens[actor],
                "FIRELINE_HOME": nowhere,
            }
            for actor in CAST
        },
        files,
    )
    assert not Path(nowhere).exists()
    for (actor, argv), here, there in zip(STEPS, local, remote, strict=True):
        assert (there.code, there.stdout, there.stderr) == (here.code, here.stdout, here.stderr), (
            f"{actor}: fireline {' '.join(argv)}"
        )
    codes = [run.code for run in local]
    assert codes[:FIRST_REFUSAL] == [0] * FIRST_REFUSAL, codes
    assert all(code != 0 for code in codes[FIRST_REFUSAL:FIRST_READ])
    assert codes[FIRST_READ:] == [0] * (len(STEPS) - FIRST_READ - 1) + [3]
    assert re.fullmatch(rf"{INC}\n", local[0].stdout)
    # The same record underneath: every event, by whom, in the same order; refusals wrote none.
    assert ledger(tmp_path / "served") == ledger(local_home)
    events = ledger(local_home)
    kinds = [kind for incident, _, kind, _ in events if incident == INC]
    assert len(kinds) - kinds.count("access.read") == 24


def ledger(home: Path) -> list[tuple[str, int, str, str]]:
    import sqlite3

    with sqlite3.connect(home / "fireline.db") as conn:
        rows = conn.execute(
            "SELECT incident_id, seq, kind, actor FROM events ORDER BY incident_id, seq"
        ).fetchall()
    return [(str(a), int(b), str(c), str(d)) for a, b, c, d in rows]
