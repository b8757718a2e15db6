"""Masking for exports: PII and precise coordinates hidden in events and text evidence.

Uses `fireline.redaction.mask` (the same masking every view applies for viewers without the
`sensitive` clearance). A masked event lists which fields were masked and keeps `hash` and
`prev`, so the chain's links still check offline. It never keeps what would open a commitment:
its payload salt is withheld, and so is `payload_sha256` when the actor is masked (the header
hash over a known digest would confirm a guessed actor). Events sealed before salts (v1)
commit to their bare payload, so for them a guess can still be confirmed: `unsalted` counts
them for the exporter's warning.
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
    if not masked:
        return event, masked
    digest = None if "actor" in masked else event.payload_sha256
    shown = replace(event, actor=actor, payload=payload, payload_salt=None, payload_sha256=digest)
    return shown, masked


def unsalted(event: Event, masked: tuple[str, ...]) -> bool:
    """True for a masked event sealed before salts: its digests still confirm a guessed text."""
    return bool(masked) and event.payload_salt is None
