"""Incident checklists: a runbook's `- [ ]` items as fireline records them, and the built-ins.

A runbook's bytes become a `Checklist` (parsed by `fireline.runbooks`, digested by sha256 and
by its git blob id) that `runbook attach` records in one event. The stage checklists of the
seeds ship as Markdown beside this module and go through the same parser. No database here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from fireline.domain import BUILTIN_CHECKLISTS
from fireline.errors import InvalidCommandError, NotFoundError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
BUILTIN_PREFIX = "fireline/checklists/"


@dataclass(frozen=True)
class Item:
    """One checklist item; `number` (1-based, in file order) is its stable id in the incident."""

    number: int
    section: str
    text: str
    depth: int
    line: int


@dataclass(frozen=True)
class Checklist:
    """A runbook as attached: its id (the checklist's name), where it came from, its digests."""

    name: str
    title: str
    path: str
    builtin: bool
    sha256: str
    git_blob: str
    items: tuple[Item, ...]

    def payload(self, *, git_commit: str | None = None) -> dict[str, Any]:
        """The `runbook.attached` payload recording this checklist."""
        return {
            "checklist": self.name,
            "title": self.title,
            "path": self.path,
            "builtin": self.builtin,
            "sha256": self.sha256,
            "git_blob": self.git_blob,
            "git_commit": git_commit,
            "items": [
                {
                    "number": i.number,
                    "section": i.section,
                    "text": i.text,
                    "depth": i.depth,
                    "line": i.line,
                }
                for i in self.items
            ],
        }


def git_blob_id(content: bytes) -> str:
    """The id git gives these bytes (`git hash-object`): sha1 of "blob <len>\\0" + bytes."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def read_checklist(content: bytes, *, path: str, builtin: bool = False) -> Checklist:
    """Parse a runbook's bytes into the checklist an incident records.

    Raises InvalidCommandError when the bytes are not UTF-8, the parser refuses them
    (its RunbookError), or the runbook's id cannot name a checklist.
    """
    from fireline.runbooks import parse_runbook

    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidCommandError(
            f"runbook {path} is not UTF-8 (byte {exc.start}); nothing attached"
        ) from None
    runbook = parse_runbook(text, path=path)
    if runbook.problems:  # the parser never raises on content; what it could not read is here
        first = runbook.problems[0]
        raise InvalidCommandError(
            f"runbook {path} does not parse: line {first.line}: {first.message}; nothing attached"
        )
    name = (runbook.id or PurePosixPath(path).stem).strip()
    if not _NAME.fullmatch(name):
        raise InvalidCommandError(
            f"runbook {path} has id {name!r}; a checklist name is 1-128 letters, digits or . _ -"
        )
    if not builtin and name in BUILTIN_CHECKLISTS:
        raise InvalidCommandError(
            f"runbook {path} uses the id {name!r}, which names a built-in checklist; rename it"
        )
    empty = next((item.line for item in runbook.checklist if not item.text.strip()), None)
    if empty is not None:
        raise InvalidCommandError(
            f"runbook {path} line {empty}: a checklist item has no text; nothing attached"
        )
    items = tuple(
        Item(number, item.section, item.text, item.depth, item.line)
        for number, item in enumerate(runbook.checklist, 1)
    )
    return Checklist(
        name=name,
        title=(runbook.title or name).strip(),
        path=path,
        builtin=builtin,
        sha256=hashlib.sha256(content).hexdigest(),
        git_blob=git_blob_id(content),
        items=items,
    )


@cache
def builtin(name: str) -> Checklist:
    """A built-in stage checklist (package data), parsed once per process."""
    if name not in BUILTIN_CHECKLISTS:
        raise NotFoundError(
            f"no built-in checklist {name!r}; built-ins: {', '.join(BUILTIN_CHECKLISTS)}"
        )
    content = resources.files(__name__).joinpath(f"{name}.md").read_bytes()
    return read_checklist(content, path=f"{BUILTIN_PREFIX}{name}.md", builtin=True)


_NUMBER_DIGITS = 9  # no checklist comes near a billion items; longer digit runs are typos


def parse_item_selection(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Split an item selection `<checklist>:<spec>` into the checklist and its number ranges.

    The spec is comma-separated numbers and inclusive ranges: `mitigated:3`, `mitigated:1-4`,
    `mitigated:1,3,5-6`. Pure: whether the numbers exist is the incident's to say. Raises
    InvalidCommandError for anything else (a bare name, 0, a reversed range, an empty part).
    """
    name, sep, spec = text.strip().rpartition(":")
    ranges = [_number_range(part) for part in spec.split(",")] if sep else []
    if not (_NAME.fullmatch(name) and ranges and all(ranges)):
        raise InvalidCommandError(
            f"malformed checklist item {text!r}; expected CHECKLIST:N, CHECKLIST:N-M or "
            "CHECKLIST:N,M like mitigated:1-4 (`fireline checklist INC` lists them)"
        )
    return name, tuple(r for r in ranges if r is not None)


def _number_range(part: str) -> tuple[int, int] | None:
    low, dash, high = part.partition("-")
    if not dash:
        high = low
    if not all(_is_number(x) for x in (low, high)) or int(low) > int(high):
        return None
    return int(low), int(high)


def _is_number(text: str) -> bool:
    digits = text.isascii() and text.isdigit() and len(text) <= _NUMBER_DIGITS
    return digits and int(text) >= 1


def is_checklist_name(text: str) -> bool:
    """Whether `text` can name a checklist (a runbook id or a built-in's name)."""
    return _NAME.fullmatch(text) is not None
