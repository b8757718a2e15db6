"""Who is acting in local mode: `--as` is a registry admin's recorded act, and a name that holds
a secret is refused before anything is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fireline.commands import AddUser, Declare, LogEntry
from fireline.db import events, heads
from fireline.domain import REGISTRY_CHAIN, ActorId, IncidentId
from fireline.errors import InvalidCommandError, PolicyDeniedError
from fireline.service import Context, Identity, execute
from tests.conftest import Cli
from tests.factories import run, snapshot

AWS_KEY = "AKIAIOSFODNN7EXAMPL3"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5" * 3 + "abcdef"
AS_REFUSED = (
    "fireline: error: only a registry admin may act --as someone else (bob, the local actor "
    "from FIRELINE_ACTOR or the OS login, is not one)\n"
)


@pytest.fixture
def registry(ctx: Context) -> IncidentId:
    """pat the admin, alice (IC of a restricted incident) and bob, a responder."""
    run(ctx, AddUser(name="pat", roles=("admin",)), "pat")
    run(ctx, AddUser(name="alice", roles=("commander",)), "pat")
    run(ctx, AddUser(name="bob", roles=("responder",)), "pat")
    declared = run(
        ctx, Declare(title="Catalog API 5xx spike", severity="SEV2", ic="alice"), "alice"
    )
    return IncidentId(declared[0].incident_id)


def payloads(ctx: Context, chain: str) -> list[tuple[str, str, dict[str, object]]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            sa.select(events.c.actor, events.c.kind, events.c.payload)
            .where(events.c.incident_id == chain)
            .order_by(events.c.seq)
        )
        return [(r.actor, r.kind, json.loads(r.payload)) for r in rows]


def assert_refused(
    cli: Cli, ctx: Context, args: tuple[str, ...], *, actor: str, code: int, stderr: str
) -> None:
    before = snapshot(ctx.engine)
    result = cli(*args, actor=actor)
    assert result.exit_code == code, result.output
    assert result.stderr == stderr
    assert result.stdout == ""
    assert snapshot(ctx.engine) == before


@pytest.mark.parametrize(
    "args",
    [
        ("sev", "{i}", "SEV1", "--reason", "worse", "--as", "alice"),
        ("user", "add", "mallory", "--role", "security", "--as", "pat"),
        ("log", "{i}", "fact", "x", "--as", "alice"),
        ("show", "{i}", "--as", "alice"),
        ("timeline", "{i}", "--as", "alice"),
        ("list", "--as", "alice"),
        ("evidence", "add", "{i}", "--ref", "trace:1", "--as", "alice"),
        ("demo", "--as", "alice"),
        ("demo",),  # plays alice, bob, carol and dana
    ],
)
def test_as_is_refused_to_anyone_but_a_registry_admin(
    cli: Cli, ctx: Context, registry: IncidentId, args: tuple[str, ...]
) -> None:
    filled = tuple(part.format(i=registry) for part in args)
    assert_refused(cli, ctx, filled, actor="bob", code=4, stderr=AS_REFUSED)


def test_an_export_as_someone_else_by_a_non_admin_writes_nothing(
    cli: Cli, ctx: Context, registry: IncidentId, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ("export", registry, "--out", str(out), "--as", "alice")
    assert_refused(cli, ctx, args, actor="bob", code=4, stderr=AS_REFUSED)
    assert not out.exists()


def test_a_registry_admin_acting_as_someone_is_recorded_as_asserting_it(
    cli: Cli, ctx: Context, registry: IncidentId
) -> None:
    result = cli("sev", registry, "SEV1", "--reason", "worse", "--as", "alice", actor="pat")
    assert result.exit_code == 0, result.output
    actor, kind, payload = payloads(ctx, registry)[-1]
    assert (actor, kind, payload["asserted_by"]) == ("alice", "severity.changed", "pat")
    line = cli("timeline", registry, "--as", "alice", actor="pat").stdout.splitlines()[-1]
    assert " alice " in line
    assert "severity.changed" in line
    assert line.endswith("[asserted_by pat]")


def test_acting_as_yourself_records_no_assertion(
    cli: Cli, ctx: Context, registry: IncidentId
) -> None:
    assert cli("log", registry, "fact", "x", "--as", "bob", actor="bob").exit_code == 0
    actor, _kind, payload = payloads(ctx, registry)[-1]
    assert actor == "bob"
    assert "asserted_by" not in payload


def test_the_first_user_may_still_be_added_as_someone_else(cli: Cli, ctx: Context) -> None:
    result = cli("user", "add", "pat", "--role", "admin", "--as", "pat", actor="tester")
    assert result.exit_code == 0, result.output
    assert payloads(ctx, REGISTRY_CHAIN) == [
        (
            "pat",
            "user.added",
            {
                "name": "pat",
                "roles": ["admin"],
                "clearances": [],
                "redacted": {},
                "sensitive": [],
                "asserted_by": "tester",
            },
        )
    ]
    # From then on the local tester is nobody's admin: --as is refused.
    refused = cli("user", "add", "zoe", "--role", "responder", "--as", "pat", actor="tester")
    assert refused.exit_code == 4
    assert "only a registry admin may act --as someone else (tester" in refused.stderr


def test_the_service_refuses_an_identity_asserted_by_a_non_admin(
    ctx: Context, registry: IncidentId
) -> None:
    before = snapshot(ctx.engine)
    command = LogEntry(incident_id=registry, kind="fact", text="x")
    with pytest.raises(PolicyDeniedError, match="only a registry admin may act --as"):
        execute(command, Identity(ActorId("alice"), ActorId("bob")), ctx=ctx)
    assert snapshot(ctx.engine) == before


NEXT_WEEK = datetime.now(UTC).date() + timedelta(days=7)  # due dates lie within a year
SECRET_NAMES = [
    (("log", "{i}", "fact", "x", "--as", AWS_KEY), "pat", "actor", "aws-access-key"),
    (("log", "{i}", "fact", "x"), AWS_KEY, "actor", "aws-access-key"),
    (("user", "add", GITHUB_TOKEN, "--role", "responder"), "pat", "name", "github-token"),
    (("role", "assign", "{i}", "scribe", GITHUB_TOKEN), "alice", "holder", "github-token"),
    (("action", "add", "{i}", "fix", "--owner", AWS_KEY), "alice", "owner", "aws-access-key"),
    (
        ("postmortem", "schedule", "{i}", "--due", f"{NEXT_WEEK}", "--owner", AWS_KEY),
        "alice",
        "owner",
        "aws-access-key",
    ),
    (
        (
            "breakglass",
            "grant",
            "{i}",
            "--to",
            AWS_KEY,
            "--scope",
            "db",
            "--why",
            "x",
            "--expires",
            "1h",
        ),
        "alice",
        "to",
        "aws-access-key",
    ),
    (
        ("log", "{i}", "decision", "x", "--why", "y", "--approver", AWS_KEY),
        "alice",
        "approver",
        "aws-access-key",
    ),
]


@pytest.mark.parametrize(("args", "actor", "field", "detector"), SECRET_NAMES)
def test_a_name_holding_a_secret_is_refused_naming_the_detector_only(
    cli: Cli,
    ctx: Context,
    registry: IncidentId,
    args: tuple[str, ...],
    actor: str,
    field: str,
    detector: str,
) -> None:
    filled = tuple(part.format(i=registry) for part in args)
    stderr = (
        f"fireline: error: {field} looks like a secret (detected: {detector}); names are "
        "stored as given, so choose one that is not a credential\n"
    )
    assert_refused(cli, ctx, filled, actor=actor, code=2, stderr=stderr)


def test_a_token_cannot_become_the_first_admin(cli: Cli, ctx: Context) -> None:
    before = snapshot(ctx.engine)
    result = cli("user", "add", GITHUB_TOKEN, "--role", "admin", actor="tester")
    assert result.exit_code == 2
    assert result.stderr == (
        "fireline: error: name looks like a secret (detected: github-token); names are stored "
        "as given, so choose one that is not a credential\n"
    )
    assert GITHUB_TOKEN not in result.output
    assert snapshot(ctx.engine) == before
    with ctx.engine.connect() as conn:
        started = conn.execute(sa.select(heads).where(heads.c.incident_id == REGISTRY_CHAIN))
        assert started.first() is None  # the registry is still open for its real first admin
    assert cli("user", "add", "pat", "--role", "admin", actor="pat").exit_code == 0


def test_a_read_as_a_secret_name_is_refused(cli: Cli, registry: IncidentId) -> None:
    result = cli("list", actor=AWS_KEY)
    assert result.exit_code == 2
    assert "actor looks like a secret (detected: aws-access-key)" in result.stderr
    assert AWS_KEY not in result.output


def test_the_service_refuses_a_secret_actor(ctx: Context) -> None:
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match=r"actor looks like a secret \(detected: aws"):
        run(ctx, Declare(title="x", severity="SEV3"), AWS_KEY)
    assert snapshot(ctx.engine) == before


def test_an_email_handle_is_not_a_secret(cli: Cli, registry: IncidentId) -> None:
    result = cli("role", "assign", registry, "comms", "eve@example.net", actor="alice")
    assert result.exit_code == 0, result.output
