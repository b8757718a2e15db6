"""Which files in a folder are runbooks: one answer for lint, the index and attach."""

from __future__ import annotations

from pathlib import Path

# Files a runbook folder commonly holds that are not runbooks.
NOT_RUNBOOKS = frozenset({"readme.md", "index.md", "license.md", "changelog.md", "contributing.md"})


def is_runbook_file(path: Path, root: Path) -> bool:
    """A `*.md` file under `root`, not hidden (`.`/`_` in its path) and not a README-like file."""
    parts = path.relative_to(root).parts
    if any(part.startswith((".", "_")) for part in parts):
        return False
    return path.name.lower() not in NOT_RUNBOOKS and path.is_file()


def runbook_files(folder: Path) -> list[Path]:
    """The runbook files under `folder`, searched recursively, sorted."""
    return sorted(p for p in folder.rglob("*.md") if is_runbook_file(p, folder))
