"""Parse a runbook file into the model: YAML front matter, `##` sections, checklist, fences, links.

Pure apart from `load_runbook` reading the one file. Never raises on content: whatever the
text, `parse_runbook` returns a Runbook and records what it could not read in `problems`, so
lint can report it (fail closed there, not with a traceback here).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path, PurePath

from markdown_it import MarkdownIt
from markdown_it.token import Token

from fireline.errors import RunbookError
from fireline.runbooks import frontmatter
from fireline.runbooks.frontmatter import as_date, as_str, as_strings
from fireline.runbooks.model import (
    ChecklistItem,
    Fence,
    Link,
    Runbook,
    RunbookFormat,
    Section,
)
from fireline.runbooks.schema import DEFAULT_SCHEMA, Schema, import_key

_TASK = re.compile(r"^\[([ xX])\](?:[ \t]+|$)")
_RUN_ATTR = re.compile(
    r"(?:^|[\s{,])(?:run|runs|runs_on|run_on|host|where|on)\s*=\s*"
    r"(\"[^\"]*\"|'[^']*'|[^\s},]+)"
)
_RUN_LINE = re.compile(
    r"^[*_]*\s*(?:runs?\s+(?:on|in|at)|where)\s*:[*_]*\s*(.*?)\s*[*_]*$", re.IGNORECASE
)
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
    front, has_front, body_start, problems = frontmatter.split(lines)
    env: dict[str, object] = {}
    tokens = _markdown().parse("\n".join(lines[body_start:]), env)
    offset = body_start + 1  # token.map is 0-based in the body; file lines are 1-based
    walk = _Walk(offset)
    walk.run(tokens)
    fmt = _format(walk.headings, schema)
    sections = _sections(walk.headings, lines, fmt, schema)
    stem = PurePath(path).stem
    h1 = next((title for level, title, _, _ in walk.headings if level == 1), None)
    return Runbook(
        path=path,
        front_matter=front,
        id=as_str(front.get("id")) or stem,
        title=as_str(front.get("title")) or h1 or stem,
        owner=as_str(front.get("owner")),
        last_reviewed=as_date(front.get("last_reviewed")),
        severity=as_str(front.get("severity")),
        tags=as_strings(front.get("tags")),
        services=as_strings(front.get("services")),
        alerts=as_strings(front.get("alerts")),
        sections=sections,
        format=fmt,
        checklist=_checklist(walk.tasks, sections),
        text=text,
        has_front_matter=has_front,
        body_line=offset,
        fences=tuple(walk.fences),
        links=_links(walk.links, env.get("references"), offset),
        problems=tuple(problems),
    )


_Heading = tuple[int, str, int, int]  # level, title, first line (1-based), first body line index
_Task = tuple[int, int, str, bool]  # line, depth, text, checked


class _Walk:
    """One pass over the block tokens, collecting headings, tasks, fences and inline links."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.headings: list[_Heading] = []
        self.tasks: list[_Task] = []
        self.fences: list[Fence] = []
        self.links: list[Link] = []

    def run(self, tokens: list[Token]) -> None:
        offset = self.offset
        depth = -1
        item_line: int | None = None  # set right after a list item opens
        for i, token in enumerate(tokens):
            kind = token.type
            if kind == "inline":
                if token.map and "](" in token.content:
                    self._inline_links(token.content, token.map[0] + offset)
                continue
            if kind == "paragraph_open":
                if item_line is not None:
                    self._task(tokens[i + 1].content, item_line, depth)
                item_line = None
            elif kind == "list_item_open":
                item_line = token.map[0] + offset if token.map else None
            elif kind in ("bullet_list_open", "ordered_list_open"):
                depth += 1
                item_line = None
            elif kind in ("bullet_list_close", "ordered_list_close"):
                depth -= 1
                item_line = None
            elif kind == "heading_open":
                item_line = None
                if token.map and token.tag in ("h1", "h2"):
                    title = tokens[i + 1].content.strip()
                    first, after = token.map[0] + offset, token.map[1] + offset
                    self.headings.append((int(token.tag[1]), title, first, after))
            elif kind == "fence":
                item_line = None
                if token.map:
                    before = (
                        tokens[i - 2]
                        if i >= 2 and tokens[i - 1].type == "paragraph_close"
                        else None
                    )
                    self.fences.append(_fence(token, before, token.map[0] + offset))
            else:
                item_line = None

    def _task(self, content: str, line: int, depth: int) -> None:
        match = _TASK.match(content)
        if match:
            text = " ".join(content[match.end() :].split())
            self.tasks.append((line, depth, text, match[1] != " "))

    def _inline_links(self, content: str, line: int) -> None:
        """Links and images found in the raw inline text (inline parsing is off), code aside."""
        content = _CODE_SPAN.sub(lambda m: " " * len(m[0]), content)
        for match in _INLINE_LINK.finditer(content):
            self.links.append(Link(match[1], line + content.count("\n", 0, match.start())))


def _fence(token: Token, before: Token | None, line: int) -> Fence:
    """A fence and where it says it runs: an info-string attribute or a `Run on:` line above."""
    info = token.info.strip()
    language, _, rest = info.partition(" ")
    language = language.strip("{}").lower()
    attr = _RUN_ATTR.search(rest or info.partition("{")[2])
    runs_on = attr[1].strip("\"'") if attr else None
    if runs_on is None and before is not None:
        last = before.content.strip().splitlines()[-1:]
        said = _RUN_LINE.match(last[0].strip()) if last else None
        runs_on = said[1] if said else None
    return Fence(language, rest.strip(), runs_on or None, line)


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
        body = "\n".join(lines[body_from - 1 : body_to]).replace("\r", "").strip("\n")
        covers = schema.imported(title) if fmt == "imported" else ()
        if not covers:
            canonical = schema.canonical(title)
            covers = (canonical,) if canonical else ()
        sections.append(Section(title, covers[0] if covers else None, body, line, covers))
    return tuple(sections)


def _checklist(tasks: list[_Task], sections: tuple[Section, ...]) -> tuple[ChecklistItem, ...]:
    """Tasks with the section each falls in (canonical name, else title; "" before any)."""
    starts = [section.line for section in sections]
    items = []
    for line, depth, text, checked in tasks:
        at = bisect_right(starts, line) - 1
        name = (sections[at].canonical or sections[at].title) if at >= 0 else ""
        items.append(ChecklistItem(name, text, depth, line, checked))
    return tuple(items)


def _links(inline: list[Link], references: object, offset: int) -> tuple[Link, ...]:
    """Inline links plus reference definitions (`[name]: target`), in line order."""
    links = list(inline)
    if isinstance(references, dict):
        for ref in references.values():
            href, where = ref.get("href"), ref.get("map")
            if isinstance(href, str) and href and where:
                links.append(Link(href, where[0] + offset))
    return tuple(sorted(links, key=lambda link: link.line))
