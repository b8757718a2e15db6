"""Masking for exports: PII and precise coordinates hidden in events and text evidence.

Uses `fireline.redaction.mask` (the same masking every view applies for viewers without the
`sensitive` clearance). A masked event keeps its header digests (`payload_sha256`, `hash`,
`prev`) and lists which fields were masked, so the chain's links still check offline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, BinaryIO

from fireline.events import EVENT_KINDS
from fireline.ledger.chain import Event

Masker = Callable[[str], str]
LINE_LIMIT = 1024 * 1024


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


def mask_stream(src: BinaryIO, dst: BinaryIO, apply: Masker) -> None:
    """Copy a text file line by line with every line masked.

    Lines are read at most LINE_LIMIT bytes at a time, so memory stays bounded even for a file
    without newlines (a value split across that boundary could escape masking; log lines are
    far shorter).
    """
    for raw in iter(lambda: src.readline(LINE_LIMIT), b""):
        line = raw.decode("utf-8", errors="surrogateescape")
        dst.write(apply(line).encode("utf-8", errors="surrogateescape"))
