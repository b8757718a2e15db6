"""Hostile stored text through every command that prints it: shown as escapes, never obeyed."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fireline.cli import app
from fireline.runbooks.lint import lint_paths, options_from_settings
from tests.conftest import Cli, Store
from tests.test_cli import INC, ok, refuse
from tests.test_runbook_lint import make_runbook

pytestmark = pytest.mark.adapter

# A screen clear, a window-title OSC, a carriage return that overwrites, a newline that forges a
# line, a right-to-left override, a zero-width joiner, the C1 CSI, NEL, DEL, a line separator.
HOSTILE = (
    "Deploy \x1b[2J\x1b]0;owned\x07 ok\rFAKE\nforged \u202eelif\u202c z\u200dw "
    "\x9b31m \x85 \x7f\u2028."
)
RAW = ("\x1b", "\x07", "\r", "\u202e", "\u202c", "\u200d", "\x9b", "\x85", "\x7f", "\u2028")
SHOWN = (
    "\\x1b[2J",
    "\\x1b]0;owned\\x07",
    "ok\\rFAKE\\nforged",
    "\\u202eelif\\u202c",
    "z\\u200dw",
    "\\x9b31m",
    "\\x85 \\x7f\\u2028.",
)
# The same text as JSON writes it: every character an escape, the document unchanged.
JSON_SHOWN = ("\\u001b[2J", "\\u001b]0;owned\\u0007", "\\u202eelif", "\\u009b31m", "\\u007f")


def no_raw_control(result: Result) -> None:
    for char in RAW:
        assert char not in result.stdout, f"{char!r} reached stdout"
        assert char not in result.stderr, f"{char!r} reached stderr"
    # A forged line never starts a line of its own; every output line is one record.
    assert not any(line.startswith("forged") for line in result.stdout.splitlines())


def shown(cli: Cli, *args: str, escapes: tuple[str, ...] = SHOWN) -> str:
    result = cli(*args)
    assert result.exit_code == 0, f"{args}: {result.output}"
    no_raw_control(result)
    for escape in escapes:
        assert escape in result.stdout, f"{args}: {escape!r} missing"
    return result.stdout


def refused(cli: Cli, *args: str, message: str) -> Result:
    result = cli(*args)
    assert result.exit_code != 0, result.output
    no_raw_control(result)
    assert result.stderr.startswith("fireline: error: ")
    assert result.stderr.count("\n") == 1, "exactly one stderr line"
    assert message in result.stderr
    return result


@pytest.fixture
def incident(cli: Cli) -> str:
    out = ok(cli, "declare", HOSTILE, "--sev", "SEV2", "--impact", HOSTILE, "--system", HOSTILE)
    assert out == f"{INC}\n"
    ok(cli, "log", INC, "fact", HOSTILE)
    ok(cli, "log", INC, "decision", "roll back", "--why", HOSTILE)
    ok(cli, "action", "add", INC, HOSTILE, "--owner", "bob")
    return INC


def test_incident_views_show_stored_controls_as_escapes(cli: Cli, incident: str) -> None:
    listing = shown(cli, "list")
    assert listing.count("\n") == 1, "one incident, one line"
    detail = shown(cli, "show", incident)
    assert f"Impact: {SHOWN[0]}" not in detail  # the impact line starts with the text itself
    assert "Impact: Deploy \\x1b[2J" in detail
    assert "Systems: Deploy \\x1b[2J" in detail
    assert "#1 [open] P2 Deploy \\x1b[2J" in detail
    timeline = shown(cli, "timeline", incident)
    assert len(timeline.splitlines()) == 4  # declared, fact, decision, action item: one line each
    assert "why Deploy \\x1b[2J" in timeline
    shown(cli, "action", "list", incident)


def test_json_views_escape_every_control(cli: Cli, incident: str) -> None:
    for args in (("list",), ("show", incident), ("timeline", incident)):
        json.loads(shown(cli, *args, "--format", "json", escapes=JSON_SHOWN))
    [row] = json.loads(shown(cli, "list", "--format", "json", escapes=JSON_SHOWN))
    assert row["title"] == HOSTILE


def test_correction_and_recorded_lines_escape_controls(cli: Cli, incident: str) -> None:
    ok(cli, "correct", incident, "2", "fixed", "--reason", HOSTILE)
    timeline = shown(cli, "timeline", incident)
    assert "corrects #2" in timeline


def test_evidence_names_notes_and_sources_are_escaped(
    cli: Cli, incident: str, tmp_path: Path
) -> None:
    name = "log \x1b]0;owned\x07 \u202etxt.log"
    path = tmp_path / name
    path.write_text("GET / 200\n")
    ok(cli, "evidence", "add", incident, str(path), "--kind", "logs", "--note", HOSTILE)
    ok(cli, "evidence", "add", incident, "--ref", "ticket:1", "--source", HOSTILE)
    listing = shown(cli, "evidence", "list", incident, escapes=("log \\x1b]0;owned\\x07",))
    assert "\\u202etxt.log" in listing
    shown(cli, "evidence", "show", incident, "E1")
    shown(cli, "evidence", "show", incident, "E2")
    shown(cli, "evidence", "list", incident, "--format", "json", escapes=("\\u202etxt.log",))


def test_evidence_get_to_a_terminal_escapes_the_file_but_a_pipe_gets_its_bytes(
    cli: Cli, store: Store, incident: str, tmp_path: Path
) -> None:
    content = b"line one\r\n\x1b[2J\x1b]0;owned\x07 \xe2\x80\xae rtl\tok\n"
    path = tmp_path / "app.log"
    path.write_bytes(content)
    ok(cli, "evidence", "add", incident, str(path), "--kind", "logs")
    env = {**os.environ, **store.env, "FIRELINE_ACTOR": "tester"}
    command = [sys.executable, "-m", "fireline", "evidence", "get", incident, "E1"]
    piped = subprocess.run(command, env=env, capture_output=True, check=True)
    assert piped.stdout == content, "a pipe or file gets the stored bytes"
    on_screen = _run_on_a_terminal(command, env)
    assert b"\x1b" not in on_screen
    assert b"\xe2\x80\xae" not in on_screen
    # The file's own CRLF and tab stay (the terminal writes each LF as CRLF itself).
    assert on_screen == b"line one\r\r\n\\x1b[2J\\x1b]0;owned\\x07 \\u202e rtl\tok\r\n"


def test_evidence_get_refuses_a_binary_file_on_a_terminal(
    cli: Cli, store: Store, incident: str, tmp_path: Path
) -> None:
    path = tmp_path / "core.bin"
    path.write_bytes(b"\x00\x01\x1b[2J\xff" * 8)
    ok(cli, "evidence", "add", incident, str(path), "--kind", "other", "--unscanned")
    env = {**os.environ, **store.env, "FIRELINE_ACTOR": "tester"}
    user = ok(cli, "user", "add", "tester", "--role", "admin", "--clearance", "sensitive")
    assert "user.added" in user
    command = [sys.executable, "-m", "fireline", "evidence", "get", incident, "E1"]
    on_screen = _run_on_a_terminal(command, env, code=2)
    assert (
        on_screen.strip()
        == (
            f"fireline: error: E1 on {incident} is not text (stored unscanned); "
            "write it to a file with --output"
        ).encode()
    )


def _run_on_a_terminal(command: list[str], env: dict[str, str], code: int = 0) -> bytes:
    """Run `command` with standard output and error on a pseudo-terminal; what it drew."""
    main, child = pty.openpty()
    try:
        process = subprocess.run(command, env=env, stdout=child, stderr=child, check=False)
    finally:
        os.close(child)
    drawn = b""
    try:
        while chunk := os.read(main, 4096):
            drawn += chunk
    except OSError:  # Linux reports EIO once the terminal's other end is closed
        pass
    os.close(main)
    assert process.returncode == code, drawn
    return drawn


def test_export_and_verify_escape_the_path_they_print(
    cli: Cli, incident: str, tmp_path: Path
) -> None:
    out = tmp_path / "out \x1b]0;owned\x07 \u202e"
    exported = shown(cli, "export", incident, "--out", str(out), escapes=("\\x1b]0;owned\\x07",))
    assert "\\u202e" in exported
    # U+2028 and NEL inside stored text stay inside their event line: the export verifies.
    verified = shown(cli, "verify", str(out / incident), escapes=())
    assert verified.startswith(f"ok: export {incident}")
    with (out / incident / "ledger" / "events.jsonl").open("a") as events:
        events.write("{}\n")
    refused(cli, "verify", str(out / incident), message="out \\x1b]0;owned\\x07 \\u202e/")


RUNBOOK = """---
id: RBK-api-hostile
title: "API \\e[2J \\e]0;owned\\a \\u202Eeliat"
owner: team-api
---

