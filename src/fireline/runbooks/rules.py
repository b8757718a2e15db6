"""The lint rules: each looks at one parsed runbook and yields findings. Pure but for `stat`.

Only `link-broken` touches the file system (does the target exist?); everything else reads
the parsed model. `fireline.runbooks.lint` runs them and decides what an imported runbook's
findings weigh.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import unquote

from fireline.runbooks.frontmatter import as_date
from fireline.runbooks.model import Runbook, Section
from fireline.runbooks.schema import DEFAULT_SCHEMA, FieldSpec, Schema

Severity = Literal["error", "warning"]

# Scaffold placeholders: `<<FILL: what to write>>`, so nothing half-written passes lint.
PLACEHOLDER = re.compile(r"<<\s*FILL\b[^>\n]*>>")
FILE_NAME = re.compile(r"RBK-[a-z0-9]+-[a-z0-9]+(?:-[a-z0-9]+)*\.md")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

RULES: dict[str, str] = {
    "front-matter-missing": "the file does not start with a `---` YAML front matter block",
    "front-matter-invalid": "the front matter is not valid YAML, not closed, or not a mapping",
    "field-missing": "a required front-matter field is absent or empty",
    "field-invalid": "a front-matter field has the wrong type or an impossible value",
    "stale": "last_reviewed is older than runbook_stale_days",
    "section-missing": "a required section is absent",
    "section-order": "a section is out of the schema's order",
    "section-empty": "a section has no content (HTML comments do not count)",
    "section-duplicate": "two headings name the same section",
    "checklist-empty": "a checklist section has no `- [ ]` item, or an item has no text",
    "command-where": "a command fence does not say where it runs",
    "link-broken": "a relative link points at a file that does not exist",
    "file-name": "the file name is not RBK-<domain>-<slug>.md",
    "id-mismatch": "front-matter id differs from the file name",
    "placeholder": "a scaffold placeholder <<FILL: …>> is still there",
    "imported": "an imported four-section runbook, and the schema sections it lacks",
}


@dataclass(frozen=True)
class Finding:
    """One lint finding, pointing at a file and 1-based line."""

    rule: str
    severity: Severity
    file: str
    line: int
    message: str


@dataclass(frozen=True)
class LintOptions:
    """What lint checks against: schema, staleness window, command languages, today's date."""

    today: date
    schema: Schema = DEFAULT_SCHEMA
    stale_days: int = 180
    command_languages: frozenset[str] = frozenset({"bash", "sh", "shell", "console", "zsh"})
    strict: bool = False


def check(book: Runbook, options: LintOptions) -> list[Finding]:
    """Every rule's findings for one runbook, all as errors, in rule order."""
    return [
        *_front_matter(book, options),
        *_sections(book, options.schema),
        *_checklists(book),
        *_commands(book, options),
        *_links(book),
        *_file_name(book),
        *_placeholders(book),
    ]


def _finding(book: Runbook, rule: str, line: int, message: str) -> Finding:
    return Finding(rule, "error", book.path, line, message)


def _front_matter(book: Runbook, options: LintOptions) -> Iterator[Finding]:
    for problem in book.problems:
        yield _finding(book, "front-matter-invalid", problem.line, problem.message)
    if not book.has_front_matter:
        yield _finding(
            book, "front-matter-missing", 1, "no front matter: start the file with a --- block"
        )
        return
    if book.problems:
        return
    for spec in options.schema.fields:
        yield from _field(book, spec, options)


def _field(book: Runbook, spec: FieldSpec, options: LintOptions) -> Iterator[Finding]:
    value = book.front_matter.get(spec.name)
    if _is_absent(spec, value):
        if spec.required:
            line = _field_line(book, spec.name)
            yield _finding(book, "field-missing", line, f"front matter lacks {spec.name!r}")
        return
    if value == []:
        return
    problem = _field_problem(spec, value, options.today)
    if problem:
        line = _field_line(book, spec.name)
        yield _finding(book, "field-invalid", line, f"front-matter {spec.name!r} {problem}")
    elif spec.name == "last_reviewed" and book.last_reviewed:
        age = (options.today - book.last_reviewed).days
        if age > options.stale_days:
            yield _finding(
                book,
                "stale",
                _field_line(book, spec.name),
                f"last_reviewed {book.last_reviewed.isoformat()} is {age} days old "
                f"(more than {options.stale_days}); review the runbook and update the date",
            )


def _is_absent(spec: FieldSpec, value: object) -> bool:
    """None or "" is absent; an empty list is a present (if empty) list field."""
    return value is None or value == "" or (value == [] and spec.kind != "list")


def missing_fields(book: Runbook, schema: Schema) -> list[str]:
    return [
        spec.name
        for spec in schema.fields
        if spec.required and _is_absent(spec, book.front_matter.get(spec.name))
    ]


def _field_problem(spec: FieldSpec, value: object, today: date) -> str | None:
    if spec.kind == "str" and not isinstance(value, str):
        return f"must be a string, got {value!r}"
    if spec.kind == "list" and not (
        isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
    ):
        return f"must be a list of non-empty strings, got {value!r}"
    if spec.kind == "date":
        parsed = as_date(value)
        if parsed is None:
            return f"must be a date YYYY-MM-DD, got {value!r}"
        if parsed > today:
            return f"is in the future: {parsed.isoformat()}"
    return None


