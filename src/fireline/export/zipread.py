"""Reading an export's zip without trusting it.

Every entry is vetted from the central directory, and its local header, before a byte is
inflated: canonical names and no clashes (`names`), no links or special files, stored or
deflated only, nothing encrypted, sizes and compression ratio within `Limits`, no entry whose
data overlaps another's. Members are then streamed in chunks by this module's own inflater, which
holds each one to its declared size and CRC-32 as it reads. Never extracts, never holds a member
whole.
"""

from __future__ import annotations

import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from fireline.errors import IntegrityError, InvalidCommandError
from fireline.export import names
from fireline.export.limits import Limits, size_text

CHUNK = 256 * 1024
_END = struct.Struct("<4s4H2LH")  # end of central directory record
_LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator
_END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # local file header
_EXTRA = struct.Struct("<2H")
_UNICODE_PATH = 0x7075  # Info-ZIP's second name for an entry, which `unzip` prefers
_ENCRYPTED = 0x0001 | 0x0040  # traditional and strong encryption flags
_DESCRIPTOR = 0x0008  # sizes and CRC-32 follow the data; the local header holds zeros
_UTF8 = 0x0800
_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_METHOD_NAMES = {1: "shrink", 6: "implode", 9: "deflate64", 12: "bzip2", 14: "LZMA", 93: "zstd"}
_METHOD_NAMES |= {95: "xz", 98: "PPMd", 99: "AES"}


@dataclass(frozen=True)
class Member:
    """One file entry, vetted: where its data starts and what it must inflate to."""

    name: str
    method: int
    size: int
    compressed: int
    crc: int
    data_offset: int


def read_directory(handle: BinaryIO, *, label: str, limits: Limits) -> list[Member]:
    """Every entry of the zip open as `handle` (folders end in `/`), vetted before any is read.

    InvalidCommandError (one line naming the entry) for anything refused; IntegrityError for an
    archive cut short.
    """
    size = handle.seek(0, 2)
    count, directory = _directory_extent(handle, size, label)
    if count > limits.max_entries:
        raise InvalidCommandError(
            f"{label} holds {count} entries, over the limit of {limits.max_entries}"
        )
    if directory > limits.max_directory_bytes:
        raise InvalidCommandError(
            f"{label} has a central directory of {size_text(directory)}, "
            f"over the {size_text(limits.max_directory_bytes)} limit"
        )
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, struct.error, NotImplementedError):
        raise _not_a_zip(label) from None
    if len(infos) > limits.max_entries:
        raise InvalidCommandError(
            f"{label} holds {len(infos)} entries, over the limit of {limits.max_entries}"
        )
    total = 0
    for info in infos:
        _vet_entry(info, label=f"{label}: entry {info.orig_filename!r}", limits=limits)
        total += info.file_size
    if total > limits.max_total_bytes:
        raise InvalidCommandError(
            f"{label} inflates to {size_text(total)} in all, "
            f"over the {size_text(limits.max_total_bytes)} limit of an export"
        )
    clash = names.first_clash((info.orig_filename.rstrip("/"), info.is_dir()) for info in infos)
    if clash is not None:
        raise InvalidCommandError(f"{label}: entry {clash[0]!r} {clash[1]}")
    return _locate(handle, infos, label=label, size=size)


