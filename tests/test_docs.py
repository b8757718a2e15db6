"""Docs that cannot drift: every setting, event kind and CLI command is documented, and the
recorded sessions in the docs print today what they show."""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fireline.cli import app
from fireline.config import SETTINGS
from fireline.events import EVENT_KINDS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def docs_text() -> str:
    return "\n".join(path.read_text() for path in sorted(DOCS.glob("*.md")))


def command_names(group: typer.Typer, prefix: str = "") -> list[str]:
    names = [
        f"{prefix}{c.name or (c.callback.__name__ if c.callback else '')}"
        for c in group.registered_commands
    ]
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        names += command_names(sub.typer_instance, f"{prefix}{sub.name} ")
    return names


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_documented(name: str) -> None:
    text = docs_text()
    assert name in text
    assert f"FIRELINE_{name.upper()}" in text


@pytest.mark.parametrize("kind", sorted(EVENT_KINDS))
def test_every_event_kind_is_documented(kind: str) -> None:
    assert f"`{kind}`" in docs_text()


@pytest.mark.parametrize("command", command_names(app))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"fireline {command.replace('_', '-')}" in docs_text()


# ── recorded sessions: doc examples that are run and compared ─────────────────────────────
#
# A fenced block right after `<!-- doc-run: NAME [dir=PATH] [init] -->` is a recorded session:
# each `$ fireline …` line (optionally after `VAR=value` assignments) runs in-process in a fresh
# directory (FIRELINE_HOME is its `data/`, initialised first under `init`), and what it prints
# must match the lines shown under it, ending in `[exit N]` when it fails. `$ cat FILE` shows a
# file: the runner writes the lines shown into FILE for the commands after it. Blocks of one NAME
# in one page share the directory, in page order. Both sides are normalised (ids' day,
# timestamps, long hex, the directory shown as PATH, column padding) so that a rerun on another
# day compares equal and real drift does not.

MARKER = re.compile(
    r"<!-- doc-run: (?P<name>[\w.-]+)(?: dir=(?P<dir>\S+))?(?P<init> init)? -->\n```[^\n]*\n"
)
_DAY = re.compile(r"INC-\d{8}-")
_STAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z| [A-Z]{2,5}\b|[+-]\d{2}:\d{2})?"
)
_HEX = re.compile(r"\b[0-9a-f]{12,64}\b")
_GAPS = re.compile(r"(?<=\S) {2,}")


@dataclass(frozen=True)
class Step:
    line: int
    command: str
    expected: list[str]


@dataclass
class Session:
    page: str
    name: str
    shown_dir: str | None
    init: bool  # start from an initialised store (`fireline init` run, its output not shown)
    steps: list[Step] = field(default_factory=list)


def recorded_sessions() -> list[Session]:
    sessions: dict[tuple[str, str], Session] = {}
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text()
        for match in MARKER.finditer(text):
            key = (path.name, match["name"])
            session = sessions.setdefault(
                key, Session(path.name, match["name"], match["dir"], bool(match["init"]))
            )
            body = text[match.end() : text.index("\n```", match.end() - 1)]
            first_line = text.count("\n", 0, match.end()) + 1
            session.steps += _steps(body, first_line)
    return list(sessions.values())


def _steps(body: str, first_line: int) -> list[Step]:
    steps: list[Step] = []
    for number, line in enumerate(body.split("\n"), first_line):
        if line.startswith("$ "):
            steps.append(Step(number, line[2:], []))
        elif steps:
            steps[-1].expected.append(line)
    return steps


def normalise(lines: list[str], *, real_dir: Path, shown_dir: str | None) -> list[str]:
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    if shown_dir is not None:
        text = text.replace(str(real_dir), shown_dir)
    text = _DAY.sub("INC-<day>-", text)
    text = _STAMP.sub("<ts>", text)
    text = _HEX.sub("<hex>", text)
    return [_GAPS.sub("  ", line) for line in text.split("\n")]  # columns move with a zone


