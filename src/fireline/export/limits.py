"""How much of an export `fireline verify` will read: the ceilings that keep a hostile zip or
folder from costing unbounded memory or time. Pure: no I/O.

The sizes an export declares (the zip's central directory, the ledger's `evidence.added`
events) are the attacker's to choose until the export has verified, so the bounds are absolute;
what is declared is only checked against them before reading, and the bytes actually read are
held to what was declared.
"""

from __future__ import annotations

from dataclasses import dataclass

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """The ceilings of one verification (the defaults are documented in docs/export.md)."""

    max_entries: int = 100_000  # zip entries, or files and folders of a folder export
    max_file_bytes: int = 16 * GiB  # one file, uncompressed
    max_total_bytes: int = 64 * GiB  # every file together, uncompressed
    max_ratio: int = 200  # uncompressed : compressed, for one zip entry …
    ratio_floor_bytes: int = 1 * MiB  # … once it inflates past this size
    max_document_bytes: int = 64 * MiB  # a file verify holds whole (ledger, hashes, key)
    max_directory_bytes: int = 64 * MiB  # the zip's central directory


DEFAULT_LIMITS = Limits()


def size_text(size: int) -> str:
    """A byte count for a refusal line: exact bytes, and whole binary units when round."""
    for unit, factor in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"
