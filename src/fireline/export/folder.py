"""Reading an export folder without following anything out of it.

Every entry under the export is looked at without following links (`lstat`), through folder
descriptors opened with O_NOFOLLOW, so a symlink, a device, a FIFO or a socket anywhere in the
tree — or a folder swapped for a link while verify runs — is refused, never read through.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from fireline.errors import IntegrityError, InvalidCommandError
from fireline.export import names
from fireline.export.limits import Limits, size_text

CHUNK = 256 * 1024
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # a FIFO must not block the open
_KINDS = (
    (stat.S_ISLNK, "a symlink; verify follows no links"),
    (stat.S_ISFIFO, "a FIFO; verify reads only regular files"),
    (stat.S_ISSOCK, "a socket; verify reads only regular files"),
    (stat.S_ISCHR, "a character device; verify reads only regular files"),
    (stat.S_ISBLK, "a block device; verify reads only regular files"),
)


def list_files(root_fd: int, *, label: str, limits: Limits) -> dict[str, int]:
    """Every regular file under the folder `root_fd`, by relative path, with its size.

    InvalidCommandError (one line naming the path) for anything that is neither a regular file
    nor a folder, a non-canonical or clashing name, or sizes over `limits`.
    """
    files: dict[str, int] = {}
    seen: list[tuple[str, bool]] = []
    total = 0
    pending = [""]
    while pending:
        folder = pending.pop()
        with _opened(root_fd, folder, label=label) as fd, os.scandir(fd) as entries:
            for entry in entries:
                path = f"{folder}{entry.name}"
                where = f"{label}: {path!r}"
                problem = names.name_problem(path)
                if problem is not None:
                    raise InvalidCommandError(f"{where} {problem}")
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    pending.append(f"{path}/")
                elif stat.S_ISREG(mode):
                    size = entry.stat(follow_symlinks=False).st_size
                    if size > limits.max_file_bytes:
                        raise InvalidCommandError(
                            f"{where} is {size_text(size)}, "
                            f"over the {size_text(limits.max_file_bytes)} limit for one file"
                        )
                    files[path] = size
                    total += size
                else:
                    raise InvalidCommandError(f"{where} is {_kind(mode)}")
                seen.append((path, stat.S_ISDIR(mode)))
                if len(seen) > limits.max_entries:
                    raise InvalidCommandError(
                        f"{label} holds over {limits.max_entries} files and folders, the limit"
                    )
    if total > limits.max_total_bytes:
        raise InvalidCommandError(
            f"{label} holds {size_text(total)} in all, "
            f"over the {size_text(limits.max_total_bytes)} limit of an export"
        )
    clash = names.first_clash(seen)
    if clash is not None:
        raise InvalidCommandError(f"{label}: {clash[0]!r} {clash[1]}")
    return files


def stream(root_fd: int, path: str, size: int, *, label: str) -> Iterator[bytes]:
    """The file's bytes in chunks, refused unless it is still the regular file of `size` bytes
    that was listed."""
    where = f"{label}: {path!r}"
    folder, _, name = path.rpartition("/")
    with _opened(root_fd, f"{folder}/" if folder else "", label=label) as parent:
        try:
            fd = os.open(name, _FILE, dir_fd=parent)
        except OSError as exc:
            raise InvalidCommandError(f"{where} cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InvalidCommandError(f"{where} is {_kind(mode)}")
        produced = 0
        while piece := handle.read(CHUNK):
            produced += len(piece)
            if produced > size:
                break
            yield piece
    if produced != size:
        raise IntegrityError(f"{where} changed size while it was being verified")


@contextmanager
def _opened(root_fd: int, folder: str, *, label: str) -> Iterator[int]:
    """A descriptor of `folder` (relative, ending in `/`, or empty for the root), opened one
    part at a time without following a link."""
    fd = os.dup(root_fd)
    try:
        for part in folder.split("/")[:-1]:
            try:
                inner = os.open(part, _FOLDER, dir_fd=fd)
            except OSError as exc:
                raise InvalidCommandError(
                    f"{label}: {folder.rstrip('/')!r} cannot be opened as a folder "
                    f"({exc.strerror}); verify follows no links"
                ) from None
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, text in _KINDS:
        if test(mode):
            return text
    return f"not a regular file (mode {stat.S_IFMT(mode):#o})"
