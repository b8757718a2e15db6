"""Which files in a folder are runbooks: one answer for lint, the index and attach."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# Files a runbook folder commonly holds that are not runbooks.
NOT_RUNBOOKS = frozenset({"readme.md", "index.md", "license.md", "changelog.md", "contributing.md"})


def is_runbook_file(path: Path, root: Path, *, folder_pages: Iterable[str] = ()) -> bool:
    """A `*.md` file under `root`, not hidden (`.`/`_` in its path) and not a README-like file.

    `folder_pages` (lower-case names such as `readme.md`) are runbooks after all when they sit
    in a subfolder: many libraries keep one runbook per service as `<service>/README.md`. The
    root's own README describes the library, so it never counts.
    """
    relative = path.relative_to(root)
    if any(part.startswith((".", "_")) for part in relative.parts):
        return False
    name = path.name.lower()
    if name in NOT_RUNBOOKS and not (len(relative.parts) > 1 and name in set(folder_pages)):
        return False
    return path.is_file()


def runbook_files(folder: Path, *, folder_pages: Iterable[str] = ()) -> list[Path]:
    """The runbook files under `folder`, searched recursively, sorted."""
    pages = frozenset(p.lower() for p in folder_pages)
    return sorted(p for p in folder.rglob("*.md") if is_runbook_file(p, folder, folder_pages=pages))
