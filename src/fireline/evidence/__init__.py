"""Evidence storage: the content-addressed blob store and what kind of bytes a file holds.

`BlobStore` (blobs.py) keeps evidence files under the data dir by SHA-256, written once and
re-checked on every read; `media.py` tells scannable text from binary and names media types.
Nothing here knows about incidents or events: the service records those.
"""

from fireline.evidence.blobs import HEAD, BlobInfo, BlobStore, Staged, digest_of, is_digest
from fireline.evidence.media import (
    BinaryContentError,
    binary_reason,
    guarded_text,
    sniff,
)

__all__ = [
    "HEAD",
    "BinaryContentError",
    "BlobInfo",
    "BlobStore",
    "Staged",
    "digest_of",
    "guarded_text",
    "is_digest",
    "binary_reason",
    "sniff",
]
