"""Evidence reads: the list, one item, and its content — re-hashed, and masked for the viewer.

The content is never handed out as a path: `content` checks what the viewer may get (a
reference has no file; a file stored unscanned cannot be masked, so only holders of the
`sensitive` clearance may get it) and returns a `Content` whose `copy_to` writes the bytes
after the blob store re-checked their digest, hashing them again on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from fireline.reads import Model
from fireline.reads.sight import as_json, see

if TYPE_CHECKING:
    from fireline.evidence import BlobStore
    from fireline.service import Context
    from fireline.service.identity import Identity


def evidence_list(ctx: Context, identity: Identity, incident_id: str) -> Model:
    """The incident's evidence, in number order."""
    from fireline import queries
    from fireline.db import read_only

    sight = see(ctx, identity, "evidence list", incident_id)
    with read_only(ctx.engine) as conn:
        items = queries.list_evidence(conn, incident_id)
    return sight.mask(as_json([item.as_dict() for item in items]))


def evidence_show(ctx: Context, identity: Identity, incident_id: str, number: int) -> Model:
    """One piece of evidence: digest, size, type, who, when, what was redacted."""
    from fireline import queries
    from fireline.db import read_only

    sight = see(ctx, identity, "evidence show", incident_id)
    with read_only(ctx.engine) as conn:
        item = queries.get_evidence(conn, incident_id, number)
    return sight.mask(as_json(item.as_dict()))


@dataclass(frozen=True)
class Content:
    """An evidence file the viewer may get: its (masked) metadata and how to copy its bytes."""

    item: Model  # the evidence item as `evidence_show` returns it
    sha256: str
    size: int
    scanned: bool
    precision: float | None  # the grid PII is masked to, or None: the bytes as stored
    blobs: BlobStore

    @property
    def masked(self) -> bool:
        return self.precision is not None

    def copy_to(self, dst: BinaryIO) -> None:
        """The blob's bytes to `dst`, re-checked before the first byte and hashed again on the
        way out (IntegrityError if they no longer match; by then some bytes are out, so the
        caller discards what it wrote); PII masked for a viewer without the clearance."""
        if self.precision is None:
            self.blobs.copy_to(self.sha256, dst)
            return
        from fireline.redaction import mask_stream

        with self.blobs.open(self.sha256) as src:  # always: ingest findings are only a hint
            mask_stream(src, dst, coordinate_precision=self.precision)


def content(
    ctx: Context, identity: Identity, incident_id: str, number: int, *, view: str = "evidence get"
) -> Content:
    """What `evidence get` writes, once the viewer may have it: InvalidCommandError for a
    reference, PolicyDeniedError for an unscanned file and a viewer without the clearance."""
    from fireline import queries
    from fireline.db import read_only
    from fireline.errors import InvalidCommandError, PolicyDeniedError

    sight = see(ctx, identity, view, incident_id)
    with read_only(ctx.engine) as conn:
        item = queries.get_evidence(conn, incident_id, number)
    if item.sha256 is None:
        raise InvalidCommandError(
            f"{item.label} on {incident_id} is a reference ({item.ref}); it has no file"
        )
    if sight.precision is not None and not item.scanned:
        raise PolicyDeniedError(
            f"{item.label} on {incident_id} was stored unscanned (not text), so PII in it "
            "cannot be masked; only holders of the sensitive clearance may get it"
        )
    return Content(
        item=sight.mask(as_json(item.as_dict())),
        sha256=item.sha256,
        size=item.size or 0,
        scanned=item.scanned,
        precision=sight.precision,
        blobs=ctx.blobs,
    )
