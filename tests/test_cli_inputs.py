"""Out-of-range input: numbers, times, config values, alert JSON and the store's home.

Each is refused with one stderr line naming what is wrong, a non-zero exit code, and nothing
written; a bug (an exception outside the FirelineError tree) is one `internal error` line too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fireline.cli import RootGroup, app
from fireline.domain import NUMBER_LIMIT
from fireline.errors import INTERNAL_ERROR_EXIT
from tests.conftest import Cli, Store
from tests.test_cli import INC, ok, refuse

pytestmark = pytest.mark.adapter

HUGE = str(2**63)
NOW = datetime.now(UTC)
TODAY = NOW.date()


def minutes_ahead(minutes: float) -> str:
    return f"{NOW + timedelta(minutes=minutes):%Y-%m-%dT%H:%M:%SZ}"


@pytest.fixture
def incident(cli: Cli) -> str:
    out = ok(cli, "declare", "Catalog API 5xx spike", "--sev", "SEV1", "--ic", "tester")
    assert out.strip() == INC
    return INC


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("correct", INC, HUGE, "x"), f"less than or equal to {NUMBER_LIMIT}"),
        (("correct", INC, "0", "x"), "greater than or equal to 1"),
        (("correct", INC, "--", "-5", "x"), "greater than or equal to 1"),
        (("erase", INC, HUGE, "--reason", "x"), f"less than or equal to {NUMBER_LIMIT}"),
        (("action", "done", INC, HUGE), f"less than or equal to {NUMBER_LIMIT}"),
        (("action", "done", INC, "0"), "greater than or equal to 1"),
        (("breakglass", "revoke", INC, HUGE), f"less than or equal to {NUMBER_LIMIT}"),
        (("gate", "approve", INC, HUGE), f"less than or equal to {NUMBER_LIMIT}"),
        (("evidence", "show", INC, f"E{HUGE}"), "malformed evidence id"),
        (("evidence", "get", INC, "E" + "9" * 5000), "malformed evidence id"),
        (("check", INC, f"first-15-minutes:{HUGE}"), "malformed checklist item"),
        (("check", INC, "first-15-minutes:0"), "malformed checklist item"),
        (("runbook", "search", "x", "--limit", HUGE), f"less than or equal to {NUMBER_LIMIT}"),
        (("runbook", "search", "x", "--limit", "0"), "greater than or equal to 1"),
        (
            ("breakglass", "grant", INC, "--to", "bob", "--scope", "x", "--why", "y", "--expires")
            + ("9999999999d",),
            "malformed --expires",
        ),
    ],
)
def test_numbers_out_of_range_are_refused(
    cli: Cli, store: Store, incident: str, args: tuple[str, ...], message: str
) -> None:
    refuse(cli, store, args, 2, message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("log", INC, "fact", "x", "--at", "0001-01-01"),
            "is too long before the incident started",
        ),
        (("log", INC, "fact", "x", "--at", "+60m"), "is in the future"),
        (("log", INC, "fact", "x", "--at", "0001-01-01T00:00+05:00"), "malformed --at"),
        (("log", INC, "fact", "x", "--at", "9999-12-31T23:00-05:00"), "malformed --at"),
        (
            ("update", INC, "--impact", "x", "--next-update", "9999-12-31"),
            "--next-update 9999-12-31T00:00Z is too far ahead; at most 30 minutes from now",
        ),
        (("update", INC, "--impact", "x", "--next-update", "+45m"), "too far ahead"),
        (("update", INC, "--impact", "x", "--next-update", "2020-01-01"), "not in the future"),
        (("action", "add", INC, "t", "--owner", "bob", "--due", "2020-01-01"), "is in the past"),
        (
            ("action", "add", INC, "t", "--owner", "bob", "--due", f"{TODAY + timedelta(400)}"),
            "too far ahead; at most 366 days",
        ),
        (
            ("postmortem", "schedule", INC, "--owner", "bob", "--due", "9999-12-31"),
            "--due 9999-12-31 is too far ahead",
        ),
        (
            ("declare", "x", "--sev", "SEV1", "--detected-at", "0001-01-01"),
            "--detected-at 0001-01-01T00:00Z is more than 90 days ago",
        ),
        (
            ("evidence", "add", INC, "--ref", "trace:1", "--captured-at", "0001-01-01"),
            "--captured-at 0001-01-01T00:00Z is too long before the incident started",
        ),
    ],
)
def test_times_outside_the_rule_are_refused_naming_the_option(
    cli: Cli, store: Store, incident: str, args: tuple[str, ...], message: str
) -> None:
    # "+45m" is resolved now, not when the cases were collected: a long run must not let a
    # moment meant to be 45 minutes ahead drift into the allowed range.
    args = tuple(
        minutes_ahead(float(a[1:-1])) if a[:1] == "+" and a[-1:] == "m" else a for a in args
    )
    refuse(cli, store, args, 2, message)


def test_times_inside_the_rule_are_kept(cli: Cli, incident: str) -> None:
    ok(cli, "log", incident, "fact", "the deploy that started it", "--at", minutes_ahead(-600))
    ok(cli, "log", incident, "fact", "a clock a little ahead", "--at", minutes_ahead(2))
    ok(cli, "update", incident, "--impact", "x", "--next-update", minutes_ahead(20))
    ok(cli, "action", "add", incident, "t", "--owner", "bob", "--due", f"{TODAY}")
    ok(
        cli,
        "postmortem",
        "schedule",
        incident,
        "--owner",
        "bob",
        "--due",
        f"{TODAY + timedelta(7)}",
    )
    shown = json.loads(ok(cli, "show", incident, "--format", "json"))
    assert shown["next_update_due"].startswith(minutes_ahead(20)[:16])


def test_a_far_promise_cannot_satisfy_the_cadence_gate(
    cli: Cli, store: Store, incident: str
) -> None:
    """The SEV1 cadence is 30 min: a promise for next year is refused, the gate keeps its clock."""
    before = json.loads(ok(cli, "show", incident, "--format", "json"))["next_update_due"]
    next_year = f"{TODAY + timedelta(days=365)}"
    refuse(cli, store, ("update", incident, "--fact", "x", "--next-update", next_year), 2, "ahead")
    assert json.loads(ok(cli, "show", incident, "--format", "json"))["next_update_due"] == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'ladder = "kfm"\n# \xff\xfe\n', "is not UTF-8 text (byte 17)"),
        (f"runbook_stale_days = {'9' * 30!r}".encode(), "'runbook_stale_days' must be a whole"),
        (b'ladder = "x"\n[ladders.x]\nlevels = [{name = "A", rank = 9223372036854775807}]', "rank"),
        (
            b'ladder = "x"\n[ladders.x]\nlevels = [{name = "A", rank = 1, '
            b"update_cadence_minutes = 9223372036854775807}]",
            "invalid update_cadence_minutes 9223372036854775807 in ladder 'x'; whole minutes",
        ),
        (
            b'ladder = "x"\n[ladders.x]\nlevels = [{name = "A", rank = 1, '
            b"customer_notice_minutes = 0}]",
            "invalid customer_notice_minutes 0",
        ),
        (b"ladder = " + b"9" * 5000, "invalid TOML in"),
    ],
)
def test_out_of_range_config_is_one_config_error(
    cli: Cli, store: Store, incident: str, tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "fireline.toml").write_bytes(content)
    refuse(cli, store, ("log", incident, "fact", "x"), 5, message)


def test_init_refuses_a_home_that_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "passwd"
    home.write_text("root:x:0:0\n")
    monkeypatch.setenv("FIRELINE_HOME", str(home))
    monkeypatch.delenv("FIRELINE_DATABASE_URL", raising=False)
    monkeypatch.delenv("FIRELINE_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 6
    assert (
        result.stderr
        == f"fireline: error: cannot create the store at {home} (a file, not a folder)\n"
    )
    assert home.read_text() == "root:x:0:0\n"


def test_init_refuses_a_home_under_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain").write_text("")
    monkeypatch.setenv("FIRELINE_HOME", str(tmp_path / "plain" / "data"))
    monkeypatch.delenv("FIRELINE_DATABASE_URL", raising=False)
    monkeypatch.delenv("FIRELINE_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 6
    assert result.stderr.startswith("fireline: error: cannot create the store at ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"labels": ' * 100 + "{}" + "}" * 100, "nests JSON 101 levels deep; the limit is 64"),
        ("[" * 100_000, "nests JSON 100000 levels deep"),
        ('{"labels": {"a": "' + "x" * (4 * 1024 * 1024) + '"}}', "characters of JSON; the limit"),
        ('{"labels": {"n": 1' + "0" * 5000 + "}}", "is not"),
    ],
)
def test_alert_json_is_parsed_within_limits(
    cli: Cli, store: Store, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "alert.json"
    path.write_text(text)
    refuse(cli, store, ("runbook", "suggest", "--alert", str(path)), 2, message)


def test_a_usage_error_is_one_line(cli: Cli, store: Store, incident: str) -> None:
    refuse(cli, store, ("correct", incident, "abc", "x"), 2, "Invalid value for 'seq'")
    refuse(cli, store, ("log", incident, "fact", "x", "--nope"), 2, "No such option: --nope")


def _buggy_app() -> typer.Typer:
    buggy = typer.Typer(cls=RootGroup)

    @buggy.command()
    def crash() -> None:
        raise KeyError("the\nbug")

    @buggy.command()
    def fine() -> None:
        """A second command, so `crash` is a subcommand as in fireline."""

    return buggy


def test_a_bug_is_one_internal_error_line_with_its_own_exit_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FIRELINE_DEBUG", raising=False)
    result = CliRunner().invoke(_buggy_app(), ["crash"])
    assert result.exit_code == INTERNAL_ERROR_EXIT
    assert result.stderr == "fireline: internal error: KeyError: 'the\\nbug'\n"


def test_fireline_debug_shows_the_bug_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRELINE_DEBUG", "1")
    result = CliRunner().invoke(_buggy_app(), ["crash"])
    assert isinstance(result.exception, KeyError)
    assert result.stderr == ""


def test_a_runbook_name_the_system_cannot_look_up_is_refused(
    cli: Cli, store: Store, incident: str
) -> None:
    refuse(cli, store, ("runbook", "attach", incident, "[" * 5000), 2, "File name too long")
    for args in (("runbook", "index", "[" * 5000), ("policy", "test", "[" * 5000)):
        refuse(cli, store, args, 2, "file name too long for this system: '[[[")