# API

## Triage Checklist

- [ ] Check \x1b[2J the \u202e gateway\x9b
"""


def test_runbook_titles_and_checklist_items_are_escaped(
    cli: Cli, incident: str, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "RBK-api-hostile.md").write_text(RUNBOOK, encoding="utf-8")
    ok(cli, "runbook", "index", str(library))
    title = ("\\x1b[2J", "\\x1b]0;owned\\x07", "\\u202eeliat")
    shown(cli, "runbook", "search", "API", escapes=title)
    shown(cli, "runbook", "search", "API", "--format", "json", escapes=("\\u202eeliat",))
    attached = shown(
        cli, "runbook", "attach", incident, str(library / "RBK-api-hostile.md"), escapes=()
    )
    assert "runbook.attached" in attached
    shown(cli, "checklist", incident, escapes=("Check \\x1b[2J the \\u202e gateway\\x9b",))
    shown(cli, "show", incident, escapes=title)


def test_runbook_lint_escapes_file_names_in_every_format(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "lint"
    folder.mkdir()
    name = "RBK-\x1b]0;owned\x07\u202e.md"
    (folder / name).write_text(make_runbook(front={"owner": "<absent>"}), encoding="utf-8")
    runner = CliRunner()
    for fmt, escape in (
        ("human", "\\x1b]0;owned\\x07"),
        ("github", "\\u202e"),
        ("json", "\\u202e"),
    ):
        result = runner.invoke(app, ["runbook", "lint", str(folder), "--format", fmt])
        assert result.exit_code == 1, result.output
        no_raw_control(result)
        assert escape in result.stdout
    report = lint_paths(
        [folder], options_from_settings(store.settings, today=date.today(), strict=False)
    )
    assert report.findings[0].file.endswith(name), "the finding keeps the real name"


def test_users_and_roles_refuse_hostile_names_with_one_escaped_line(
    cli: Cli, store: Store, incident: str
) -> None:
    refused(cli, "user", "add", HOSTILE, "--role", "admin", message="invalid actor")
    refused(cli, "role", "assign", incident, "ic", HOSTILE, message="invalid actor")
    refused(cli, "role", "assign", incident, HOSTILE, "alice", message="\\x1b[2J")
    ok(cli, "user", "add", "tester", "--role", "admin")
    shown(cli, "user", "list", escapes=())


def test_errors_that_quote_input_escape_it(cli: Cli, store: Store, incident: str) -> None:
    refused(cli, "list", "--status", HOSTILE, message="unknown status 'Deploy \\x1b[2J")
    refused(cli, "show", incident, "--tz", HOSTILE, message="unknown time zone")
    refused(cli, "log", incident, HOSTILE, "text", message="unknown entry kind")
    usage = cli("show", incident, "--format", HOSTILE)  # the CLI framework's own usage error
    assert usage.exit_code == 2
    no_raw_control(usage)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("declare", "\u200b\u202e \x1b\x07", "--sev", "SEV2"), "title has nothing visible"),
        (("declare", "\u3164\u2060", "--sev", "SEV2"), "title has nothing visible"),
        (("action", "add", INC, "\u200d\u200d", "--owner", "bob"), "action item has nothing"),
        (("log", INC, "fact", "\u2066\u2069"), "fact has nothing visible"),
        (("log", INC, "decision", "go", "--why", "\u200b"), "a decision needs --why"),
        (("sev", INC, "SEV1", "--reason", "\x1b\x07"), "reason has nothing visible"),
    ],
)
def test_text_with_nothing_visible_is_refused_and_nothing_written(
    cli: Cli, store: Store, args: tuple[str, ...], message: str
) -> None:
    ok(cli, "declare", "Catalog API 5xx spike", "--sev", "SEV2")
    refuse(cli, store, args, 2, message)