def _run(step: Step, session: Session, workdir: Path, runner: CliRunner) -> list[str]:
    words = shlex.split(_DAY.sub(f"INC-{datetime.now(UTC):%Y%m%d}-", step.command))
    env: dict[str, str] = {}
    while words and "=" in words[0] and not words[0].startswith("-"):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if words[0] == "cat":
        target = workdir / words[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(step.expected).rstrip("\n") + "\n")
        return step.expected
    assert words[0] == "fireline", f"{session.page}:{step.line}: only fireline and cat run"
    result = runner.invoke(app, words[1:], env=env)
    lines = result.output.rstrip("\n").split("\n") if result.output else []
    if result.exit_code != 0:
        lines.append(f"[exit {result.exit_code}]")
    return lines


SESSIONS = recorded_sessions()


def test_the_docs_record_sessions_that_are_checked() -> None:
    pages = {s.page for s in SESSIONS}
    assert {"cli.md", "configuration.md", "governance.md"} <= pages
    assert sum(len(s.steps) for s in SESSIONS) >= 20


@pytest.mark.parametrize("session", SESSIONS, ids=[f"{s.page}:{s.name}" for s in SESSIONS])
def test_a_recorded_session_prints_what_the_docs_show(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("FIRELINE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("FIRELINE_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("FIRELINE_ACTOR", "alice")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["fireline"])  # as a shell runs it from PATH
    runner = CliRunner()
    if session.init:
        assert runner.invoke(app, ["init"]).exit_code == 0
    for step in session.steps:
        actual = _run(step, session, tmp_path, runner)
        shown = normalise(step.expected, real_dir=tmp_path, shown_dir=session.shown_dir)
        got = normalise(actual, real_dir=tmp_path, shown_dir=session.shown_dir)
        assert got == shown, f"{session.page}:{step.line}: $ {step.command}"


def test_the_normaliser_keeps_what_matters() -> None:
    real = Path("/tmp/pytest-1/x")
    lines = [
        "INC-20261203-002 event 5 at 2026-12-03T09:08:03.868266Z by alice",
        "  9  2026-12-03 09:08:01Z  2026-12-03 03:08:01 CST  sha256 139d2fa5d9c4",
        "store ready at /tmp/pytest-1/x/data",
    ]
    assert normalise(lines, real_dir=real, shown_dir="/tmp/drill") == [
        "INC-<day>-002 event 5 at <ts> by alice",
        "  9  <ts>  <ts>  sha256 <hex>",
        "store ready at /tmp/drill/data",
    ]
    assert normalise(["INC-20261203-002 event 6"], real_dir=real, shown_dir=None) != normalise(
        ["INC-20261203-002 event 5"], real_dir=real, shown_dir=None
    )


# ── the tamper table: every message it promises is one verify can print ───────────────────

SOURCE = DOCS.parent / "src" / "fireline"
_PLACEHOLDER = re.compile(r"'?\b(?:N|M|C|K|KIND|SHA|DIR|PREFIX|VALUE)\b'?")
_JOINT = re.compile(r'"\s*\n\s*f?"')  # implicit concatenation of string literals


def tamper_messages() -> list[str]:
    text = (DOCS / "ledger.md").read_text()
    section = text[text.index("## What `fireline verify` detects") :]
    table = section[: section.index("\n\n", section.index("| Tampering"))]
    return re.findall(r"`event N: ([^`]+)`", table)


def verify_sources() -> str:
    paths = ("ledger/chain.py", "integrity.py", "evidence/blobs.py")
    return "".join(_JOINT.sub("", (SOURCE / path).read_text()) for path in paths)


@pytest.mark.parametrize("message", tamper_messages())
def test_every_tamper_message_in_the_docs_is_one_verify_prints(message: str) -> None:
    source = verify_sources()
    fragments = [f.strip() for f in _PLACEHOLDER.split(message)]
    missing = [f for f in fragments if len(f) >= 4 and f not in source]
    assert not missing, f"ledger.md promises {message!r}; no verify message has {missing}"


def test_the_tamper_table_is_read() -> None:
    assert len(tamper_messages()) >= 14
