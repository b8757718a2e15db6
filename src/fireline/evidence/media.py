"""What kind of bytes an evidence file holds: text fireline can scan, or binary it cannot.

`binary_reason` judges a file by its first bytes (a NUL byte, or bytes that are not UTF-8), the
way git and grep do; `TextGuard` keeps checking the rest while the redactor reads it, so a
file that turns binary later is caught before any of it is stored as "scanned". `sniff`
names the media type from the content first and the file name second, with a fixed table
(not the machine's /etc/mime.types), so the same file gets the same type everywhere.
"""

from __future__ import annotations

import codecs
import io
import mimetypes
from typing import BinaryIO

# The built-in table only (MimeTypes() without files), plus the types incident evidence uses.
_TYPES = mimetypes.MimeTypes(filenames=())
for _ext, _type in {
    ".log": "text/plain",
    ".out": "text/plain",
    ".diff": "text/x-diff",
    ".patch": "text/x-diff",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
    ".sql": "application/sql",
    ".jsonl": "application/jsonl",
    ".ndjson": "application/jsonl",
    ".har": "application/json",
}.items():
    _TYPES.add_type(_type, _ext)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (b"\x28\xb5\x2f\xfd", "application/zstd"),
)
# Types that are text even though they are not text/*.
_TEXTUAL = frozenset(
    {
        "application/json",
        "application/jsonl",
        "application/xml",
        "application/yaml",
        "application/toml",
        "application/sql",
        "application/javascript",
        "application/x-sh",
        "image/svg+xml",
    }
)


class BinaryContentError(Exception):
    """Raised mid-stream by TextGuard: the bytes at `offset` are not scannable text."""

    def __init__(self, offset: int, why: str) -> None:
        super().__init__(f"{why} at byte {offset}")
        self.offset = offset
        self.why = why


def binary_reason(head: bytes) -> str | None:
    """Why these first bytes are not scannable text (a NUL byte, bytes that are not UTF-8), or
    None if they are text; a character cut off at the end is fine."""
    nul = head.find(b"\x00")
    if nul >= 0:
        return f"a NUL byte at byte {nul}"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        return f"bytes that are not UTF-8 at byte {exc.start}"
    return None


def sniff(name: str | None, head: bytes, *, text: bool) -> str:
    """The media type: a known binary signature wins, then the name's type if it fits the
    content (a text type for text, a non-text type for binary), then text/plain or
    application/octet-stream."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    guessed = _TYPES.guess_type(name, strict=False)[0] if name else None
    if guessed is not None and (guessed.startswith("text/") or guessed in _TEXTUAL) == text:
        return guessed
    return "text/plain" if text else "application/octet-stream"


class Prefixed(io.RawIOBase):
    """`head` (already read from `rest` to sniff it) followed by the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class TextGuard(io.RawIOBase):
    """A reader that passes bytes through and raises BinaryContentError at the first NUL byte
    or invalid UTF-8 sequence, so text is proven text all the way to the end."""

    def __init__(self, source: io.RawIOBase) -> None:
        self._source = source
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._source.readinto(buffer) or 0
        chunk = bytes(buffer[:n])
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise BinaryContentError(self.offset + nul, "a NUL byte")
        try:
            self._decoder.decode(chunk, final=n == 0)
        except UnicodeDecodeError as exc:
            offset = self.offset + max(exc.start, 0)
            raise BinaryContentError(offset, "bytes that are not UTF-8") from None
        self.offset += n
        return n


def guarded_text(head: bytes, rest: BinaryIO, *, buffer_size: int = 1024 * 1024) -> BinaryIO:
    """A buffered reader over `head` + `rest` that refuses non-text bytes as it reads them."""
    return io.BufferedReader(TextGuard(Prefixed(head, rest)), buffer_size)
