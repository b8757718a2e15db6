"""A runbook's text as passages: the preamble and every heading's text, at any level. Pure.

Indexing reads the whole body this way, not the `##` sections the runbook format (and
`runbook lint`) is built on: a library written with only `#`/`###` headings, or none, or with
its summary before the first heading, is still all text to match. Fenced code is kept as text
(commands name the components they act on) but a `#` inside a fence is not a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Passage:
    """Text under one heading (up to the next heading of any level); level 0 is the preamble."""

    level: int
    heading: str
    text: str


def split_passages(body: str) -> list[Passage]:
    """The passages of a Markdown body (front matter already removed), empty ones dropped."""
    found: list[Passage] = []
    level, heading, lines = 0, "", []
    fence = ""
    for line in body.replace("\r", "").split("\n"):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            lines.append(line)
            continue
        if opened:
            fence = opened.group(1)
            lines.append(line)
            continue
        match = _HEADING.match(line)
        if match:
            found.append(Passage(level, heading, "\n".join(lines).strip()))
            level, heading, lines = len(match.group(1)), match.group(2).strip(), []
            continue
        lines.append(line)
    found.append(Passage(level, heading, "\n".join(lines).strip()))
    return [p for p in found if p.text or (p.heading and p.level > 1)]
