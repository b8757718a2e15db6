"""Every CLI command, fed hostile arguments, answers with exit 0 or exactly one stderr line.

The commands and their parameters come from the CLI framework's own command tree, so a new
command or option is fuzzed the day it is added. Arguments mix plausible values (so commands get
past parsing into the service) with huge and negative numbers, empty strings, control
characters, lone surrogates, very long strings and dates off the calendar's edges. Hypothesis
runs a handful of examples per command against a real store holding one incident
(`HYPOTHESIS_PROFILE=ci` runs more).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.main import get_command

from fireline.cli import app
from fireline.errors import INTERNAL_ERROR_EXIT
from tests.conftest import Cli

pytestmark = pytest.mark.adapter

NOW = datetime.now(UTC)
# Commands whose exit code is their answer, printed on stdout: a non-zero verdict is no error.
VERDICTS: dict[tuple[str, ...], set[int]] = {("freeze", "check"): {1}, ("runbook", "lint"): {1}}

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "-0",
        str(2**31),
        str(2**63),
        str(2**64 + 1),
        "9" * 40,
        "9" * 5000,
        "1e309",
        "nan",
        "inf",
        "0001-01-01",
        "0001-01-01T00:00+05:00",
        "9999-12-31",
        "9999-12-31T23:59-05:00",
        "2026-02-30",
        "1970-01-01T00:00Z",
        "\x00",
        "a\x00b",
        "\x1b[31mred\x1b[0m",
        "line\nbreak",
        "\r",
        "\udcff",
        "\ud800x",
        "x" * 20_000,
        "E0",
        "E-1",
        "E99999999999999999999",
        "first-15-minutes:0",
        "first-15-minutes:99999999999999999999",
        "999999999999d",
        "1h99999999999m",
        "--",
        "-",
        "{}",
        "[" * 5000,
    ]
)
PLAUSIBLE = st.sampled_from(
    [
        "x",
        "1",
        "2",
        "E1",
        "SEV1",
        "SEV0",
        "ic",
        "bob",
        "fact",
        "investigating",
        "mitigated",
        "first-15-minutes:1",
        "table",
        "json",
        "2h",
        "mitigated",
        f"{NOW:%Y-%m-%dT%H:%MZ}",
        f"{(NOW + timedelta(minutes=10)):%Y-%m-%dT%H:%MZ}",
        f"{(NOW + timedelta(days=3)).date()}",
        "deploy:9a1b7d",
    ]
)
ANY_TEXT = st.text(max_size=30)


def _safe(value: str) -> str:
    """Keep paths inside the test's folder: no absolute paths, home or parent references."""
    if value.startswith(("/", "~")) or ".." in value:
        return "x" + value.replace("..", "_").replace("~", "_")
    return value


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    children = getattr(command, "commands", None)
    if children is None:
        yield path, command
        return
    for name, child in sorted(children.items()):
        yield from _leaves(child, (*path, name))


# `serve` runs until it is stopped: its options' refusals are tested in tests/test_serve.py.
LONG_RUNNING = {("serve",)}
# So does `worker` without --once: it is fuzzed with it.
ALWAYS: dict[tuple[str, ...], list[str]] = {("worker",): ["--once"]}
COMMANDS = {path: cmd for path, cmd in _leaves(get_command(app)) if path not in LONG_RUNNING}


def test_the_command_tree_is_walked() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"declare", "correct", "action done", "evidence show", "check"} <= names
    assert all(path for path in COMMANDS), "the root itself is a group, never a leaf"


def _argv(data: st.DataObject, path: tuple[str, ...], incident: str) -> list[str]:
    def value(name: str) -> str:
        if name == "incident_id" and data.draw(st.booleans(), label=f"{name} real"):
            return incident
        return _safe(data.draw(st.one_of(PLAUSIBLE, HOSTILE, ANY_TEXT), label=name))

    argv = [*path, *ALWAYS.get(path, [])]
    for param in COMMANDS[path].params:
        name = param.name or "value"
        if param.param_type_name == "argument":
            if not param.required and not data.draw(st.booleans(), label=f"{name} given"):
                continue
            count = data.draw(st.integers(1, 2), label=f"{name} count") if param.nargs < 0 else 1
            argv += [value(name) for _ in range(count)]
            continue
        if not param.required and not data.draw(st.booleans(), label=f"{name} given"):
            continue
        if param.is_flag:
            if param.opts[0] not in argv:  # ALWAYS may have given it
                argv.append(param.opts[0])
        else:
            argv += [param.opts[0], value(name)]
    return argv


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
@settings(
    # A handful per command keeps the whole tree under a couple of minutes: 6 on the dev
    # profile, 15 on ci.
    max_examples=max(3, settings().max_examples // 4),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_command_answers_hostile_arguments_in_one_line(
    cli: Cli, fuzz_incident: str, path: tuple[str, ...], data: st.DataObject
) -> None:
    argv = _argv(data, path, fuzz_incident)
    result = cli(*argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{argv!r} raised") from result.exception
    assert "Traceback" not in result.output, argv
    if result.exit_code == 0:
        return
    if result.exit_code in VERDICTS.get(path, set()) and not result.stderr:
        return
    assert result.exit_code != INTERNAL_ERROR_EXIT, (argv, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (argv, result.stderr)
    assert lines[0].startswith("fireline: error: "), (argv, result.stderr)


@pytest.fixture
def fuzz_incident(cli: Cli) -> str:
    result = cli("declare", "fuzzing target", "--sev", "SEV1", "--ic", "tester")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()
