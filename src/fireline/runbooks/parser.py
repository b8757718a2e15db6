"""Parse a runbook file into the model: YAML front matter, `##` sections, checklist, fences, links.

Pure apart from `load_runbook` reading the one file. Never raises on content: whatever the
text, `parse_runbook` returns a Runbook and records what it could not read in `problems`, so
lint can report it (fail closed there, not with a traceback here).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from fireline.errors import RunbookError
from fireline.runbooks.model import (
    ChecklistItem,
    Fence,
    Link,
    Problem,
    Runbook,
    RunbookFormat,
    Section,
)
from fireline.runbooks.schema import DEFAULT_SCHEMA, Schema, import_key

_FENCE_LINE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$")
_TASK = re.compile(r"^\[([ xX])\](?:[ \t]+|$)")
_RUN_ATTR = re.compile(
    r"(?:^|[\s{,])(?:run|runs|runs_on|run_on|host|where|on)\s*=\s*"
    r"(\"[^\"]*\"|'[^']*'|[^\s},]+)"
)
_RUN_LINE = re.compile(
    r"^[*_]*\s*(?:runs?\s+(?:on|in|at)|where)\s*:[*_]*\s*(.*?)\s*[*_]*$", re.IGNORECASE
)
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^\s)>]+)>?"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Block rules only: headings, lists, fences and paragraphs; inline text stays as written.
    return MarkdownIt("commonmark").disable(["inline", "text_join"])


def load_runbook(path: Path, *, schema: Schema = DEFAULT_SCHEMA) -> Runbook:
    """Read and parse one runbook; RunbookError if it is missing, unreadable or not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RunbookError(f"cannot read runbook {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RunbookError(
            f"runbook {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    return parse_runbook(text, path=str(path), schema=schema)


def parse_runbook(text: str, *, path: str, schema: Schema = DEFAULT_SCHEMA) -> Runbook:
    """Parse runbook text; `path` names it (file name, id fallback) and is never opened."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    front, has_front, body_start, problems = _front_matter(lines)
    env: dict[str, object] = {}
    tokens = _markdown().parse("\n".join(lines[body_start:]), env)
    offset = body_start + 1  # token.map is 0-based in the body; file lines are 1-based
    headings = _headings(tokens, offset)
    fmt = _format(headings, schema)
    sections = _sections(headings, lines, fmt, schema)
    stem = PurePath(path).stem
    h1 = next((title for level, title, _, _ in headings if level == 1), None)
    return Runbook(
        path=path,
        front_matter=front,
        id=_str(front.get("id")) or stem,
        title=_str(front.get("title")) or h1 or stem,
        owner=_str(front.get("owner")),
        last_reviewed=_date(front.get("last_reviewed")),
        severity=_str(front.get("severity")),
        tags=_strings(front.get("tags")),
        services=_strings(front.get("services")),
        alerts=_strings(front.get("alerts")),
        sections=sections,
        format=fmt,
        checklist=_checklist(tokens, offset, sections),
        text=text,
        has_front_matter=has_front,
        front_matter_line=1,
        body_line=offset,
        fences=_fences(tokens, offset),
        links=_links(tokens, offset, env.get("references")),
        problems=tuple(problems),
    )


def _front_matter(lines: list[str]) -> tuple[dict[str, Any], bool, int, list[Problem]]:
    """(mapping, present, index of the first body line, problems)."""
    if not lines or not _FENCE_LINE.match(lines[0]) or lines[0].startswith("..."):
        return {}, False, 0, []
    end = next((i for i in range(1, len(lines)) if _FENCE_LINE.match(lines[i])), None)
    if end is None:
        return {}, True, 0, [Problem("front matter opened with --- is never closed", 1)]
    try:
        data = yaml.load("\n".join(lines[1:end]), Loader=_Loader)  # CSafeLoader or SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, True, end + 1, [Problem(f"front matter is not valid YAML: {reason}", line)]
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. a date like 2026-13-45
        return {}, True, end + 1, [Problem(f"front matter is not valid YAML: {exc}", 1)]
    if data is None:
        return {}, True, end + 1, []
    if not isinstance(data, dict):
        kind = type(data).__name__
        return {}, True, end + 1, [Problem(f"front matter must be a mapping, got a {kind}", 2)]
    return {str(k): v for k, v in data.items()}, True, end + 1, []


_Heading = tuple[int, str, int, int]  # level, title, first line (1-based), first body line index


def _headings(tokens: list[Token], offset: int) -> list[_Heading]:
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map and token.tag in ("h1", "h2"):
            title = tokens[i + 1].content.strip()
            found.append((int(token.tag[1]), title, token.map[0] + offset, token.map[1] + offset))
    return found


def _format(headings: list[_Heading], schema: Schema) -> RunbookFormat:
    """Imported when its `##` headings are the four-section format's more than the schema's."""
    titles = [title for level, title, _, _ in headings if level == 2]
    keys = [import_key(title) for title in titles]
    own = sum(1 for key in keys if key not in ("", "impact"))
    if not own:
        return "fireline"
    theirs = sum(1 for t, k in zip(titles, keys, strict=True) if not k and schema.canonical(t))
    return "imported" if own + keys.count("impact") >= theirs else "fireline"


def _sections(
    headings: list[_Heading], lines: list[str], fmt: RunbookFormat, schema: Schema
) -> tuple[Section, ...]:
    level2 = [h for h in headings if h[0] == 2]
    sections = []
    for index, (_, title, line, body_from) in enumerate(level2):
        body_to = level2[index + 1][2] - 1 if index + 1 < len(level2) else len(lines)
        body = "\n".join(row.rstrip("\r") for row in lines[body_from - 1 : body_to]).strip("\n")
        covers = schema.imported(title) if fmt == "imported" else ()
        if not covers:
            canonical = schema.canonical(title)
            covers = (canonical,) if canonical else ()
        sections.append(Section(title, covers[0] if covers else None, body, line, covers))
    return tuple(sections)


def _section_at(sections: tuple[Section, ...], line: int) -> str:
    name = ""
    for section in sections:
        if section.line > line:
            break
        name = section.canonical or section.title
    return name


def _checklist(
    tokens: list[Token], offset: int, sections: tuple[Section, ...]
) -> tuple[ChecklistItem, ...]:
    items = []
    depth = -1
    item_line: int | None = None
    for i, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open":
            item_line = token.map[0] + offset if token.map else None
            continue
        elif token.type == "paragraph_open" and item_line is not None:
            inline = tokens[i + 1]
            match = _TASK.match(inline.content)
            if match:
                text = " ".join(inline.content[match.end() :].split())
                section = _section_at(sections, item_line)
                items.append(ChecklistItem(section, text, depth, item_line, match[1] != " "))
        item_line = None
    return tuple(items)


def _fences(tokens: list[Token], offset: int) -> tuple[Fence, ...]:
    fences = []
    for i, token in enumerate(tokens):
        if token.type != "fence" or not token.map:
            continue
        info = token.info.strip()
        language, _, rest = info.partition(" ")
        language = language.strip("{}").lower()
        attr = _RUN_ATTR.search(rest or info.partition("{")[2])
        runs_on = attr[1].strip("\"'") if attr else None
        if runs_on is None and i >= 2 and tokens[i - 1].type == "paragraph_close":
            last = tokens[i - 2].content.strip().splitlines()[-1:]
            said = _RUN_LINE.match(last[0].strip()) if last else None
            runs_on = said[1] if said else None
        fences.append(Fence(language, rest.strip(), runs_on or None, token.map[0] + offset))
    return tuple(fences)


def _links(tokens: list[Token], offset: int, references: object) -> tuple[Link, ...]:
    """Inline links and images (found in the raw inline text, code spans aside) and reference
    definitions. Inline parsing is off: block structure is all lint needs, at twice the speed."""
    links = []
    for token in tokens:
        if token.type != "inline" or not token.map or "](" not in token.content:
            continue
        content = _CODE_SPAN.sub(lambda m: " " * len(m[0]), token.content)
        for match in _INLINE_LINK.finditer(content):
            line = token.map[0] + offset + content.count("\n", 0, match.start())
            links.append(Link(match[1], line))
    if isinstance(references, dict):
        for ref in references.values():
            href, where = ref.get("href"), ref.get("map")
            if isinstance(href, str) and href and where:
                links.append(Link(href, where[0] + offset))
    return tuple(sorted(links, key=lambda link: link.line))


def _str(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return text or None
    return None


def _strings(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(text for text in (_str(item) for item in items) if text)


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
