"""Masking for exports: PII and precise coordinates hidden in events and text evidence.

Uses `fireline.redaction.mask` (the same masking every view applies for viewers without the
`sensitive` clearance). A masked event keeps its header digests (`payload_sha256`, `hash`,
`prev`) and lists which fields were masked, so the chain's links still check offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any, BinaryIO

from fireline.events import EVENT_KINDS
from fireline.ledger.chain import Event

Masker = Callable[[str], str]
LINE_LIMIT = 1024 * 1024
BLOCK = 1024 * 1024


def masker(precision: float) -> Masker:
    from fireline.redaction import mask

    def apply(text: str) -> str:
        return mask(text, coordinate_precision=precision)

    return apply


def mask_value(value: Any, apply: Masker) -> Any:
    """Every string inside a JSON value masked; keys and other types kept."""
    if isinstance(value, str):
        return apply(value)
    if isinstance(value, list):
        return [mask_value(v, apply) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v, apply) for k, v in value.items()}
    return value


def mask_event(event: Event, apply: Masker) -> tuple[Event, tuple[str, ...]]:
    """The event with its actor and payload masked, and the names of the fields that changed."""
    actor = apply(event.actor)
    schema = EVENT_KINDS.get(event.kind)
    verbatim = frozenset() if schema is None else schema.verbatim
    payload = (
        None
        if event.payload is None
        else {
            key: value if key in verbatim else mask_value(value, apply)
            for key, value in event.payload.items()
        }
    )
    masked = tuple(
        name
        for name, changed in (
            ("actor", actor != event.actor),
            ("payload", payload != (None if event.payload is None else dict(event.payload))),
        )
        if changed
    )
    return replace(event, actor=actor, payload=payload), masked


class HashingWriter:
    """Writes through to a file while hashing what was written (no second read)."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        return self._target.write(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def mask_stream(src: BinaryIO, dst: BinaryIO | HashingWriter, apply: Masker) -> None:
    """Copy a text file with every line masked, about BLOCK bytes of whole lines at a time.

    Masking a block of lines in one call is several times faster than line by line; it can only
    mask more (a coordinate pair split across two lines is generalised too). A line longer than
    LINE_LIMIT is taken in pieces, so memory stays bounded even without newlines (a value split
    across that boundary could escape masking; log lines are far shorter).
    """
    block: list[bytes] = []
    size = 0
    for raw in iter(lambda: src.readline(LINE_LIMIT), b""):
        block.append(raw)
        size += len(raw)
        if size >= BLOCK:
            _write_masked(block, dst, apply)
            block, size = [], 0
    _write_masked(block, dst, apply)


def _write_masked(block: list[bytes], dst: BinaryIO | HashingWriter, apply: Masker) -> None:
    if block:
        text = b"".join(block).decode("utf-8", errors="surrogateescape")
        dst.write(apply(text).encode("utf-8", errors="surrogateescape"))
