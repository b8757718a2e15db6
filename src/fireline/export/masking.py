"""Masking for exports: PII and precise coordinates hidden in events and text evidence.

Uses `fireline.redaction.mask` (the same masking every view applies for viewers without the
`sensitive` clearance). A masked event keeps its header digests (`payload_sha256`, `hash`,
`prev`) and lists which fields were masked, so the chain's links still check offline.
"""

from __future__ import annotations

from dataclasses import replace

from fireline.events import EVENT_KINDS
from fireline.ledger.chain import Event


def mask_event(event: Event, precision: float) -> tuple[Event, tuple[str, ...]]:
    """The event with its actor and payload masked, and the names of the fields that changed."""
    from fireline.redaction import mask, mask_data

    actor = mask(event.actor, coordinate_precision=precision)
    schema = EVENT_KINDS.get(event.kind)
    verbatim = frozenset() if schema is None else schema.verbatim
    payload = (
        None
        if event.payload is None
        else {
            key: value if key in verbatim else mask_data(value, coordinate_precision=precision)
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
