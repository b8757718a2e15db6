"""The content-addressed blob store: evidence bytes on disk, named by their SHA-256.

Layout under the data dir: `blobs/ab/cd/<sha256>` (two levels of two hex digits, so no folder
grows past 65,536 entries) and `blobs/staging/` for files still being written. A blob is
written once and never changed: bytes are streamed into a staging file while being hashed,
fsynced, then hard-linked to their final name — `link` fails if the name exists, so an existing
blob is never overwritten, and identical content is stored once. Reading re-hashes the file
first, so a blob changed behind fireline's back is refused rather than handed out.

Why staging and a separate `place` step: the evidence event must only exist if its blob does,
and a refused command must leave no blob. The service stages the bytes before its transaction
(streaming a large file must not hold the write lock), places the blob after the events are
appended but before the commit, and discards the staging file in every case. A commit that
fails after placement leaves an unreferenced blob, which costs disk space but never integrity.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from fireline.errors import IntegrityError, InvalidCommandError, NotFoundError

CHUNK = 1024 * 1024
HEAD = 8192
STALE_STAGING_SECONDS = 24 * 3600
_DIGEST = re.compile(r"[0-9a-f]{64}")

Filter = Callable[[BinaryIO, BinaryIO], Any]
"""Copies `src` to `dst` transformed (the redactor's stream API); its return value is kept."""


def is_digest(text: str) -> bool:
    """A SHA-256 hex digest as blob names use it: 64 lowercase hex digits."""
    return _DIGEST.fullmatch(text) is not None


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: its digest and size in bytes."""

    sha256: str
    size: int


@dataclass
class Staged:
    """Bytes written to the staging area, hashed and fsynced, not yet a blob."""

    token: str
    path: Path
    sha256: str
    size: int
    head: bytes
    """The first bytes as stored (for sniffing the media type)."""
    result: Any = None
    """What the filter returned (the redaction summary), or None without a filter."""
    placed: bool = field(default=False)


class HashingWriter:
    """A write-only file that hashes and counts what passes through it (the stored bytes)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = bytes(data)
        self.digest.update(view)
        self.size += len(view)
        if len(self.head) < HEAD:
            self.head += view[: HEAD - len(self.head)]
        return self.target.write(view)

    def flush(self) -> None:
        self.target.flush()

    def writable(self) -> bool:
        return True


class BlobStore:
    """Blobs under `<home>/blobs`, written once, named by SHA-256, re-checked on every read."""

    def __init__(self, home: Path) -> None:
        self.root = home / "blobs"
        self.staging_dir = self.root / "staging"
        self._staged: dict[str, Staged] = {}

    def path(self, sha256: str) -> Path:
        """Where the blob with this digest lives (whether or not it exists)."""
        if not is_digest(sha256):
            raise InvalidCommandError(
                f"malformed digest {sha256!r}; expected 64 lowercase hex digits"
            )
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def stage(self, src: BinaryIO, *, filter: Filter | None = None) -> Staged:
        """Stream `src` (through `filter`, if given) into a staging file; hash and fsync it.

        Memory stays constant: bytes move in chunks of 1 MiB (or the filter's lines).
        """
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        self.sweep_staging()
        token = secrets.token_hex(16)
        path = self.staging_dir / f"{token}.part"
        try:
            with path.open("xb") as handle:
                writer = HashingWriter(handle)
                result = None
                if filter is None:
                    while chunk := src.read(CHUNK):
                        writer.write(chunk)
                else:
                    result = filter(src, writer)  # type: ignore[arg-type]
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        staged = Staged(token, path, writer.digest.hexdigest(), writer.size, writer.head, result)
        self._staged[token] = staged
        return staged

    def sweep_staging(self, *, older_than: float = STALE_STAGING_SECONDS) -> int:
        """Remove staging files left by a process that died mid-add; return how many.

        A file being written has a fresh mtime, so only ones untouched for a day go.
        """
        cutoff = time.time() - older_than
        removed = 0
        for leftover in self.staging_dir.glob("*.part"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # another process removed it first
        return removed

    def staged(self, token: str) -> Staged:
        """A file this store staged and has not yet placed or discarded."""
        staged = self._staged.get(token)
        if staged is None or staged.placed:
            raise InvalidCommandError(f"no staged evidence file {token!r}")
        return staged

    def place(self, staged: Staged) -> BlobInfo:
        """Make a staged file the blob for its digest; an existing blob is kept, never replaced.

        Durable on return: the link and its folder are fsynced.
        """
        target = self.path(staged.sha256)
        _make_dirs(target.parent)
        try:
            os.link(staged.path, target)
        except FileExistsError:
            pass  # the same content is already stored: deduplicated
        else:
            os.chmod(target, 0o444)
            _fsync_dir(target.parent)
        staged.placed = True
        self.discard(staged)
        return BlobInfo(staged.sha256, staged.size)

    def discard(self, staged: Staged) -> None:
        """Remove the staging file (placed or not); a blob already placed stays."""
        staged.path.unlink(missing_ok=True)
        self._staged.pop(staged.token, None)

    @contextmanager
    def staging(self, src: BinaryIO, *, filter: Filter | None = None) -> Iterator[Staged]:
        """`stage`, and discard the staging file when the block ends, whatever happened."""
        staged = self.stage(src, filter=filter)
        try:
            yield staged
        finally:
            self.discard(staged)

    def add_stream(self, src: BinaryIO) -> BlobInfo:
        """Store `src` as it is: stage, then place."""
        with self.staging(src) as staged:
            return self.place(staged)

    def check(self, sha256: str) -> BlobInfo:
        """Re-hash the stored blob; IntegrityError if it is gone or no longer matches."""
        with self.open(sha256) as handle:
            handle.seek(0, os.SEEK_END)
            return BlobInfo(sha256, handle.tell())

    def open(self, sha256: str) -> BinaryIO:
        """The blob's bytes, opened after its digest was re-checked from the first byte to the last.

        NotFoundError if it is missing (no blob was ever stored, or it was deleted behind
        fireline's back); IntegrityError if its content no longer matches its name.
        """
        path = self.path(sha256)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {sha256} is missing from {self.root}") from None
        try:
            actual = digest_of(handle)
            if actual != sha256:
                raise IntegrityError(
                    f"blob {sha256} no longer matches its digest (content now hashes to "
                    f"{actual[:12]}…); it was changed outside fireline"
                )
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
        return handle

    def copy_to(self, sha256: str, dst: BinaryIO) -> BlobInfo:
        """Write the blob to `dst` after re-checking it, hashing again on the way out.

        The second hash catches a change made between the check and the copy; by then some
        bytes are out, so the caller removes a partial output file.
        """
        with self.open(sha256) as handle:
            digest = hashlib.sha256()
            size = 0
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        if digest.hexdigest() != sha256:
            raise IntegrityError(f"blob {sha256} changed while it was being read")
        return BlobInfo(sha256, size)


def digest_of(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _make_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents, each new entry fsynced into its parent."""
    if folder.is_dir():
        return
    _make_dirs(folder.parent)
    try:
        folder.mkdir()
    except FileExistsError:
        return  # made by a concurrent writer
    _fsync_dir(folder.parent)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
