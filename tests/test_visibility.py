"""Need-to-know: a restricted incident is "not found" to everyone without a reason to see it,
through every read, and every read by someone who may see it goes on its access trail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fireline.commands import AddActionItem, AddUser, Declare, GrantBreakglass, LogEntry
from fireline.db import events
from fireline.domain import IncidentId
from fireline.service import Context
from tests.conftest import Cli, Store
from tests.factories import run, snapshot

SECRET = "Sitemap leak at 47.6062,-122.3321"
# What readers without the `sensitive` clearance are shown: coordinates generalised to 0.1°.
SHOWN = "Sitemap leak at 47.6,-122.3"
SECRET_ENTRY = "exposed layer hydro-sites v3"
READS = (
    ("show", "{i}"),
    ("show", "{i}", "--format", "json"),
    ("timeline", "{i}"),
    ("timeline", "{i}", "--format", "json"),
    ("action", "list", "{i}"),
    ("breakglass", "list", "{i}"),
    ("gates", "{i}"),
    ("evidence", "list", "{i}"),
    ("evidence", "show", "{i}", "E1"),
    ("evidence", "get", "{i}", "E1"),
)


@pytest.fixture
def restricted(ctx: Context) -> IncidentId:
    """A restricted incident, a public one, and a registry with cleared and uncleared people."""
    run(ctx, AddUser(name="root", roles=("admin",)), "root")
    for name, roles in (
        ("alice", ("commander",)),
        ("sam", ("security",)),
        ("erin", ("steward",)),
        ("bob", ("responder",)),
        ("vic", ("viewer",)),
        ("ann", ("admin",)),
        ("cole", ("commander", "responder")),
    ):
        run(ctx, AddUser(name=name, roles=roles), "root")
    incident = IncidentId(
        run(
            ctx, Declare(title=SECRET, severity="SEV2", labels=("restricted",), ic="alice"), "alice"
        )[0].incident_id
    )
    run(ctx, LogEntry(incident_id=incident, kind="fact", text=SECRET_ENTRY), "alice")
    run(ctx, AddActionItem(incident_id=incident, title=SECRET_ENTRY, owner="alice"), "alice")
    run(
        ctx,
        GrantBreakglass(
            incident_id=incident,
            to="sam",
            scope=SECRET_ENTRY,
            why="x",
            expires_in=timedelta(hours=1),
        ),
        "alice",
    )
    run(ctx, Declare(title="Public status page slow", severity="SEV3"), "bob")
    return incident


def access_reads(ctx: Context, incident: str) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(events.c.actor).where(
                    events.c.incident_id == incident, events.c.kind == "access.read"
                )
            ).scalars()
        )


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reader=st.sampled_from(["bob", "vic", "ann", "cole", "mallory", "root"]))
def test_no_uncleared_reader_learns_anything(
    cli: Cli, ctx: Context, restricted: IncidentId, reader: str
) -> None:
    listing = cli("list", actor=reader)
    assert listing.exit_code == 0, listing.output
    assert "Public status page slow" in listing.stdout
    assert restricted not in listing.stdout
    assert "Sitemap leak" not in listing.stdout
    listing_json = cli("list", "--format", "json", actor=reader)
    assert "Sitemap leak" not in listing_json.stdout
    for read in READS:
        result = cli(*(part.format(i=restricted) for part in read), actor=reader)
        assert result.exit_code == 3, (read, result.output)
        assert result.stderr == f"fireline: error: no incident {restricted}\n"
        assert "Sitemap leak" not in result.output
        assert SECRET_ENTRY not in result.output
    assert access_reads(ctx, restricted) == []


@pytest.mark.parametrize("reader", ["alice", "sam", "erin"])
def test_cleared_or_assigned_readers_see_it_and_leave_a_trail(
    cli: Cli, ctx: Context, restricted: IncidentId, reader: str
) -> None:
    shown = cli("show", restricted, actor=reader)
    assert shown.exit_code == 0, shown.output
    assert SHOWN in shown.stdout
    listing = cli("list", actor=reader)
    assert restricted in listing.stdout
    assert access_reads(ctx, restricted) == [reader, reader]


def test_a_responder_assigned_later_can_see_it(
    cli: Cli, ctx: Context, restricted: IncidentId
) -> None:
    assert cli("show", restricted, actor="bob").exit_code == 3
    assert cli("role", "assign", restricted, "scribe", "bob", actor="alice").exit_code == 0
    assert SHOWN in cli("show", restricted, actor="bob").stdout


def test_writes_to_a_restricted_incident_are_not_found_for_outsiders(
    cli: Cli, ctx: Context, restricted: IncidentId
) -> None:
    before = access_reads(ctx, restricted)
    for args in (
        ("log", restricted, "fact", "probe"),
        ("action", "add", restricted, "probe", "--owner", "bob"),
        ("correct", restricted, "12", "probe"),
        ("evidence", "add", restricted, "--ref", "trace:probe"),
        ("postmortem", "schedule", restricted, "--due", "2099-01-01", "--owner", "bob"),
    ):
        result = cli(*args, actor="bob")
        assert result.exit_code == 3, (args, result.output)
        assert result.stderr == f"fireline: error: no incident {restricted}\n"
    assert access_reads(ctx, restricted) == before


def test_a_wiped_users_table_does_not_reopen_the_registry(
    cli: Cli, ctx: Context, restricted: IncidentId
) -> None:
    from fireline.db import users

    with ctx.engine.begin() as conn:
        conn.execute(users.delete())
    result = cli("declare", "anyone?", "--sev", "SEV3", actor="mallory")
    assert result.exit_code == 4
    assert "mallory is not a registered user" in result.stderr
    wiped = cli("verify")  # the chains are intact; the users projection is not
    assert wiped.exit_code == 7
    assert "projection users row (name=" in wiped.stderr
    assert "missing: the ledger gives this row" in wiped.stderr
    assert "the registry was started: run `fireline rebuild`" in cli("user", "list").stdout
    # Judged on the registry the ledger rebuilds, not on the wiped table: root is an admin.
    assert cli("rebuild", actor="root").exit_code == 0
    assert "root" in cli("user", "list").stdout
    assert "2 incident chains and the user registry verified" in cli("verify").stdout


def test_only_listed_incidents_count_as_read(
    cli: Cli, ctx: Context, restricted: IncidentId
) -> None:
    hidden_by_filter = cli("list", "--status", "closed", actor="sam")
    assert hidden_by_filter.stdout == "no incidents\n"
    assert access_reads(ctx, restricted) == []
    assert restricted in cli("list", "--open", actor="sam").stdout
    assert access_reads(ctx, restricted) == ["sam"]


@pytest.fixture
def frozen(ctx: Context, restricted: IncidentId) -> IncidentId:
    """A restricted SEV1 (its level freezes deploys), commanded by alice."""
    return IncidentId(
        run(
            ctx,
            Declare(title=SECRET, severity="SEV1", labels=("restricted",), ic="alice"),
            "alice",
        )[0].incident_id
    )


@pytest.mark.parametrize("asker", ["bob", "vic", "mallory", "ann"])
def test_freeze_check_holds_but_names_no_hidden_incident(
    cli: Cli, ctx: Context, frozen: IncidentId, monkeypatch: pytest.MonkeyPatch, asker: str
) -> None:
    monkeypatch.setenv("FIRELINE_ACTOR", asker)
    result = cli("freeze", "check")
    assert result.exit_code == 1  # the freeze holds: fail closed
    assert result.stdout.splitlines() == [
        "FROZEN by a restricted incident",
        "deploys are frozen until these resolve or their IC runs `fireline freeze lift`",
    ]
    as_json = cli("freeze", "check", "--format", "json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == {"frozen": [], "restricted": True}
    for output in (result.output, as_json.output):
        assert frozen not in output
        assert "SEV1" not in output
        assert "declared" not in output


@pytest.mark.parametrize("asker", ["alice", "sam", "erin"])
def test_freeze_check_names_the_incident_to_those_who_may_see_it(
    cli: Cli, ctx: Context, frozen: IncidentId, monkeypatch: pytest.MonkeyPatch, asker: str
) -> None:
    monkeypatch.setenv("FIRELINE_ACTOR", asker)
    result = cli("freeze", "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == f"FROZEN by {frozen} (SEV1, declared)"
    assert "restricted incident" not in result.stdout
    assert access_reads(ctx, frozen) == []  # `freeze check` is an untrailed view by policy


def test_freeze_check_in_a_real_process_hides_the_incident(
    ctx: Context, store: Store, frozen: IncidentId
) -> None:
    import os
    import subprocess
    import sys

    argv = [sys.executable, "-m", "fireline", "freeze", "check"]
    for asker, first in (
        ("bob", "FROZEN by a restricted incident"),
        ("sam", f"FROZEN by {frozen}"),
    ):
        env = {**os.environ, **store.env, "FIRELINE_ACTOR": asker}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 1
        assert done.stdout.startswith(first)
        assert done.stderr == ""


@pytest.mark.parametrize("asker", ["bob", "vic", "mallory", "ann"])
def test_verify_answers_for_a_hidden_incident_as_for_a_missing_one(
    cli: Cli, ctx: Context, restricted: IncidentId, asker: str
) -> None:
    missing = "INC-20991231-001"
    before = snapshot(ctx.engine)
    hidden = cli("verify", restricted, actor=asker)
    absent = cli("verify", missing, actor=asker)
    assert (hidden.exit_code, hidden.stdout) == (absent.exit_code, absent.stdout) == (3, "")
    assert hidden.stderr == f"fireline: error: no incident {restricted}\n"
    assert absent.stderr == f"fireline: error: no incident {missing}\n"
    both = cli("verify", missing, restricted, actor=asker)  # the first in order, either way
    assert both.stderr == f"fireline: error: no incident {min(missing, restricted)}\n"
    assert snapshot(ctx.engine) == before


def test_verify_checks_a_restricted_incident_for_those_who_may_see_it(
    cli: Cli, ctx: Context, restricted: IncidentId
) -> None:
    for reader in ("alice", "sam"):
        result = cli("verify", restricted, actor=reader)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("ok: ")
    assert access_reads(ctx, restricted) == []  # `verify` is an untrailed view by policy


@pytest.mark.parametrize("actor", ["bob", "alice", "sam", "vic", "mallory"])
def test_only_an_admin_may_rebuild(
    cli: Cli, ctx: Context, restricted: IncidentId, actor: str
) -> None:
    before = snapshot(ctx.engine)
    result = cli("rebuild", actor=actor)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert f"only an admin may rebuild the projections ({actor} is not one)" in result.stderr
    assert result.stderr.count("\n") == 1
    assert snapshot(ctx.engine) == before
    assert cli("rebuild", actor="ann").stdout.startswith("rebuilt projections from ")