def stream(handle: BinaryIO, member: Member, *, label: str) -> Iterator[bytes]:
    """The member's bytes in chunks of at most CHUNK, held to its declared size and CRC-32.

    IntegrityError as soon as it inflates past its size, and at its end if it came short, its
    compressed data is corrupt or does not end with its declared compressed size, or its CRC-32
    does not match.
    """
    where = f"{label}: entry {member.name!r}"
    handle.seek(member.data_offset)
    left, produced, crc = member.compressed, 0, 0
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if member.method else None
    try:
        while left or (inflater is not None and not inflater.eof):
            if inflater is not None and inflater.eof:
                raise IntegrityError(f"{where} has data after the end of its compressed stream")
            raw = handle.read(min(CHUNK, left))
            left -= len(raw)
            for piece in _pieces(inflater, raw):
                produced += len(piece)
                if produced > member.size:
                    raise IntegrityError(
                        f"{where} holds more than its declared {member.size} bytes"
                    )
                crc = zlib.crc32(piece, crc)
                yield piece
            if not raw and (inflater is None or not inflater.eof):
                raise IntegrityError(f"{where} is cut short (its compressed data ends early)")
    except zlib.error:
        raise IntegrityError(f"{where} has corrupt compressed data") from None
    if inflater is not None and inflater.unused_data:
        raise IntegrityError(f"{where} has data after the end of its compressed stream")
    if produced != member.size:
        raise IntegrityError(f"{where} ends after {produced} of its declared {member.size} bytes")
    if crc != member.crc:
        raise IntegrityError(f"{where} fails its CRC-32 check")


def _pieces(inflater: zlib._Decompress | None, raw: bytes) -> Iterator[bytes]:
    """`raw` inflated in pieces of at most CHUNK, however much it expands; with no input, what
    the inflater still holds."""
    if inflater is None:
        if raw:
            yield raw
        return
    piece = inflater.decompress(raw, CHUNK)
    while piece or inflater.unconsumed_tail:
        yield piece
        piece = inflater.decompress(inflater.unconsumed_tail, CHUNK)


def _directory_extent(handle: BinaryIO, size: int, label: str) -> tuple[int, int]:
    """(entries, central directory bytes) from the end records, before anything is parsed."""
    span = min(size, _END.size + 0xFFFF)
    handle.seek(size - span)
    tail = handle.read(span)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or span - at < _END.size:
        raise _not_a_zip(label)
    _sig, _disk, _cd_disk, _here, count, directory, _offset, _comment = _END.unpack_from(tail, at)
    locator_at = size - span + at - _LOCATOR.size
    if locator_at >= 0:
        handle.seek(locator_at)
        sig, _disk, end64_at, _disks = _LOCATOR.unpack(handle.read(_LOCATOR.size))
        if sig == b"PK\x06\x07":
            handle.seek(end64_at)
            record = handle.read(_END64.size)
            if len(record) != _END64.size or record[:4] != b"PK\x06\x06":
                raise _not_a_zip(label)
            fields = _END64.unpack(record)
            count, directory = fields[7], fields[8]
    return count, directory


def _vet_entry(info: zipfile.ZipInfo, *, label: str, limits: Limits) -> None:
    """Refuse what this entry declares, before any of its bytes is read."""
    raw = info.orig_filename  # zipfile cuts `filename` at a NUL; the raw name keeps it
    is_folder = raw.endswith("/")
    problem = names.name_problem(raw[:-1] if is_folder else raw)
    if problem is None:
        problem = _kind_problem(info, is_folder=is_folder)
    if problem is None and info.flag_bits & _ENCRYPTED:
        problem = "is encrypted; verify reads no encrypted entries"
    if problem is None and info.compress_type not in _READABLE:
        method = _METHOD_NAMES.get(info.compress_type, "unknown")
        problem = (
            f"uses compression method {info.compress_type} ({method}); "
            "verify reads only stored and deflated entries"
        )
    if problem is None and _has_second_name(info.extra):
        problem = "carries a second name (an Info-ZIP Unicode Path field)"
    if problem is None:
        problem = _size_problem(info, is_folder=is_folder, limits=limits)
    if problem is not None:
        raise InvalidCommandError(f"{label} {problem}")


def _kind_problem(info: zipfile.ZipInfo, *, is_folder: bool) -> str | None:
    """Only files and folders: `unzip` would make a link or device of the other kinds."""
    if info.create_system != 3:  # no Unix mode recorded
        return None
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == 0 or kind == (stat.S_IFDIR if is_folder else stat.S_IFREG):
        return None
    if kind == stat.S_IFLNK:
        return "is a symlink; verify follows no links"
    if kind == stat.S_IFDIR:
        return "is marked a folder but named as a file"
    if kind == stat.S_IFREG:
        return "is marked a file but named as a folder"
    return f"is a special file (mode {kind:#o}); verify reads only files and folders"


