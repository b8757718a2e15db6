"""Where evidence bytes come from, read so that what is stored is what the file held.

`open_regular` accepts only a regular file named directly — no symbolic link, named pipe,
device, socket or folder — opened without following a link and without blocking, so a path
can never make fireline wait forever or store one file under another's name.
`RegularFile.check_unchanged` then refuses a file that grew, shrank, was modified or replaced
while it was read. `Bounded` caps any source, standard input included, while it streams.
Reads only: nothing here writes a byte or knows about incidents.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from fireline.domain import format_byte_size
from fireline.errors import InvalidCommandError

LIMIT_KEY = "evidence_max_size"
"""The setting that raises the limit: named in every refusal, so the way out is in the line."""

_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


def too_large(label: str, *, limit: int) -> InvalidCommandError:
    """The one refusal for a source over the limit, whether found by stat or while reading."""
    return InvalidCommandError(
        f"{label} is larger than the evidence size limit of {format_byte_size(limit)}; "
        f"raise {LIMIT_KEY} (fireline.toml, or FIRELINE_{LIMIT_KEY.upper()}) to accept more"
    )


class Bounded(io.RawIOBase):
    """A reader that raises `too_large` once more than `limit` bytes were read from `source`.

    Counting while streaming (not trusting a size given up front) is what bounds standard
    input, a file that grows while it is read, and anything else whose end is not known.
    """

    def __init__(self, source: BinaryIO, *, limit: int, label: str) -> None:
        self._source = source
        self._limit = limit
        self._label = label
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._source.readinto(buffer)  # type: ignore[attr-defined]
        self._position += n
        if self._position > self._limit:
            raise too_large(self._label, limit=self._limit)
        return int(n)

    def seekable(self) -> bool:
        return self._source.seekable()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._position = self._source.seek(offset, whence)
        return self._position

    def tell(self) -> int:
        return self._position


def bounded(source: BinaryIO, *, limit: int, label: str) -> BinaryIO:
    """`source` buffered behind a `Bounded` reader: refuses its byte number `limit + 1`."""
    return io.BufferedReader(Bounded(source, limit=limit, label=label))


class RegularFile(io.RawIOBase):
    """A regular file opened by `open_regular`: refuses to read past the size it had when
    opened, and proves afterwards (`check_unchanged`) that it did not change meanwhile."""

    def __init__(self, path: str, descriptor: int, opened: os.stat_result) -> None:
        self.path = path
        self._file = io.FileIO(descriptor, "rb", closefd=True)
        self._opened = opened
        self._position = 0
        self._at_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._file.readinto(buffer) or 0
        self._position += n
        self._at_end = n == 0
        if self._position > self._opened.st_size:
            # A log still being written would otherwise be read until the size limit.
            raise self._grew()
        return n

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._position = self._file.seek(offset, whence)
        self._at_end = False
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._file.close()
        super().close()

    def check_unchanged(self) -> None:
        """Refuse unless the file was read to its end and still is what was opened: the same
        size, modification and change times, and the same inode and device under its name.

        Call it after the last read: a file truncated, rewritten or rotated mid-read would
        otherwise be stored as if it were whole.
        """
        if not self._at_end:
            self.read(1)  # a reader may stop at exactly the known size; this finds the end
        if self._position != self._opened.st_size:
            raise self._changed(
                f"it shrank: {self._position:,} of the {self._opened.st_size:,} bytes it had "
                "could be read"
            )
        # The name first: a rename or removal also moves the change time of what was read.
        try:
            named = os.stat(self.path, follow_symlinks=False)
        except OSError:
            raise self._changed("it was removed or renamed") from None
        if (named.st_dev, named.st_ino) != (self._opened.st_dev, self._opened.st_ino):
            raise self._changed("its name now points at another file")
        if _content_stamp(os.fstat(self._file.fileno())) != _content_stamp(self._opened):
            raise self._changed("its size, modification or change time moved")

    def _grew(self) -> InvalidCommandError:
        return self._changed(f"it grew past the {self._opened.st_size:,} bytes it had")

    def _changed(self, why: str) -> InvalidCommandError:
        return InvalidCommandError(
            f"{self.path} changed while it was read ({why}); nothing was stored — "
            "add a copy that is no longer being written"
        )


def _content_stamp(info: os.stat_result) -> tuple[int, int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@contextmanager
def open_regular(path: str, *, limit: int) -> Iterator[RegularFile]:
    """Open `path` for evidence intake; one clear InvalidCommandError if it cannot be.

    Refused: a symbolic link (fireline records a file under its own name, so it never follows
    one — the file it points to can be added by its own path), anything that is not a regular
    file (a named pipe or device could block or never end; use `-` to read standard input on
    purpose), and a file already larger than `limit`. The file is opened with O_NOFOLLOW and
    O_NONBLOCK, and must be the very file that was inspected, so a swap in between is caught.
    """
    try:
        seen = os.lstat(path)
    except OSError as exc:
        raise InvalidCommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    _require_regular(path, seen)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise InvalidCommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        opened = os.fstat(descriptor)
        if (opened.st_dev, opened.st_ino) != (seen.st_dev, seen.st_ino):
            raise InvalidCommandError(f"{path} was replaced while it was being opened")
        _require_regular(path, opened)
        os.set_blocking(descriptor, True)
        if opened.st_size > limit:
            raise too_large(path, limit=limit)
        reader = RegularFile(path, descriptor, opened)
    except BaseException:
        os.close(descriptor)
        raise
    with reader:
        yield reader


def _require_regular(path: str, info: os.stat_result) -> None:
    if stat.S_ISLNK(info.st_mode):
        try:
            target = f" (to {os.readlink(path)})"
        except OSError:
            target = ""
        raise InvalidCommandError(
            f"{path} is a symbolic link{target}; fireline does not follow links, "
            "so give the path of the file itself"
        )
    if stat.S_ISREG(info.st_mode):
        return
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "special file")
    raise InvalidCommandError(
        f"{path} is a {kind}, not a regular file; give a regular file, or - to read standard input"
    )
