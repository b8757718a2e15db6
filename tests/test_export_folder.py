"""Hostile export folders: links, FIFOs, sockets, devices and clashing names are refused with
one stderr line naming the path, never followed or read — even when swapped in mid-run."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from fireline.commands import LogEntry
from fireline.domain import IncidentId
from fireline.errors import IntegrityError, InvalidCommandError
from fireline.export.limits import Limits
from fireline.export.tree import open_tree
from fireline.export.verify import verify_export
from fireline.service import Context
from tests.conftest import Cli
from tests.factories import make_incident, run
from tests.test_export_zipread import refusal

TIMELINE = "00_meta/timeline.md"


@pytest.fixture
def exported(ctx: Context, cli: Cli, tmp_path: Path) -> Path:
    inc = make_incident(ctx)
    run(ctx, LogEntry(incident_id=IncidentId(inc), kind="fact", text="5xx rate 38% since 14:02Z"))
    result = cli("export", inc, "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / inc


def test_a_symlink_at_a_listed_path_is_refused(cli: Cli, exported: Path, tmp_path: Path) -> None:
    """Even a link to the file's own bytes: another reader could see other bytes there."""
    view = exported / TIMELINE
    shutil.copy(view, tmp_path / "timeline.md")
    view.unlink()
    view.symlink_to(tmp_path / "timeline.md")
    assert refusal(cli, exported) == f": '{TIMELINE}' is a symlink; verify follows no links"


def test_a_symlinked_folder_on_the_way_is_refused(cli: Cli, exported: Path, tmp_path: Path) -> None:
    shutil.move(exported / "00_meta", tmp_path / "elsewhere")
    (exported / "00_meta").symlink_to(tmp_path / "elsewhere")
    assert refusal(cli, exported) == ": '00_meta' is a symlink; verify follows no links"


def test_a_dangling_symlink_is_refused(cli: Cli, exported: Path) -> None:
    (exported / "prov/extra.json").symlink_to("/nonexistent")
    assert refusal(cli, exported) == ": 'prov/extra.json' is a symlink; verify follows no links"


def test_a_fifo_at_a_listed_path_is_refused_without_blocking(cli: Cli, exported: Path) -> None:
    (exported / TIMELINE).unlink()
    os.mkfifo(exported / TIMELINE)
    assert refusal(cli, exported) == f": '{TIMELINE}' is a FIFO; verify reads only regular files"


def test_a_socket_is_refused(cli: Cli, exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(exported / "prov")  # a socket path must be short
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("s")
        assert refusal(cli, exported) == ": 'prov/s' is a socket; verify reads only regular files"


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_is_refused(cli: Cli, exported: Path) -> None:
    import stat

    (exported / TIMELINE).unlink()
    os.mknod(exported / TIMELINE, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    assert refusal(cli, exported) == (
        f": '{TIMELINE}' is a character device; verify reads only regular files"
    )


def test_a_symlinked_export_inside_the_out_folder_is_refused(
    cli: Cli, exported: Path, tmp_path: Path
) -> None:
    moved = shutil.move(exported, tmp_path / "real")
    exported.symlink_to(moved)
    result = cli("verify", str(exported.parent))
    assert result.exit_code == 2
    assert result.stderr == f"fireline: error: {exported} is a symlink; verify follows no links\n"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("00_meta/Timeline.md", "names the same path as '00_meta/timeline.md'"),
        ("00_meta\\timeline.md", "holds a backslash (a separator elsewhere)"),
        ("00_meta/timeline.md ", "has a part ending in a dot or a space (dropped elsewhere)"),
        ("00_meta/time\tline.md", "holds a control character"),
    ],
)
def test_a_name_another_system_reads_otherwise_is_refused(
    cli: Cli, exported: Path, name: str, reason: str
) -> None:
    (exported / name).write_text("# forged\n")
    assert refusal(cli, exported) == f": {name!r} {reason}"


def test_folder_limits_name_what_is_over(exported: Path) -> None:
    with pytest.raises(InvalidCommandError, match=r": '.*' is \d+ bytes, over the 100 bytes limit"):
        verify_export(exported, limits=Limits(max_file_bytes=100))
    with pytest.raises(InvalidCommandError, match=r"holds \d+ bytes in all, over the 1 KiB limit"):
        verify_export(exported, limits=Limits(max_total_bytes=1024))
    with pytest.raises(InvalidCommandError, match="holds over 5 files and folders, the limit$"):
        verify_export(exported, limits=Limits(max_entries=5))
    with pytest.raises(InvalidCommandError, match=r"over the 100 bytes verify reads whole$"):
        verify_export(exported, limits=Limits(max_document_bytes=100))


def test_a_file_swapped_for_a_link_after_listing_is_not_followed(
    exported: Path, tmp_path: Path
) -> None:
    (tmp_path / "other.md").write_text("# other\n")
    with open_tree(exported) as tree:
        (exported / TIMELINE).unlink()
        (exported / TIMELINE).symlink_to(tmp_path / "other.md")
        with pytest.raises(InvalidCommandError, match=r"'00_meta/timeline.md' cannot be opened"):
            tree.digest(TIMELINE)


def test_a_folder_swapped_for_a_link_after_listing_is_not_followed(
    exported: Path, tmp_path: Path
) -> None:
    with open_tree(exported) as tree:
        shutil.move(exported / "00_meta", tmp_path / "elsewhere")
        (exported / "00_meta").symlink_to(tmp_path / "elsewhere")
        with pytest.raises(
            InvalidCommandError, match=r"'00_meta' cannot be opened as a folder .*follows no links"
        ):
            tree.digest(TIMELINE)


def test_a_file_swapped_for_a_fifo_after_listing_is_refused(exported: Path) -> None:
    with open_tree(exported) as tree:
        (exported / TIMELINE).unlink()
        os.mkfifo(exported / TIMELINE)
        with pytest.raises(InvalidCommandError, match=r"'00_meta/timeline.md' is a FIFO"):
            tree.digest(TIMELINE)


def test_a_file_that_grows_while_read_is_refused(exported: Path) -> None:
    with open_tree(exported) as tree:
        with (exported / TIMELINE).open("ab") as grow:
            grow.write(b"more\n")
        with pytest.raises(IntegrityError, match="changed size while it was being verified"):
            tree.digest(TIMELINE)
