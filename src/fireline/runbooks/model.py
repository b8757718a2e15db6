"""The runbook model: what a parsed runbook file holds. Pure frozen values, no I/O.

Lines are 1-based lines of the whole file (front matter included), so lint findings and
checklist items point where an editor or a GitHub annotation expects them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from fireline.runbooks.schema import split_heading

RunbookFormat = Literal["fireline", "imported"]


@dataclass(frozen=True)
class Section:
    """One `##` section: its heading as written, the schema section it maps to, its markdown.

    `covers` lists every schema section it fills: one for a fireline section, two for an
    imported "Mitigation" (Containment Steps and Recovery Steps); `canonical` is the first.
    """

    title: str
    canonical: str | None
    body: str
    line: int
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChecklistItem:
    """A `- [ ]` / `- [x]` list item; nested items have depth 1, 2, … under their parent."""

    section: str
    text: str
    depth: int
    line: int
    checked: bool


@dataclass(frozen=True)
class Fence:
    """A fenced code block: its language, the rest of its info string, where it says it runs."""

    language: str
    info: str
    runs_on: str | None
    line: int


@dataclass(frozen=True)
class Link:
    """A link or image target, as written, and the line it is on."""

    target: str
    line: int


@dataclass(frozen=True)
class Problem:
    """Something the parser could not read as the format says (bad YAML, unclosed front matter)."""

    message: str
    line: int


@dataclass(frozen=True)
class Runbook:
    """A parsed runbook. `format` is "imported" for the four-section alert runbook."""

    path: str
    front_matter: Mapping[str, Any]
    id: str
    title: str
    owner: str | None
    last_reviewed: date | None
    severity: str | None
    tags: tuple[str, ...]
    services: tuple[str, ...]
    alerts: tuple[str, ...]
    sections: tuple[Section, ...]
    format: RunbookFormat
    checklist: tuple[ChecklistItem, ...]
    text: str
    has_front_matter: bool = False
    body_line: int = 1
    fences: tuple[Fence, ...] = ()
    links: tuple[Link, ...] = ()
    problems: tuple[Problem, ...] = ()

    def section(self, name: str) -> Section | None:
        """The first section whose written title, schema name or covered name is `name`.

        Names compare as headings do (case, punctuation, `&` for `/`, plurals), so
        `section("signals & detection")` finds a "Signals / Detection" section.
        """
        wanted = split_heading(name)
        if not wanted:
            return None
        for section in self.sections:
            names = (section.title, *section.covers)
            if any(split_heading(n) == wanted for n in names):
                return section
        return None
