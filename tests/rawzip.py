"""A zip writer that writes whatever it is told, for hostile archives `zipfile` will not make:
lying sizes and CRC-32s, unknown methods, NUL in names, local headers that disagree, bombs."""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


@dataclass(frozen=True)
class Entry:
    """One entry as written: its central directory fields, and the local header's if other."""

    name: bytes
    data: bytes  # the bytes stored, compressed or not
    size: int
    crc: int
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0
    mode: int = 0o100644
    local_name: bytes | None = None
    local_size: int | None = None


def deflated(name: str, content: bytes) -> Entry:
    """An honest deflated entry."""
    squeezer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = squeezer.compress(content) + squeezer.flush()
    return Entry(name.encode(), data, len(content), zlib.crc32(content))


def folder(name: str) -> Entry:
    return Entry(name.encode(), b"", 0, 0, method=zipfile.ZIP_STORED, mode=0o40755)


def zeros_bomb(name: str, mib: int) -> Entry:
    """`mib` MiB of zeros in about a thousandth of that: one deflated MiB, repeated as blocks."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = squeezer.compress(bytes(1 << 20)) + squeezer.flush(zlib.Z_SYNC_FLUSH)
    crc = 0
    one = bytes(1 << 20)
    for _ in range(mib):
        crc = zlib.crc32(one, crc)
    return Entry(name.encode(), block * mib + b"\x03\x00", mib << 20, crc)


def export_entries(archive: Path) -> list[Entry]:
    """The entries of a genuine export zip, re-deflated, in order."""
    entries = []
    with zipfile.ZipFile(archive) as source:
        for info in source.infolist():
            if info.is_dir():
                entries.append(folder(info.filename))
            else:
                entries.append(deflated(info.filename, source.read(info)))
    return entries


def swap(entries: list[Entry], suffix: str, entry: Entry) -> list[Entry]:
    """`entries` with the one whose name ends in `suffix` replaced (keeping its name)."""
    return [replace(entry, name=e.name) if e.name.decode().endswith(suffix) else e for e in entries]


def write(path: Path, entries: list[Entry]) -> Path:
    out = bytearray()
    central = bytearray()
    for e in entries:
        offset = len(out)
        local_name = e.name if e.local_name is None else e.local_name
        local_size = e.size if e.local_size is None else e.local_size
        out += _LOCAL.pack(
            b"PK\x03\x04", 20, 0, e.flags, e.method, 0, 0x21, e.crc, len(e.data),
            local_size, len(local_name), 0,
        )  # fmt: skip
        out += local_name + e.data
        central += _CENTRAL.pack(
            b"PK\x01\x02", 20, 3, 20, 0, e.flags, e.method, 0, 0x21, e.crc, len(e.data),
            e.size, len(e.name), 0, 0, 0, 0, e.mode << 16, offset,
        )  # fmt: skip
        central += e.name
    start = len(out)
    out += central
    out += _END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), start, 0)
    path.write_bytes(bytes(out))
    return path
