"""Hostile zips: `fireline verify` refuses each with one stderr line naming the entry, reads
nothing it has not vetted, and stays within a few hundred MB whatever the archive declares."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import pytest

import fireline
from fireline.commands import LogEntry
from fireline.domain import IncidentId
from fireline.export.limits import Limits
from fireline.export.verify import verify_export
from fireline.service import Context
from tests import rawzip
from tests.conftest import Cli
from tests.factories import make_incident, run

pytestmark = pytest.mark.adapter

TIMELINE = "00_meta/timeline.md"


@pytest.fixture
def exported_zip(ctx: Context, cli: Cli, tmp_path: Path) -> Path:
    inc = make_incident(ctx)
    run(ctx, LogEntry(incident_id=IncidentId(inc), kind="fact", text="5xx rate 38% since 14:02Z"))
    result = cli("export", inc, "--out", str(tmp_path / "out"), "--zip")
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / f"{inc}.zip"


def refusal(cli: Cli, target: Path, *, code: int = 2) -> str:
    """The one stderr line of a refused verify, after its prefix; nothing on stdout."""
    result = cli("verify", str(target))
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    prefix = f"fireline: error: {target}"
    assert lines[0].startswith(prefix), lines
    return lines[0][len(prefix) :]


def root_of(archive: Path) -> str:
    return archive.name.removesuffix(".zip")


def copy_with(source: Path, target: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    """`source` entry by entry through `zipfile`, then the `extra` entries."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # zipfile warns of a duplicate name
            for name, data in extra:
                dst.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


def test_a_genuine_zip_still_verifies(cli: Cli, exported_zip: Path) -> None:
    result = cli("verify", str(exported_zip))
    assert result.exit_code == 0, result.output
    assert "verified offline" in result.stdout


