"""Finding the runbook file `runbook attach` names, and the git commit it is at.

File-system and `git` reads only, done by the adapter before the command is built, so the
service records bytes it was handed and never touches the disk inside its transaction.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fireline.errors import InvalidCommandError, NotFoundError

_FRONT_MATTER_ID = re.compile(r"^id:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)


@dataclass(frozen=True)
class Source:
    """A runbook file as read: the path to record, its bytes, and its clean git commit if any."""

    path: str
    content: bytes
    git_commit: str | None


def locate(ref: str, *, runbook_dir: Path) -> Path:
    """The runbook file `ref` names: a path to a file, or an id looked up in `runbook_dir`.

    An id is `<id>.md` anywhere under the folder, else the one file whose front matter says
    `id: <id>`. NotFoundError when nothing (or more than one file) matches.
    """
    given = Path(ref).expanduser()
    if given.is_file():
        return given
    if given.suffix == ".md" or "/" in ref:
        raise NotFoundError(f"no runbook file {ref}")
    if not runbook_dir.is_dir():
        raise NotFoundError(
            f"no runbook {ref!r}: the runbook folder {runbook_dir} does not exist "
            "(set runbook_dir, or give a path)"
        )
    named = sorted(p for p in runbook_dir.rglob(f"{ref}.md") if p.is_file())
    if len(named) == 1:
        return named[0]
    if not named:
        named = [p for p in sorted(runbook_dir.rglob("*.md")) if _front_matter_id(p) == ref]
    if len(named) == 1:
        return named[0]
    if not named:
        raise NotFoundError(f"no runbook {ref!r} in {runbook_dir}")
    raise InvalidCommandError(
        f"runbook id {ref!r} matches {len(named)} files in {runbook_dir} "
        f"({', '.join(str(p) for p in named[:3])}); give the path"
    )


def _front_matter_id(path: Path) -> str | None:
    try:
        head = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    except OSError:
        return None
    if not head.startswith("---"):
        return None
    front = head.split("\n---", 1)[0]
    match = _FRONT_MATTER_ID.search(front)
    return None if match is None else match.group(1)


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
