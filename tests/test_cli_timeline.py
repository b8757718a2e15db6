"""`fireline timeline` narrowed: access reads folded, `--all`, `--kind`, `--since`, `--limit`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli, Store
from tests.test_cli import INC, ok, refuse

pytestmark = pytest.mark.adapter


@pytest.fixture
def incident(cli: Cli) -> str:
    """A restricted SEV3 its IC (alice) has read twice, so its chain holds two access reads."""
    ok(cli, "declare", "Search slow", "--sev", "SEV3", "--label", "restricted", "--ic", "alice")
    ok(cli, "log", INC, "fact", "p99 at 4s", "--as", "alice")
    ok(cli, "log", INC, "hypothesis", "cold cache", "--as", "alice")
    ok(cli, "show", INC, "--as", "alice")
    ok(cli, "show", INC, "--as", "alice")
    return INC


def kinds_shown(cli: Cli, *args: str) -> list[str]:
    entries = json.loads(ok(cli, "timeline", INC, "--as", "alice", "--format", "json", *args))
    return [entry["kind"] for entry in entries]


def test_access_reads_are_folded_into_one_line(cli: Cli, incident: str) -> None:
    lines = ok(cli, "timeline", incident, "--as", "alice").splitlines()
    assert [line.split()[7] for line in lines[:-1]] == [
        "incident.declared",
        "role.assigned",
        "fact",
        "hypothesis",
    ]
    # Two reads by show, and this timeline's own read, recorded before it prints.
    assert lines[-1] == "(3 access reads folded; --all to show)"


def test_all_and_kind_access_read_show_the_reads(cli: Cli, incident: str) -> None:
    # Every timeline read is itself recorded before it prints: two shows, then each call.
    assert kinds_shown(cli, "--all")[-3:] == ["access.read"] * 3
    assert kinds_shown(cli, "--kind", "access.read") == ["access.read"] * 4
    table = ok(cli, "timeline", incident, "--as", "alice", "--all")
    assert "folded" not in table
    assert table.count("access.read") == 5


def test_json_folds_like_the_table(cli: Cli, incident: str) -> None:
    assert "access.read" not in kinds_shown(cli)


def test_kind_is_repeatable_and_takes_the_short_entry_names(cli: Cli, incident: str) -> None:
    assert kinds_shown(cli, "--kind", "fact", "--kind", "incident.declared") == [
        "incident.declared",
        "entry.fact",
    ]
    assert kinds_shown(cli, "--kind", "entry.hypothesis") == ["entry.hypothesis"]
    assert kinds_shown(cli, "--kind", "status.changed") == []
    assert ok(cli, "timeline", incident, "--as", "alice", "--kind", "status.changed") == (
        "no events match\n"
    )


def test_limit_keeps_the_last_events_shown(cli: Cli, incident: str) -> None:
    assert kinds_shown(cli, "--limit", "2") == ["entry.fact", "entry.hypothesis"]
    assert kinds_shown(cli, "--limit", "99") == [
        "incident.declared",
        "role.assigned",
        "entry.fact",
        "entry.hypothesis",
    ]
    assert kinds_shown(cli, "--all", "--limit", "1") == ["access.read"]


def test_since_takes_a_moment_or_a_span_back_from_now(cli: Cli, incident: str) -> None:
    everything = json.loads(ok(cli, "timeline", incident, "--as", "alice", "--format", "json"))
    third = everything[2]["ts"]
    later = [e["kind"] for e in everything if e["ts"] >= third]
    assert kinds_shown(cli, "--since", third) == later
    assert kinds_shown(cli, "--since", "1d") == [e["kind"] for e in everything]
    assert kinds_shown(cli, "--since", "2999-01-01T00:00Z") == []
    assert kinds_shown(cli, "--since", "2000-01-01") == [e["kind"] for e in everything]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kind", "facts"), "unknown event kind 'facts'; known: access.read, "),
        (("--kind", "fact", "--kind", ""), "unknown event kind ''"),
        (("--since", "yesterday"), "malformed --since 'yesterday'; expected ISO 8601"),
        (("--since", "30x"), "malformed --since '30x'"),
        (("--since", ""), "malformed --since ''"),
        (("--since", "99999999999d"), "malformed --since '99999999999d'"),
        (("--since", "2026-02-30T10:00Z"), "malformed --since"),
        (("--limit", "0"), "malformed --limit '0'; expected a whole number from 1"),
        (("--limit", "-3"), "malformed --limit '-3'"),
        (("--limit", "ten"), "malformed --limit 'ten'"),
        (("--limit", "1" * 5000), "malformed --limit"),
    ],
)
def test_bad_options_are_one_line_nonzero_and_record_no_read(
    cli: Cli, store: Store, incident: str, args: tuple[str, ...], message: str
) -> None:
    refuse(cli, store, ("timeline", incident, "--as", "alice", *args), 2, message)