def _size_problem(info: zipfile.ZipInfo, *, is_folder: bool, limits: Limits) -> str | None:
    size, compressed = info.file_size, info.compress_size
    if is_folder:
        return "is a folder entry holding data" if size else None
    if size > limits.max_file_bytes:
        return (
            f"inflates to {size_text(size)}, "
            f"over the {size_text(limits.max_file_bytes)} limit for one file"
        )
    if info.compress_type == zipfile.ZIP_STORED and size != compressed:
        return f"is stored ({size} bytes) but declares {compressed} compressed bytes"
    if size > limits.ratio_floor_bytes and size > limits.max_ratio * compressed:
        return (
            f"inflates {size} bytes from {compressed}, "
            f"over the {limits.max_ratio}:1 compression ratio limit"
        )
    return None


def _has_second_name(extra: bytes) -> bool:
    at = 0
    while at + _EXTRA.size <= len(extra):
        kind, length = _EXTRA.unpack_from(extra, at)
        if kind == _UNICODE_PATH:
            return True
        at += _EXTRA.size + length
    return False


def _locate(
    handle: BinaryIO, infos: list[zipfile.ZipInfo], *, label: str, size: int
) -> list[Member]:
    """Each entry's local header must agree with the directory, and no two entries' data may
    overlap (the "overlapping entries" zip bomb re-inflates the same bytes many times)."""
    members: list[Member] = []
    previous: tuple[str, int] | None = None
    for info in sorted(infos, key=lambda i: i.header_offset):
        where = f"{label}: entry {info.orig_filename!r}"
        if previous is not None and info.header_offset < previous[1]:
            raise InvalidCommandError(f"{where} overlaps the data of entry {previous[0]!r}")
        data_offset = _check_local_header(handle, info, where=where)
        end = data_offset + info.compress_size
        if end > size:
            raise IntegrityError(f"{where} is cut short (the archive is truncated)")
        members.append(
            Member(
                info.orig_filename,
                info.compress_type,
                info.file_size,
                info.compress_size,
                info.CRC,
                data_offset,
            )
        )
        previous = (info.orig_filename, end)
    return members


def _check_local_header(handle: BinaryIO, info: zipfile.ZipInfo, *, where: str) -> int:
    """Where the entry's data starts; InvalidCommandError if its local header says otherwise."""
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL.size)
    if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
        raise InvalidCommandError(f"{where} has no local header where the directory says")
    fields: tuple[int, ...] = _LOCAL.unpack(header)[1:]
    _v, _s, flags, method, _t, _d, crc, compressed, size, name_len, extra_len = fields
    local_name = handle.read(name_len)
    extra = handle.read(extra_len)
    encoding = "utf-8" if info.flag_bits & _UTF8 else "cp437"
    if local_name != info.orig_filename.encode(encoding, errors="replace"):
        raise InvalidCommandError(
            f"{where} has another name in its local header "
            f"({local_name.decode(encoding, errors='replace')!r})"
        )
    if method != info.compress_type or (flags ^ info.flag_bits) & _ENCRYPTED:
        raise InvalidCommandError(f"{where} has a local header that disagrees with the directory")
    if not flags & _DESCRIPTOR and (
        crc != info.CRC
        or compressed not in (info.compress_size, 0xFFFFFFFF)
        or size not in (info.file_size, 0xFFFFFFFF)
    ):
        raise InvalidCommandError(
            f"{where} has a local header that declares other sizes or CRC-32 than the directory"
        )
    if _has_second_name(extra):
        raise InvalidCommandError(f"{where} carries a second name (an Info-ZIP Unicode Path field)")
    return info.header_offset + _LOCAL.size + name_len + extra_len


def _not_a_zip(label: str) -> InvalidCommandError:
    return InvalidCommandError(f"{label} is not a fireline export (not a folder or zip)")
