"""`fireline runbook lint` and `runbook new` as a user drives them: no store, exit 0/1/2."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fireline.cli import app
from fireline.runbooks.lint import PLACEHOLDER
from tests.test_runbook_lint import IMPORTED, make_runbook

TODAY = datetime.now(UTC).date()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current directory with no store and no fireline.toml (lint must not need them)."""
    monkeypatch.chdir(tmp_path)
    for key in ("FIRELINE_CONFIG", "FIRELINE_HOME", "FIRELINE_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def good(path: Path) -> Path:
    reviewed = (TODAY - timedelta(days=3)).isoformat()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(make_runbook(front={"last_reviewed": reviewed}), encoding="utf-8")
    return path


def refused(result: Result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [result.stderr.strip()], "exactly one stderr line"
    assert result.stderr.startswith("fireline: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_lint_clean_folder_exits_0_without_a_store(here: Path) -> None:
    good(here / "lib" / "RBK-api-5xx-spike.md")
    result = run("runbook", "lint", "lib")
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 runbook checked: no findings\n"
    assert not (here / "fireline-data").exists()


def test_lint_defaults_to_the_current_folder(here: Path) -> None:
    good(here / "RBK-api-5xx-spike.md")
    assert run("runbook", "lint").exit_code == 0


def test_lint_findings_exit_1_in_every_format(here: Path) -> None:
    path = good(here / "lib" / "RBK-api-5xx-spike.md")
    path.write_text(path.read_text().replace("What to do for summary.", ""))
    human = run("runbook", "lint", "lib")
    assert human.exit_code == 1
    line = next(n for n, t in enumerate(path.read_text().split("\n"), 1) if t == "## Summary")
    assert human.stdout.splitlines() == [
        f"lib/RBK-api-5xx-spike.md:{line}: error section-empty: section 'Summary' is empty",
        "1 runbook checked: 1 error, 0 warnings",
    ]
    as_json = run("runbook", "lint", "lib", "--format", "json")
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["findings"] == [
        {
            "rule": "section-empty",
            "severity": "error",
            "file": "lib/RBK-api-5xx-spike.md",
            "line": line,
            "message": "section 'Summary' is empty",
        }
    ]
    github = run("runbook", "lint", "lib", "--format", "github")
    assert github.exit_code == 1
    assert github.stdout.splitlines()[0] == (
        f"::error file=lib/RBK-api-5xx-spike.md,line={line},title=section-empty"
        "::section 'Summary' is empty"
    )


def test_imported_runbooks_warn_and_exit_0_unless_strict(here: Path) -> None:
    (here / "lib").mkdir()
    (here / "lib" / "DiskFillingUp.md").write_text(
        IMPORTED.replace(" See [the node guide](node.md).", "")
    )
    result = run("runbook", "lint", "lib")
    assert result.exit_code == 0, result.output
    assert "warning imported: imported four-section runbook" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 runbook checked: 0 errors, 4 warnings"
    strict = run("runbook", "lint", "lib", "--strict")
    assert strict.exit_code == 1
    assert "error imported:" in strict.stdout


def test_lint_reads_the_schema_and_stale_window_from_fireline_toml(here: Path) -> None:
    good(here / "RBK-api-5xx-spike.md")
    (here / "fireline.toml").write_text('runbook_stale_days = "1"\n')
    result = run("runbook", "lint", "RBK-api-5xx-spike.md")
    assert result.exit_code == 1
    assert "error stale: last_reviewed" in result.stdout


def test_lint_refuses_a_missing_path(here: Path) -> None:
    good(here / "RBK-api-5xx-spike.md")
    refused(
        run("runbook", "lint", "RBK-api-5xx-spike.md", "nope"),
        "no such runbook file or folder: nope",
    )


def test_lint_refuses_a_folder_without_runbooks(here: Path) -> None:
    (here / "empty").mkdir()
    refused(run("runbook", "lint", "empty"), "no runbooks (*.md) under empty")


def test_lint_refuses_a_file_that_is_not_utf8(here: Path) -> None:
    (here / "RBK-api-x.md").write_bytes("## Summary\ncaf\xe9\n".encode("latin-1"))
    refused(run("runbook", "lint", "RBK-api-x.md"), "runbook RBK-api-x.md is not UTF-8 text")


def test_lint_refuses_a_bad_config_with_exit_2(here: Path) -> None:
    good(here / "RBK-api-5xx-spike.md")
    (here / "fireline.toml").write_text('runbook_stale_days = "never"\n')
    refused(run("runbook", "lint"), "setting 'runbook_stale_days' must be a whole number")
    (here / "fireline.toml").write_text('runbook_sections = "Summary,summary"\n')
    refused(run("runbook", "lint"), "runbook_sections repeats a section")
    (here / "fireline.toml").write_text("runbook_sections = [\n")
    refused(run("runbook", "lint"), "invalid TOML")


def test_lint_refuses_an_unknown_format(here: Path) -> None:
    result = run("runbook", "lint", "--format", "xml")
    assert result.exit_code == 2
    assert "xml" in result.output


def test_new_scaffolds_a_runbook_that_passes_lint_once_filled(here: Path) -> None:
    result = run(
        "runbook",
        "new",
        "--domain",
        "api",
        "--slug",
        "5xx-spike",
        "--dir",
        "lib",
        "--owner",
        "team-api",
    )
    assert result.exit_code == 0, result.output
    path = here / "lib" / "RBK-api-5xx-spike.md"
    count = path.read_text().count("<<FILL")
    assert result.stdout == (
        f"created lib/RBK-api-5xx-spike.md ({count} placeholders to fill, then run: "
        "fireline runbook lint lib/RBK-api-5xx-spike.md)\n"
    )
    before = run("runbook", "lint", "lib", "--format", "json")
    assert before.exit_code == 1
    found = json.loads(before.stdout)["findings"]
    assert {f["rule"] for f in found} == {"placeholder"}
    assert len(found) == count
    path.write_text(PLACEHOLDER.sub("filled in", path.read_text()))
    after = run("runbook", "lint", "lib")
    assert after.exit_code == 0, after.output
    assert re.search(f"last_reviewed: {TODAY.isoformat()}", path.read_text())


def test_new_writes_the_title_and_defaults_to_the_current_folder(here: Path) -> None:
    result = run("runbook", "new", "--domain", "db", "--slug", "slow", "--title", "Slow: queries")
    assert result.exit_code == 0, result.output
    text = (here / "RBK-db-slow.md").read_text()
    assert 'title: "Slow: queries"' in text
    assert "# Slow: queries" in text


def test_new_refuses_to_overwrite(here: Path) -> None:
    (here / "RBK-api-x.md").write_text("mine")
    refused(run("runbook", "new", "--domain", "api", "--slug", "x"), "RBK-api-x.md already exists")
    assert (here / "RBK-api-x.md").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--domain", "API", "--slug", "x"), "invalid domain 'API'"),
        (("--domain", "api", "--slug", "x y"), "invalid slug 'x y'"),
        (("--domain", "api", "--slug", "x", "--owner", " "), "--owner must be one non-empty line"),
    ],
)
def test_new_refuses_bad_names(here: Path, args: tuple[str, ...], message: str) -> None:
    refused(run("runbook", "new", *args), message)
    assert list(here.iterdir()) == []


def test_new_refuses_a_folder_it_cannot_create(here: Path) -> None:
    (here / "file").write_text("x")
    refused(
        run("runbook", "new", "--domain", "api", "--slug", "x", "--dir", "file/sub"), "cannot write"
    )


def test_new_follows_a_configured_schema(here: Path) -> None:
    (here / "fireline.toml").write_text('runbook_sections = ["Overview", "Fix"]\n')
    assert run("runbook", "new", "--domain", "api", "--slug", "x").exit_code == 0
    text = (here / "RBK-api-x.md").read_text()
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## Overview",
        "## Fix",
    ]
