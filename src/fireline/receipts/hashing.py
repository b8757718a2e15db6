"""Hash the artifacts a manifest lists, under `--root` and never outside it.

Run where the artifacts are (the CLI, local or client mode), before any write: a path that
resolves outside the root (through `..` or a symbolic link) is refused, the whole check with
it; a file that is not there is reported missing; anything but a regular file is refused.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from fireline.errors import InvalidCommandError

CHUNK = 1024 * 1024


def hash_under(root: Path, paths: list[str]) -> tuple[dict[str, str], list[str]]:
    """({path: sha256} of the files found, [paths missing]) for manifest paths under root."""
    try:
        base = root.resolve(strict=True)
    except OSError:
        raise InvalidCommandError(f"--root {root} is not a folder") from None
    if not base.is_dir():
        raise InvalidCommandError(f"--root {root} is not a folder")
    found: dict[str, str] = {}
    missing: list[str] = []
    for path in paths:
        target = (base / path).resolve()
        if not target.is_relative_to(base):
            raise InvalidCommandError(f"{path!r} resolves outside --root {root}")
        if not target.exists():
            missing.append(path)
            continue
        if not target.is_file():
            raise InvalidCommandError(f"{path!r} under --root is not a regular file")
        found[path] = _sha256(target)
    return found, missing


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
