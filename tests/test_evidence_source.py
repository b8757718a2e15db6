"""Where evidence comes from: only regular files named directly, bounded while they stream,
and refused when they change while read. Real files, links, FIFOs, sockets and devices."""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from fireline.errors import InvalidCommandError
from fireline.evidence import bounded, open_regular

LOG = b"2026-11-23T14:02:11Z api-1 GET /search 500 12ms\n" * 1000
LIMIT = 1 << 20


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "api.log"
    path.write_bytes(LOG)
    return path


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        yield path


def read_all(path: Path, *, limit: int = LIMIT) -> bytes:
    with open_regular(str(path), limit=limit) as regular:
        data = regular.read()
        regular.check_unchanged()
    assert isinstance(data, bytes)
    return data


def test_a_regular_file_is_read_whole_and_checked_unchanged(log: Path) -> None:
    assert read_all(log) == LOG


def test_an_empty_file_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "empty.log").write_bytes(b"")
    assert read_all(tmp_path / "empty.log") == b""


def test_a_symbolic_link_is_refused_naming_its_target(log: Path, tmp_path: Path) -> None:
    link = tmp_path / "shadow.log"
    link.symlink_to(log)
    with pytest.raises(InvalidCommandError, match=r"shadow.log is a symbolic link \(to .*api.log"):
        read_all(link)


def test_a_dangling_link_is_refused_as_a_link(tmp_path: Path) -> None:
    link = tmp_path / "gone.log"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(InvalidCommandError, match="gone.log is a symbolic link"):
        read_all(link)


def test_a_named_pipe_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)  # no writer: opening it for reading would block forever
    with pytest.raises(
        InvalidCommandError, match="feed is a named pipe \\(FIFO\\), not a regular file; give a"
    ):
        read_all(fifo)


@pytest.mark.parametrize(
    ("path", "kind"), [("/dev/zero", "character device"), ("/dev/null", "character device")]
)
def test_a_device_is_refused(path: str, kind: str) -> None:
    with pytest.raises(InvalidCommandError, match=f"{path} is a {kind}, not a regular file"):
        read_all(Path(path))


def test_a_socket_and_a_folder_are_refused(unix_socket: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidCommandError, match="s.sock is a socket, not a regular file"):
        read_all(unix_socket)
    with pytest.raises(InvalidCommandError, match="is a folder, not a regular file"):
        read_all(tmp_path)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidCommandError, match="cannot read .*nope.log: No such file"):
        read_all(tmp_path / "nope.log")


def test_a_file_over_the_limit_is_refused_before_it_is_read(log: Path) -> None:
    assert read_all(log, limit=len(LOG)) == LOG  # exactly the limit is allowed
    with pytest.raises(InvalidCommandError, match="larger than the evidence size limit of 47,999"):
        read_all(log, limit=len(LOG) - 1)


def test_a_stream_is_cut_off_one_byte_past_the_limit() -> None:
    assert bounded(io.BytesIO(LOG), limit=len(LOG), label="x").read() == LOG
    over = bounded(io.BytesIO(LOG), limit=len(LOG) - 1, label="standard input")
    with pytest.raises(
        InvalidCommandError,
        match="standard input is larger than the evidence size limit of 47,999 bytes; raise "
        "evidence_max_size \\(fireline.toml, or FIRELINE_EVIDENCE_MAX_SIZE\\)",
    ):
        over.read()


def test_a_bounded_stream_counts_again_after_a_rewind() -> None:
    src = bounded(io.BytesIO(LOG), limit=len(LOG), label="x")
    assert src.read() == LOG
    src.seek(0)
    assert src.read() == LOG


def test_a_file_that_grows_while_read_is_refused_at_once(log: Path) -> None:
    with open_regular(str(log), limit=LIMIT) as regular:
        regular.read(100)
        with log.open("ab") as writer:
            writer.write(b"one more line\n")
        with pytest.raises(InvalidCommandError, match="grew past the 48,000 bytes it had"):
            regular.read()


def test_a_file_truncated_while_read_is_refused(log: Path) -> None:
    with open_regular(str(log), limit=LIMIT) as regular:
        regular.read(100)
        os.truncate(log, 1000)
        regular.read()
        with pytest.raises(
            InvalidCommandError,
            match=r"api.log changed while it was read \(it shrank: 1,000 of the 48,000 bytes",
        ):
            regular.check_unchanged()


def test_a_file_rewritten_in_place_is_refused(log: Path) -> None:
    with open_regular(str(log), limit=LIMIT) as regular:
        regular.read()
        with log.open("r+b") as writer:
            writer.write(b"X")  # same size, new content
        stamp = os.stat(log)
        os.utime(log, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
        with pytest.raises(InvalidCommandError, match="its size, modification or change time"):
            regular.check_unchanged()


def test_a_file_replaced_under_its_name_is_refused(log: Path, tmp_path: Path) -> None:
    rotated = tmp_path / "new.log"
    rotated.write_bytes(LOG)
    with open_regular(str(log), limit=LIMIT) as regular:
        regular.read()
        os.replace(rotated, log)  # what log rotation does
        with pytest.raises(InvalidCommandError, match="its name now points at another file"):
            regular.check_unchanged()


def test_a_file_removed_while_read_is_refused(log: Path) -> None:
    with open_regular(str(log), limit=LIMIT) as regular:
        regular.read()
        log.unlink()
        with pytest.raises(InvalidCommandError, match="it was removed or renamed"):
            regular.check_unchanged()


def test_a_reader_that_stops_at_the_known_size_still_proves_the_end(log: Path) -> None:
    with open_regular(str(log), limit=LIMIT) as regular:
        assert regular.read(len(LOG)) == LOG
        regular.check_unchanged()
    with open_regular(str(log), limit=LIMIT) as regular:
        regular.read(len(LOG))
        with log.open("ab") as writer:
            writer.write(b"late\n")
        with pytest.raises(InvalidCommandError, match="grew past"):
            regular.check_unchanged()
