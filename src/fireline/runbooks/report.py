"""Lint reports as text: human lines, JSON, and GitHub workflow annotations. Pure."""

from __future__ import annotations

import json

from fireline.domain import plural
from fireline.runbooks.lint import Finding, LintReport


def human(report: LintReport) -> list[str]:
    """`file:line: severity rule: message` lines, then a one-line summary."""
    lines = [f"{f.file}:{f.line}: {f.severity} {f.rule}: {f.message}" for f in report.findings]
    lines.append(summary(report))
    return lines


def summary(report: LintReport) -> str:
    checked = plural(report.runbooks, "runbook")
    if not report.findings:
        return f"{checked} checked: no findings"
    return (
        f"{checked} checked: {plural(report.errors, 'error')}, {plural(report.warnings, 'warning')}"
    )


def as_json(report: LintReport) -> str:
    """One JSON object: counts and the findings (rule, severity, file, line, message)."""
    return json.dumps(as_data(report), indent=2, ensure_ascii=False)


def as_data(report: LintReport) -> dict[str, object]:
    """What `as_json` writes, for an adapter that serialises it its own way."""
    return {
        "runbooks": report.runbooks,
        "errors": report.errors,
        "warnings": report.warnings,
        "findings": [_finding(f) for f in report.findings],
    }


def _finding(f: Finding) -> dict[str, object]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "file": f.file,
        "line": f.line,
        "message": f.message,
    }


def github(report: LintReport) -> list[str]:
    """`::error file=…,line=…,title=…::message` workflow commands, then the summary line."""
    lines = [
        f"::{f.severity} file={_property(f.file)},line={f.line},title={_property(f.rule)}"
        f"::{_data(f.message)}"
        for f in report.findings
    ]
    lines.append(summary(report))
    return lines


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
