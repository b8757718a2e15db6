"""Finding the runbook file `runbook attach` names, and the git commit it is at.

File-system, `git` and runbook-index reads only, done by the adapter before the command is
built, so the service records bytes it was handed and never touches the disk in its transaction.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fireline.errors import InvalidCommandError, NotFoundError
from fireline.runbooks.files import runbook_files

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Source:
    """A runbook file as read: the path to record, its bytes, and its clean git commit if any."""

    path: str
    content: bytes
    git_commit: str | None


def indexed_paths(conn: Connection, runbook_id: str) -> list[Path]:
    """Files the runbook index (`fireline runbook index DIR`) lists under this id."""
    import sqlalchemy as sa  # here, not at import: client mode locates runbooks without a store

    from fireline.db import runbook_index

    rows = conn.execute(
        sa.select(runbook_index.c.folder, runbook_index.c.path)
        .where(runbook_index.c.runbook_id == runbook_id)
        .order_by(runbook_index.c.path)
    )
    return [Path(folder) / path for folder, path in rows]


def locate(ref: str, *, runbook_dir: Path, indexed: Sequence[Path] = ()) -> Path:
    """The runbook file `ref` names: a path to a file, or an id.

    An id is looked up in `runbook_dir` (`<id>.md` anywhere under the folder, else the one file
    whose front matter says `id: <id>`), then among the `indexed` files the runbook index lists
    for it that still exist. NotFoundError when nothing matches; InvalidCommandError when
    several files do, or when the system cannot look the name up at all (too long, say).
    """
    try:
        return _locate(ref, runbook_dir=runbook_dir, indexed=indexed)
    except OSError as exc:
        shown = ref if len(ref) <= 80 else ref[:80] + "…"
        raise InvalidCommandError(
            f"cannot look up runbook {shown!r}: {exc.strerror or exc}"
        ) from None


def _locate(ref: str, *, runbook_dir: Path, indexed: Sequence[Path]) -> Path:
    given = Path(ref).expanduser()
    if given.is_file():
        return given
    if given.suffix == ".md" or "/" in ref:
        raise NotFoundError(f"no runbook file {ref}")
    known = [path for path in indexed if path.is_file()]
    if not runbook_dir.is_dir():
        if len(known) == 1:
            return known[0]
        raise NotFoundError(
            f"no runbook {ref!r}: the runbook folder {runbook_dir} does not exist and the "
            "runbook index does not list it (set runbook_dir, or give a path)"
        )
    named = sorted(p for p in runbook_dir.rglob(f"{ref}.md") if p.is_file())
    if len(named) == 1:
        return named[0]
    if not named:
        named = [p for p in runbook_files(runbook_dir) if _front_matter_id(p) == ref]
    if len(named) == 1:
        return named[0]
    if not named and len(known) == 1:
        return known[0]
    named = named or known
    if not named:
        raise NotFoundError(f"no runbook {ref!r} in {runbook_dir} or the runbook index")
    raise InvalidCommandError(
        f"runbook id {ref!r} matches {len(named)} files in {runbook_dir} "
        f"({', '.join(str(p) for p in named[:3])}); give the path"
    )


def _front_matter_id(path: Path) -> str | None:
    """The `id` in a file's front matter, read the way the runbook parser reads it."""
    from fireline.runbooks.frontmatter import as_str, split

    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return None
    front, _present, _body, _problems = split(head.split("\n"))
    return as_str(front.get("id"))


def read_source(path: Path, *, runbook_dir: Path) -> Source:
    """Read the file; record its path relative to the runbook folder when it lies inside it."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidCommandError(f"cannot read runbook {path}: {exc.strerror or exc}") from None
    resolved = path.resolve()
    try:
        shown = resolved.relative_to(runbook_dir.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    return Source(shown, content, clean_commit(resolved))


def clean_commit(path: Path) -> str | None:
    """HEAD's commit when `path` is tracked in a git work tree and unchanged from HEAD.

    None when git is not installed, the file is outside a work tree, untracked or modified:
    the commit is optional provenance, the content digests are always recorded.
    """
    git = shutil.which("git")
    if git is None:
        return None

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [git, "-C", str(path.parent), *args],
            capture_output=True,
            text=True,
            check=False,
        )

    tracked = run("ls-files", "--error-unmatch", "--", path.name)
    if tracked.returncode != 0:
        return None
    status = run("status", "--porcelain", "--", path.name)
    head = run("rev-parse", "--verify", "HEAD")
    if status.returncode != 0 or status.stdout.strip() or head.returncode != 0:
        return None
    return head.stdout.strip()
