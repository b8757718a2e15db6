"""Evidence storage: the content-addressed blob store and what kind of bytes a file holds.

`BlobStore` (blobs.py) keeps evidence files under the data dir by SHA-256, written once and
re-checked on every read; `media.py` tells scannable text from binary and names media types;
`source.py` opens what is added (regular files only, bounded, checked unchanged after reading).
Nothing here knows about incidents or events: the service records those.
"""

from fireline.evidence.blobs import HEAD, BlobInfo, BlobStore, Staged, digest_of, is_digest
from fireline.evidence.media import (
    BinaryContentError,
    binary_reason,
    guarded_text,
    sniff,
)
from fireline.evidence.source import RegularFile, bounded, open_regular

__all__ = [
    "HEAD",
    "BinaryContentError",
    "BlobInfo",
    "BlobStore",
    "RegularFile",
    "Staged",
    "bounded",
    "digest_of",
    "guarded_text",
    "is_digest",
    "open_regular",
    "binary_reason",
    "sniff",
]