def _field_line(book: Runbook, name: str) -> int:
    pattern = re.compile(rf"^\s*['\"]?{re.escape(name)}['\"]?\s*:")
    lines = book.text.split("\n", book.body_line)[: book.body_line - 1]
    return next((n for n, text in enumerate(lines, 1) if pattern.match(text)), 1)


def _sections(book: Runbook, schema: Schema) -> Iterator[Finding]:
    seen: dict[str, Section] = {}
    for section in book.sections:
        for name in section.covers:
            if name in seen:
                first = seen[name]
                yield _finding(
                    book,
                    "section-duplicate",
                    section.line,
                    f"{section.title!r} repeats section {name!r} (first at line {first.line})",
                )
            else:
                seen[name] = section
        if not _COMMENT.sub("", section.body).strip():
            yield _finding(
                book, "section-empty", section.line, f"section {section.title!r} is empty"
            )
    yield from _order(book, schema, seen)
    missing = [name for name in schema.sections if name not in seen]
    last_line = max(len(book.text.splitlines()), 1)
    for name in missing:
        later = [s.line for n, s in seen.items() if schema.index(n) > schema.index(name)]
        yield _finding(
            book, "section-missing", min(later, default=last_line), f"missing section {name!r}"
        )


def _order(book: Runbook, schema: Schema, seen: dict[str, Section]) -> Iterator[Finding]:
    present = sorted(seen.items(), key=lambda item: (item[1].line, schema.index(item[0])))
    ranks = [schema.index(name) for name, _ in present]
    if ranks == sorted(ranks):  # the usual case: nothing out of order
        return
    keep = _longest_increasing(ranks)
    for position, (name, section) in enumerate(present):
        if position in keep:
            continue
        before = [n for n, _ in present if schema.index(n) < schema.index(name)]
        after = [n for n, _ in present if schema.index(n) > schema.index(name)]
        where = f"after {before[-1]!r}" if before else f"before {after[0]!r}" if after else "first"
        yield _finding(
            book,
            "section-order",
            section.line,
            f"section {section.title!r} is out of order: it belongs {where}",
        )


def _longest_increasing(values: Sequence[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence: the sections in order."""
    best: list[list[int]] = []
    for i, value in enumerate(values):
        chains = [chain for j, chain in enumerate(best) if values[j] < value]
        longest: list[int] = max(chains, key=lambda chain: len(chain)) if chains else []
        best.append([*longest, i])
    winner: list[int] = max(best, key=lambda chain: len(chain)) if best else []
    return set(winner)


def _checklists(book: Runbook) -> Iterator[Finding]:
    for item in book.checklist:
        if not item.text:
            yield _finding(book, "checklist-empty", item.line, "checklist item has no text")
    owners = {_owner_of(book, item.line) for item in book.checklist}
    for section in book.sections:
        named = any("checklist" in name.lower() for name in (section.title, *section.covers))
        if named and section not in owners:
            yield _finding(
                book,
                "checklist-empty",
                section.line,
                f"checklist section {section.title!r} has no '- [ ]' items",
            )


def _owner_of(book: Runbook, line: int) -> Section | None:
    owner = None
    for section in book.sections:
        if section.line > line:
            break
        owner = section
    return owner


def _commands(book: Runbook, options: LintOptions) -> Iterator[Finding]:
    for fence in book.fences:
        if fence.language in options.command_languages and not fence.runs_on:
            yield _finding(
                book,
                "command-where",
                fence.line,
                f"```{fence.language} block does not say where it runs: write ```"
                f"{fence.language} {{run=prod}} or a 'Run on: …' line just above it",
            )


def _links(book: Runbook) -> Iterator[Finding]:
    base = os.path.dirname(book.path)
    for link in book.links:
        target = link.target.split("#", 1)[0].split("?", 1)[0]
        if not target or target.startswith("/") or _SCHEME.match(target):
            continue
        if not os.path.exists(os.path.join(base, unquote(target))):
            yield _finding(
                book, "link-broken", link.line, f"link target {link.target!r} does not exist"
            )


def _file_name(book: Runbook) -> Iterator[Finding]:
    name = os.path.basename(book.path)
    if not FILE_NAME.fullmatch(name):
        yield _finding(
            book,
            "file-name",
            1,
            f"file name {name!r} does not follow RBK-<domain>-<slug>.md "
            "(lower-case letters, digits and hyphens)",
        )
    declared = book.front_matter.get("id")
    stem = os.path.splitext(name)[0]
    if isinstance(declared, str) and declared.strip() and declared.strip() != stem:
        yield _finding(
            book,
            "id-mismatch",
            _field_line(book, "id"),
            f"front-matter id {declared!r} differs from the file name {stem!r}",
        )


def _placeholders(book: Runbook) -> Iterable[Finding]:
    if "<<" not in book.text:
        return []
    return [
        _finding(book, "placeholder", number, f"placeholder left from the scaffold: {match[0]}")
        for number, text in enumerate(book.text.split("\n"), 1)
        for match in PLACEHOLDER.finditer(text)
    ]
