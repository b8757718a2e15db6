"""How `fireline demo` names the program in its hints: true wherever it is run."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from fireline.launcher import invocation


def install(folder: Path) -> Path:
    folder.mkdir()
    program = folder / "fireline"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return program


def test_a_program_found_on_path_is_named_bare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = install(tmp_path / "bin")
    monkeypatch.setattr(sys, "argv", [str(program), "demo"])
    monkeypatch.setenv("PATH", str(program.parent))
    assert invocation() == "fireline"


def test_a_program_off_path_is_named_by_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = install(tmp_path / "venv bin")
    other = install(tmp_path / "elsewhere")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["venv bin/fireline", "demo"])
    monkeypatch.setenv("PATH", str(other.parent))  # a different fireline is the one on PATH
    assert invocation() == f"'{program}'"


def test_a_bare_name_and_a_module_run_are_named_as_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "argv", ["fireline", "demo"])
    assert invocation() == "fireline"
    monkeypatch.setattr(sys, "argv", ["/x/site-packages/fireline/__main__.py", "demo"])
    assert invocation() == f"{shlex.quote(sys.executable)} -m fireline"
