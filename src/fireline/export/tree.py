"""The files of an export, from a folder or a zip, read as streams within `Limits`.

What `fireline verify` knows of an export: the relative path and size of every file, and a way
to hash or read each one without holding more than a chunk (or, for the few files verify must
hold whole, more than `Limits.max_document_bytes`). Hostile input — links, special files,
non-canonical or clashing names, zip bombs, lying headers — is refused in `folder` and
`zipread` before it is read.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from fireline.errors import InvalidCommandError, NotFoundError
from fireline.export import folder, zipread
from fireline.export.limits import DEFAULT_LIMITS, Limits, size_text

_ROOT = re.compile(r"INC-\d{8}-\d{3,6}")


class Tree:
    """An export's files by path relative to its root (`files`: path → size in bytes)."""

    def __init__(self, name: str, files: dict[str, int], *, label: str) -> None:
        self.name = name
        self.files = files
        self.label = label
        self._digests: dict[str, str] = {}

    def chunks(self, path: str) -> Iterator[bytes]:
        """The file's bytes, in bounded chunks, checked against its declared size as read."""
        raise NotImplementedError

    def read(self, path: str, *, limit: int) -> bytes:
        """The whole file; InvalidCommandError if it is larger than `limit` bytes."""
        size = self.files[path]
        if size > limit:
            raise InvalidCommandError(
                f"{self.label}: {path!r} is {size_text(size)}, "
                f"over the {size_text(limit)} verify reads whole"
            )
        return b"".join(self.chunks(path))

    def digest(self, path: str) -> str:
        """The file's SHA-256 (hex), hashed once however often it is asked for."""
        if path not in self._digests:
            hasher = hashlib.sha256()
            for piece in self.chunks(path):
                hasher.update(piece)
            self._digests[path] = hasher.hexdigest()
        return self._digests[path]


class _FolderTree(Tree):
    def __init__(self, name: str, root_fd: int, *, label: str, limits: Limits) -> None:
        super().__init__(name, folder.list_files(root_fd, label=label, limits=limits), label=label)
        self._root_fd = root_fd

    def chunks(self, path: str) -> Iterator[bytes]:
        return folder.stream(self._root_fd, path, self.files[path], label=self.label)


class _ZipTree(Tree):
    def __init__(self, handle: BinaryIO, *, label: str, limits: Limits) -> None:
        members = zipread.read_directory(handle, label=label, limits=limits)
        root = _zip_root([m.name.rstrip("/") for m in members], label=label)
        self._members = {
            m.name[len(root) + 1 :]: m
            for m in members
            if not m.name.endswith("/") and m.name != root
        }
        super().__init__(root, {path: m.size for path, m in self._members.items()}, label=label)
        self._handle = handle

    def chunks(self, path: str) -> Iterator[bytes]:
        return zipread.stream(self._handle, self._members[path], label=self.label)


@contextmanager
def open_tree(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> Iterator[Tree]:
    """An export folder (INC-…/, or the folder holding one) or zip, vetted.

    NotFoundError if nothing is there; InvalidCommandError (one line naming the entry) if it is
    not an export or holds anything verify refuses to read.
    """
    if path.is_dir():
        if not _ROOT.fullmatch(path.name):
            path = _only_export_in(path)
        root_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            yield _FolderTree(path.name, root_fd, label=str(path), limits=limits)
        finally:
            os.close(root_fd)
        return
    if not path.exists():
        raise NotFoundError(f"no export at {path}")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InvalidCommandError(f"{path} cannot be read ({exc.strerror})") from None
    with handle:
        yield _ZipTree(handle, label=str(path), limits=limits)


def _zip_root(names: list[str], *, label: str) -> str:
    roots = {name.split("/")[0] for name in names}
    if len(roots) != 1 or not _ROOT.fullmatch(next(iter(roots))):
        raise InvalidCommandError(f"{label} is not a fireline export (no single INC-… folder)")
    return next(iter(roots))


def _only_export_in(folder_path: Path) -> Path:
    """The `--out` folder of `fireline export`: the one INC-… export it holds."""
    inside = [p for p in folder_path.iterdir() if p.is_dir() and _ROOT.fullmatch(p.name)]
    if len(inside) != 1:
        raise InvalidCommandError(
            f"{folder_path} is not a fireline export "
            "(expected a folder INC-… or a folder holding one)"
        )
    if inside[0].is_symlink():
        raise InvalidCommandError(f"{inside[0]} is a symlink; verify follows no links")
    return inside[0]
