"""The blob store on its own: content addressing, dedupe, never overwriting, re-checked reads,
and telling text from binary."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from fireline.errors import IntegrityError, InvalidCommandError, NotFoundError
from fireline.evidence import BinaryContentError, BlobStore, binary_reason, guarded_text, sniff

LOG = b"2026-11-23T14:02:11Z api-1 GET /search 500 12ms\n" * 1000


def blob_files(store: BlobStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


def test_add_stream_stores_the_bytes_under_their_sharded_digest(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    info = store.add_stream(io.BytesIO(LOG))
    digest = hashlib.sha256(LOG).hexdigest()
    assert (info.sha256, info.size) == (digest, len(LOG))
    assert store.path(digest) == tmp_path / "blobs" / digest[:2] / digest[2:4] / digest
    assert store.path(digest).read_bytes() == LOG
    assert blob_files(store) == [store.path(digest)]  # nothing left in staging
    assert store.path(digest).stat().st_mode & 0o222 == 0  # written once, read-only


def test_the_same_content_is_stored_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.add_stream(io.BytesIO(LOG))
    second = store.add_stream(io.BytesIO(LOG))
    assert first == second
    assert len(blob_files(store)) == 1


def test_an_existing_blob_is_never_overwritten(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    info = store.add_stream(io.BytesIO(LOG))
    path = store.path(info.sha256)
    before = path.stat()
    path.chmod(0o644)
    path.write_bytes(b"changed behind fireline's back\n")
    store.add_stream(io.BytesIO(LOG))  # the same content again: the name is taken, kept as is
    assert path.read_bytes() == b"changed behind fireline's back\n"
    assert path.stat().st_ino == before.st_ino
    with pytest.raises(IntegrityError):
        store.open(info.sha256)


def test_open_rechecks_the_digest_and_refuses_a_tampered_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    info = store.add_stream(io.BytesIO(LOG))
    with store.open(info.sha256) as handle:
        assert handle.read() == LOG
    path = store.path(info.sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as refused:
        store.open(info.sha256)
    message = refused.value.message
    assert info.sha256 in message
    assert "changed outside fireline" in message
    assert "\n" not in message
    sink = io.BytesIO()
    with pytest.raises(IntegrityError):
        store.copy_to(info.sha256, sink)
    assert sink.getvalue() == b""  # not a byte handed out


def test_a_missing_blob_is_not_found_and_a_malformed_digest_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(NotFoundError, match="missing"):
        store.open("0" * 64)
    with pytest.raises(InvalidCommandError, match="malformed digest"):
        store.path("../../etc/passwd")


def test_a_failing_filter_leaves_nothing_behind(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)

    def explode(src: io.BufferedIOBase, dst: io.BufferedIOBase) -> None:
        dst.write(src.read(10))
        raise RuntimeError("redactor failed")

    with pytest.raises(RuntimeError):
        store.stage(io.BytesIO(LOG), filter=explode)  # type: ignore[arg-type]
    assert blob_files(store) == []


def test_a_staged_file_that_is_discarded_never_becomes_a_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with store.staging(io.BytesIO(LOG)) as staged:
        assert staged.path.exists()
    assert blob_files(store) == []
    assert not store.exists(staged.sha256)
    with pytest.raises(InvalidCommandError, match="no staged evidence file"):
        store.staged(staged.token)


def test_text_and_binary_are_told_apart() -> None:
    assert binary_reason(LOG[:8192]) is None
    assert binary_reason("Zürich ✓\n".encode()[:-3]) is None  # a character cut at the edge
    assert binary_reason(b"\x89PNG\r\n\x1a\n\x00\x00") == "a NUL byte at byte 8"
    assert binary_reason(b"caf\xe9 latin-1\n") == "bytes that are not UTF-8 at byte 3"
    late = LOG + b"\x00binary tail"
    reader = guarded_text(late[:8192], io.BytesIO(late[8192:]))
    with pytest.raises(BinaryContentError) as caught:
        reader.read()
    assert caught.value.offset == len(LOG)


@pytest.mark.parametrize(
    ("name", "head", "text", "expected"),
    [
        ("api.log", b"GET /\n", True, "text/plain"),
        ("q.sql", b"select 1;\n", True, "application/sql"),
        ("fix.diff", b"--- a\n+++ b\n", True, "text/x-diff"),
        ("shot.png", b"\x89PNG\r\n\x1a\n\x00", False, "image/png"),
        ("shot.txt", b"\x89PNG\r\n\x1a\n\x00", False, "image/png"),  # content wins
        ("report", b"%PDF-1.7\n\x00", False, "application/pdf"),
        ("dump.bin", b"\x00\x01\x02", False, "application/octet-stream"),
        ("notes.png", b"plain words\n", True, "text/plain"),  # a text file misnamed .png
        (None, b"{}\n", True, "text/plain"),
    ],
)
def test_sniff_names_the_media_type(
    name: str | None, head: bytes, text: bool, expected: str
) -> None:
    assert sniff(name, head, text=text) == expected


def test_staging_files_left_by_a_dead_process_are_swept(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    store.staging_dir.mkdir(parents=True)
    stale = store.staging_dir / "dead.part"
    fresh = store.staging_dir / "busy.part"
    stale.write_bytes(b"half a log")
    fresh.write_bytes(b"still being written")
    os.utime(stale, (0, 0))
    store.add_stream(io.BytesIO(LOG))
    assert not stale.exists()
    assert fresh.exists()
    assert store.sweep_staging() == 0