def test_a_duplicate_entry_is_refused(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    """`unzip` extracts the last copy of a name; verify would have read another."""
    name = f"{root_of(exported_zip)}/{TIMELINE}"
    forged = copy_with(exported_zip, tmp_path / "dup.zip", [(name, b"# forged\n")])
    assert refusal(cli, forged) == f": entry {name!r} appears twice"


@pytest.mark.parametrize(
    ("alias", "reason"),
    [
        ("./00_meta/timeline.md", "has an empty, '.' or '..' part"),
        ("00_meta//timeline.md", "has an empty, '.' or '..' part"),
        ("00_meta/../00_meta/timeline.md", "has an empty, '.' or '..' part"),
        ("00_meta\\timeline.md", "holds a backslash (a separator elsewhere)"),
        ("00_meta/timeline.md.", "has a part ending in a dot or a space (dropped elsewhere)"),
        ("00_meta/timeline.md ", "has a part ending in a dot or a space (dropped elsewhere)"),
        ("00_meta/timeline.md:x", "holds a ':' (a drive or stream name elsewhere)"),
        ("00_meta/time\nline.md", "holds a control character"),
    ],
)
def test_a_non_canonical_entry_name_is_refused(
    cli: Cli, exported_zip: Path, tmp_path: Path, alias: str, reason: str
) -> None:
    name = f"{root_of(exported_zip)}/{alias}"
    forged = copy_with(exported_zip, tmp_path / "alias.zip", [(name, b"# forged\n")])
    assert refusal(cli, forged) == f": entry {name!r} {reason}"


def test_an_absolute_entry_name_is_refused(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    forged = copy_with(exported_zip, tmp_path / "abs.zip", [("/etc/cron.d/x", b"* * * * *\n")])
    assert refusal(cli, forged) == ": entry '/etc/cron.d/x' is an absolute path"


def test_a_nul_in_an_entry_name_is_refused(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    """zipfile cuts a name at NUL (so `…/timeline.md\\0.txt` would read as the view)."""
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    nul = replace(rawzip.deflated("x", b"# forged\n"), name=f"{root}/{TIMELINE}\0.txt".encode())
    forged = rawzip.write(tmp_path / "nul.zip", [*entries, nul])
    assert refusal(cli, forged) == f": entry '{root}/{TIMELINE}\\x00.txt' holds a control character"


@pytest.mark.parametrize(
    ("twin", "reason"),
    [
        ("00_meta/Timeline.md", "names the same path as '{root}/00_meta/timeline.md'"),
        ("00_meta/ｔimeline.md", "names the same path as '{root}/00_meta/timeline.md'"),
        ("ledger", "is both a file and a folder"),
    ],
)
def test_names_that_fold_to_one_path_are_refused(
    cli: Cli, exported_zip: Path, tmp_path: Path, twin: str, reason: str
) -> None:
    """A case-insensitive or normalising file system would extract one over the other."""
    root = root_of(exported_zip)
    forged = copy_with(exported_zip, tmp_path / "twin.zip", [(f"{root}/{twin}", b"x\n")])
    assert refusal(cli, forged) == f": entry '{root}/{twin}' {reason.format(root=root)}"


def test_an_entry_under_a_file_is_refused(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    root = root_of(exported_zip)
    name = f"{root}/{TIMELINE}/inner"
    forged = copy_with(exported_zip, tmp_path / "under.zip", [(name, b"x\n")])
    assert (
        refusal(cli, forged) == f": entry {name!r} lies inside '{root}/{TIMELINE}', which is a file"
    )


def test_a_symlink_entry_is_refused(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    """`unzip` would make a link to /etc/passwd where the view should be."""
    root = root_of(exported_zip)
    link = zipfile.ZipInfo(f"{root}/10_evidence/logs/999-passwd")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    forged = copy_with(exported_zip, tmp_path / "link.zip", [(link, b"/etc/passwd")])
    assert refusal(cli, forged) == (
        f": entry '{root}/10_evidence/logs/999-passwd' is a symlink; verify follows no links"
    )


def test_a_device_entry_is_refused(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    root = root_of(exported_zip)
    device = zipfile.ZipInfo(f"{root}/10_evidence/logs/999-tty")
    device.create_system = 3
    device.external_attr = (stat.S_IFCHR | 0o666) << 16
    forged = copy_with(exported_zip, tmp_path / "dev.zip", [(device, b"")])
    assert refusal(cli, forged) == (
        f": entry '{root}/10_evidence/logs/999-tty' is a special file (mode 0o20000); "
        "verify reads only files and folders"
    )


def test_a_folder_entry_holding_data_is_refused(
    cli: Cli, exported_zip: Path, tmp_path: Path
) -> None:
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    hidden = replace(
        rawzip.deflated("x", b"hidden\n"), name=f"{root}/prov/extra/".encode(), mode=0o40755
    )
    forged = rawzip.write(tmp_path / "dirdata.zip", [*entries, hidden])
    assert refusal(cli, forged) == f": entry '{root}/prov/extra/' is a folder entry holding data"


def test_an_encrypted_entry_is_refused(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    locked = [replace(e, flags=1) if e.name.endswith(TIMELINE.encode()) else e for e in entries]
    forged = rawzip.write(tmp_path / "locked.zip", locked)
    assert refusal(cli, forged) == (
        f": entry '{root}/{TIMELINE}' is encrypted; verify reads no encrypted entries"
    )


@pytest.mark.parametrize(("method", "label"), [(12, "bzip2"), (14, "LZMA"), (77, "unknown")])
def test_an_unreadable_compression_method_is_refused(
    cli: Cli, exported_zip: Path, tmp_path: Path, method: int, label: str
) -> None:
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    odd = [replace(e, method=method) if e.name.endswith(TIMELINE.encode()) else e for e in entries]
    forged = rawzip.write(tmp_path / "method.zip", odd)
    assert refusal(cli, forged) == (
        f": entry '{root}/{TIMELINE}' uses compression method {method} ({label}); "
        "verify reads only stored and deflated entries"
    )


def test_a_real_bzip2_entry_written_by_zipfile_is_refused(
    cli: Cli, exported_zip: Path, tmp_path: Path
) -> None:
    root = root_of(exported_zip)
    forged = tmp_path / "bz.zip"
    with zipfile.ZipFile(exported_zip) as src, zipfile.ZipFile(forged, "w") as dst:
        for info in src.infolist():
            method = zipfile.ZIP_BZIP2 if info.filename.endswith(TIMELINE) else info.compress_type
            dst.writestr(info.filename, src.read(info), compress_type=method)
    assert "uses compression method 12 (bzip2)" in refusal(cli, forged)
    assert root in refusal(cli, forged)


def test_a_bad_crc_is_exit_7(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    bad = [replace(e, crc=e.crc ^ 1) if e.name.endswith(TIMELINE.encode()) else e for e in entries]
    forged = rawzip.write(tmp_path / "crc.zip", bad)
    assert refusal(cli, forged, code=7) == f": entry '{root}/{TIMELINE}' fails its CRC-32 check"


def test_corrupt_compressed_data_is_exit_7(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    garbled = [  # 0xff starts a final block of the reserved type 3: invalid
        replace(e, data=b"\xff" * len(e.data)) if e.name.endswith(TIMELINE.encode()) else e
        for e in entries
    ]
    forged = rawzip.write(tmp_path / "garbled.zip", garbled)
    assert (
        refusal(cli, forged, code=7) == f": entry '{root}/{TIMELINE}' has corrupt compressed data"
    )


def test_a_truncated_zip_is_not_a_zip(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.zip"
    cut.write_bytes(exported_zip.read_bytes()[: exported_zip.stat().st_size // 2])
    assert refusal(cli, cut) == " is not a fireline export (not a folder or zip)"


def test_a_member_cut_short_is_exit_7(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    """The directory promises more compressed bytes than the stream holds before it ends."""
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    short = [
        replace(e, data=e.data[: len(e.data) // 2]) if e.name.endswith(TIMELINE.encode()) else e
        for e in entries
    ]
    forged = rawzip.write(tmp_path / "short.zip", short)
    assert refusal(cli, forged, code=7) == (
        f": entry '{root}/{TIMELINE}' is cut short (its compressed data ends early)"
    )


def test_a_member_longer_than_declared_is_exit_7(
    cli: Cli, exported_zip: Path, tmp_path: Path
) -> None:
    """Declared sizes can lie: reading stops one chunk past what was declared."""
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    lying = [replace(e, size=10, local_size=10) if e.name.endswith(b"events.jsonl") else e
             for e in entries]  # fmt: skip
    forged = rawzip.write(tmp_path / "longer.zip", lying)
    assert refusal(cli, forged, code=7) == (
        f": entry '{root}/ledger/events.jsonl' holds more than its declared 10 bytes"
    )


def test_a_member_shorter_than_declared_is_exit_7(
    cli: Cli, exported_zip: Path, tmp_path: Path
) -> None:
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    lying = [replace(e, size=e.size + 5, local_size=e.size + 5) if e.name.endswith(
        TIMELINE.encode()) else e for e in entries]  # fmt: skip
    forged = rawzip.write(tmp_path / "shorter.zip", lying)
    line = refusal(cli, forged, code=7)
    assert line.startswith(f": entry '{root}/{TIMELINE}' ends after ")
    assert line.endswith(" bytes")


def test_a_local_header_with_another_name_is_refused(
    cli: Cli, exported_zip: Path, tmp_path: Path
) -> None:
    """Tools that read local headers would see a different file than the directory names."""
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    other = f"{root}/00_meta/timeline.mX".encode()
    two_faced = [replace(e, local_name=other) if e.name.endswith(TIMELINE.encode()) else e
                 for e in entries]  # fmt: skip
    forged = rawzip.write(tmp_path / "twoface.zip", two_faced)
    assert refusal(cli, forged) == (
        f": entry '{root}/{TIMELINE}' has another name in its local header "
        f"('{root}/00_meta/timeline.mX')"
    )


def test_a_local_header_with_other_sizes_is_refused(
    cli: Cli, exported_zip: Path, tmp_path: Path
) -> None:
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    two_faced = [replace(e, local_size=e.size + 1) if e.name.endswith(TIMELINE.encode()) else e
                 for e in entries]  # fmt: skip
    forged = rawzip.write(tmp_path / "sizes.zip", two_faced)
    assert refusal(cli, forged) == (
        f": entry '{root}/{TIMELINE}' has a local header that declares other sizes or CRC-32 "
        "than the directory"
    )


def test_overlapping_entries_are_refused(cli: Cli, exported_zip: Path, tmp_path: Path) -> None:
    """The overlapping-entries bomb: many directory entries inflating the same bytes."""
    root = root_of(exported_zip)
    forged = rawzip.write(tmp_path / "overlap.zip", rawzip.export_entries(exported_zip))
    data = bytearray(forged.read_bytes())
    with zipfile.ZipFile(forged) as archive:
        infos = archive.infolist()
        start = archive.start_dir
    # Point the last entry's central record at the first entry's local header.
    at = start
    for info in infos:
        header = data[at : at + 46]
        name_len, extra_len, comment_len = (int.from_bytes(header[i : i + 2], "little")
                                            for i in (28, 30, 32))  # fmt: skip
        if info is infos[-1]:
            data[at + 42 : at + 46] = infos[0].header_offset.to_bytes(4, "little")
        at += 46 + name_len + extra_len + comment_len
    forged.write_bytes(bytes(data))
    line = refusal(cli, forged)
    assert line.startswith(f": entry '{root}/")
    assert "overlaps the data of entry" in line or "has another name in its local header" in line


def test_an_honest_zip_bomb_is_refused_before_it_is_read(
    cli: Cli, exported_zip: Path, tmp_path: Path
) -> None:
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    bombed = rawzip.swap(entries, "ledger/events.jsonl", rawzip.zeros_bomb("x", 64))
    forged = rawzip.write(tmp_path / "bomb.zip", bombed)
    line = refusal(cli, forged)
    assert line.startswith(f": entry '{root}/ledger/events.jsonl' inflates 67108864 bytes from ")
    assert line.endswith(", over the 200:1 compression ratio limit")


def test_per_file_and_total_limits_name_what_is_over(exported_zip: Path) -> None:
    from fireline.errors import InvalidCommandError

    root = root_of(exported_zip)
    with pytest.raises(InvalidCommandError, match=rf"entry '{root}/.*' inflates to \d+ bytes, "
                       r"over the 100 bytes limit for one file"):  # fmt: skip
        verify_export(exported_zip, limits=Limits(max_file_bytes=100))
    with pytest.raises(InvalidCommandError, match=r"inflates to \d+ bytes in all, over the 2 KiB"):
        verify_export(exported_zip, limits=Limits(max_total_bytes=2048))
    with pytest.raises(InvalidCommandError, match=r"holds \d+ entries, over the limit of 5$"):
        verify_export(exported_zip, limits=Limits(max_entries=5))
    with pytest.raises(
        InvalidCommandError, match=r"central directory of \d+ bytes, over the 1 KiB"
    ):
        verify_export(exported_zip, limits=Limits(max_directory_bytes=1024))
    with pytest.raises(
        InvalidCommandError,
        match=r"'ledger/\S+' is \d+ bytes, over the 100 bytes verify reads whole$",
    ):
        verify_export(exported_zip, limits=Limits(max_document_bytes=100))


_BOUNDED = """
import resource, sys
from pathlib import Path
limit = {limit}
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from fireline.errors import FirelineError
from fireline.export.limits import Limits
from fireline.export.verify import verify_export
try:
    verify_export(Path(sys.argv[1]), limits=Limits(max_ratio=10**9))
except FirelineError as exc:
    print(type(exc).__name__, exc.message)
"""


def bounded(archive: Path, *, limit: int) -> subprocess.CompletedProcess[str]:
    """Verify `archive` in a child process whose address space is capped at `limit` bytes."""
    env = {"PYTHONPATH": str(Path(fireline.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    code = textwrap.dedent(_BOUNDED.format(limit=limit))
    return subprocess.run(
        [sys.executable, "-c", code, str(archive)], capture_output=True, text=True, env=env,
        check=False, timeout=300,
    )  # fmt: skip


def test_memory_stays_bounded_on_a_bomb_within_the_ratio(
    exported_zip: Path, tmp_path: Path
) -> None:
    """With the ratio limit lifted, a 256 MiB events.jsonl is hashed in chunks and refused by
    the document limit before it is held whole, in a 200 MiB address space (the process needs
    about 55 MiB)."""
    entries = rawzip.export_entries(exported_zip)
    bombed = rawzip.swap(entries, "ledger/events.jsonl", rawzip.zeros_bomb("x", 256))
    forged = rawzip.write(tmp_path / "bomb.zip", bombed)
    assert forged.stat().st_size < 1 << 20
    done = bounded(forged, limit=200 << 20)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"InvalidCommandError {forged}: 'ledger/events.jsonl' is 256 MiB, "
        "over the 64 MiB verify reads whole\n"
    )


def test_memory_stays_bounded_when_a_member_lies_about_its_size(
    exported_zip: Path, tmp_path: Path
) -> None:
    """A member declaring 100 bytes that inflates to 256 MiB is stopped one chunk past 100."""
    root = root_of(exported_zip)
    entries = rawzip.export_entries(exported_zip)
    bomb = replace(rawzip.zeros_bomb("x", 256), size=100, local_size=100)
    forged = rawzip.write(tmp_path / "liar.zip", rawzip.swap(entries, TIMELINE, bomb))
    done = bounded(forged, limit=200 << 20)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"IntegrityError {forged}: entry '{root}/{TIMELINE}' holds more than its declared "
        "100 bytes\n"
    )


class _Unseekable:
    """A pipe-like sink (no tell, no seek): zipfile then writes data descriptors."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target

    def write(self, data: bytes, /) -> int:
        return self._target.write(data)

    def flush(self) -> None:
        self._target.flush()

    def close(self) -> None:
        """The real file is closed by its own `with`."""


@pytest.mark.parametrize("how", ["zip64 headers", "streamed, with data descriptors"])
def test_a_genuine_export_zipped_otherwise_still_verifies(
    cli: Cli, exported_zip: Path, tmp_path: Path, how: str
) -> None:
    """Honest zips made differently (another tool, a pipe) are not mistaken for hostile ones."""
    rezipped = tmp_path / "rezipped.zip"
    with rezipped.open("wb") as sink, zipfile.ZipFile(exported_zip) as src:
        target = sink if how == "zip64 headers" else _Unseekable(sink)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                if info.is_dir():
                    dst.writestr(info, b"")
                    continue
                with dst.open(info.filename, "w", force_zip64=True) as member:
                    member.write(src.read(info))
    with zipfile.ZipFile(rezipped) as check:
        flags = {info.flag_bits & 0x08 for info in check.infolist() if not info.is_dir()}
    assert flags == ({0} if how == "zip64 headers" else {0x08})
    result = cli("verify", str(rezipped))
    assert result.exit_code == 0, result.output
