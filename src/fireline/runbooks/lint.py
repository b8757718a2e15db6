"""Runbook lint: every rule a runbook library checks in CI, as findings with rule, line, severity.

Reads only the runbook files (and stats relative link targets); never the store. Errors fail
the run (exit 1); warnings are reported and fail only with `strict`. In an imported
four-section runbook, what that format simply does not have (the other sections, owner and
review date, the file-name convention, checklists, where commands run) is a warning; what is
broken in it (bad YAML, empty sections, dead links, placeholders, a stale review) is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fireline.errors import RunbookError
from fireline.runbooks.files import runbook_files
from fireline.runbooks.model import Runbook
from fireline.runbooks.parser import load_runbook
from fireline.runbooks.rules import (
    PLACEHOLDER,
    RULES,
    Finding,
    LintOptions,
    Severity,
    check,
    missing_fields,
)
from fireline.runbooks.schema import Schema, schema_from_settings

if TYPE_CHECKING:
    from fireline.config import Settings

__all__ = [
    "PLACEHOLDER",
    "RULES",
    "Finding",
    "LintOptions",
    "LintReport",
    "Severity",
    "collect",
    "lint_paths",
    "lint_runbook",
    "options_from_settings",
]

# Rules that only say "the imported format lacks this": warnings on imported runbooks (missing
# sections and front matter are folded into the one `imported` finding instead).
_FORMAT_GAPS = frozenset(
    {
        "section-order",
        "checklist-empty",
        "command-where",
        "file-name",
        "id-mismatch",
    }
)


@dataclass(frozen=True)
class LintReport:
    """The outcome of a run: how many runbooks were read and every finding, in file order."""

    runbooks: int
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def options_from_settings(settings: Settings, *, today: date, strict: bool = False) -> LintOptions:
    """Lint options from fireline.toml; ConfigError if its runbook settings are unusable."""
    return LintOptions(
        today=today,
        schema=schema_from_settings(settings),
        stale_days=settings.runbook_stale_days,
        command_languages=frozenset(settings.runbook_command_languages),
        strict=strict,
    )


def collect(paths: Sequence[Path]) -> list[Path]:
    """The runbook files named: files as given, folders searched recursively for `*.md`.

    In folders, README/index files and names starting with `_` or `.` are not runbooks.
    RunbookError if a path does not exist or a folder holds no runbook (fail closed in CI).
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = runbook_files(path)
            if not inside:
                raise RunbookError(f"no runbooks (*.md) under {path}")
            found += inside
        elif path.exists():
            found.append(path)
        else:
            raise RunbookError(f"no such runbook file or folder: {path}")
    return list(dict.fromkeys(found))


def lint_paths(paths: Sequence[Path], options: LintOptions) -> LintReport:
    """Lint every runbook under `paths`; RunbookError (exit 2) if any cannot be read."""
    files = collect(paths)
    findings: list[Finding] = []
    for file in files:
        findings += lint_runbook(load_runbook(file, schema=options.schema), options)
    return LintReport(len(files), tuple(findings))


def lint_runbook(book: Runbook, options: LintOptions) -> list[Finding]:
    """All findings for one parsed runbook, sorted by line."""
    found = check(book, options)
    if book.format == "imported":
        found = _imported(book, options.schema, found)
    if options.strict:
        found = [replace(f, severity="error") for f in found]
    return sorted(found, key=lambda f: (f.line, f.rule))


def _imported(book: Runbook, schema: Schema, found: list[Finding]) -> list[Finding]:
    """One `imported` warning listing what the format lacks; its other gaps become warnings."""
    covered = {name for section in book.sections for name in section.covers}
    lacks = [f"missing sections: {', '.join(n for n in schema.sections if n not in covered)}"]
    if any(f.rule == "front-matter-missing" for f in found):
        lacks.append("no front matter")
    fields = missing_fields(book, schema) if book.has_front_matter and not book.problems else []
    if fields:
        lacks.append(f"front matter lacks {', '.join(fields)}")
    folded = ("section-missing", "field-missing", "front-matter-missing")
    kept = [
        replace(f, severity="warning") if f.rule in _FORMAT_GAPS else f
        for f in found
        if f.rule not in folded
    ]
    line = book.sections[0].line if book.sections else 1
    message = (
        f"imported four-section runbook (Meaning/Impact/Diagnosis/Mitigation); {'; '.join(lacks)}"
    )
    return [Finding("imported", "warning", book.path, line, message), *kept]
