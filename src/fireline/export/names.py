"""Canonical names of an export's files: one spelling per file, so the file verify checks is
the file `unzip`, a file manager or another operating system shows under that name.

fireline writes only names of `[A-Za-z0-9._-]` parts; anything another tool could read as a
different path (or as the same path as another entry) is refused. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# C0 and C1 controls (NUL included) and DEL: invisible in listings, truncating in C tools.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def name_problem(name: str) -> str | None:
    """Why `name` (a `/`-separated path, no trailing `/`) is not canonical; None if it is."""
    if _CONTROL.search(name):
        return "holds a control character"
    if "\\" in name:
        return "holds a backslash (a separator elsewhere)"
    if name.startswith("/"):
        return "is an absolute path"
    if ":" in name:
        return "holds a ':' (a drive or stream name elsewhere)"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' part"
    if any(part != part.rstrip(". ") for part in parts):
        return "has a part ending in a dot or a space (dropped elsewhere)"
    return None


def fold(name: str) -> str:
    """The name as a case-insensitive, Unicode-normalising file system sees it."""
    return unicodedata.normalize("NFKC", name).casefold()


def first_clash(entries: Iterable[tuple[str, bool]]) -> tuple[str, str] | None:
    """The first entry naming a path another entry already names, and why; else None.

    `entries` are (name without trailing `/`, is a folder). Two entries clash when they are
    the same name, the same name once folded (case, Unicode), or when a file stands where
    another entry needs a folder.
    """
    seen: dict[str, tuple[str, bool]] = {}
    for name, is_folder in entries:
        key = fold(name)
        if key in seen:
            other, other_is_folder = seen[key]
            if other != name:
                return name, f"names the same path as {other!r}"
            return name, "appears twice" if other_is_folder == is_folder else (
                "is both a file and a folder"
            )
        seen[key] = (name, is_folder)
    for key, (name, _is_folder) in seen.items():
        parts = key.split("/")
        for depth in range(1, len(parts)):
            above = seen.get("/".join(parts[:depth]))
            if above is not None and not above[1]:
                return name, f"lies inside {above[0]!r}, which is a file"
    return None
