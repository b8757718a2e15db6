"""Deterministic zip archives of an export tree, and reading an export from a zip.

Entries are sorted, folders have their own entries, and every entry carries the same fixed
timestamp (1980-01-01, the zip epoch) and permissions (0644 files, 0755 folders), so the same
tree always zips to the same bytes.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644
_DIR_MODE = 0o040755
_UNIX = 3
CHUNK = 1024 * 1024


def _info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.create_system = _UNIX
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED
    if name.endswith("/"):
        info.external_attr |= 0x10  # MS-DOS directory flag
    return info


def write_zip(root: Path, target: Path) -> None:
    """Zip the folder `root` into `target`, with `root.name/` as the top folder."""
    paths = sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix())
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(_info(f"{root.name}/", _DIR_MODE), b"")
        for path in paths:
            name = f"{root.name}/{path.relative_to(root).as_posix()}"
            if path.is_dir():
                archive.writestr(_info(f"{name}/", _DIR_MODE), b"")
                continue
            size = path.stat().st_size
            info = _info(name, _FILE_MODE)
            info.file_size = size
            with path.open("rb") as src, archive.open(info, "w", force_zip64=size > 2**31) as dst:
                shutil.copyfileobj(src, dst, CHUNK)
