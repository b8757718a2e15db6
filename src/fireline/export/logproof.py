"""`ledger/tlog.json`: the store-wide log's signed checkpoint and an inclusion proof per event.

The writer proves every exported event against the earliest stored checkpoint that covers them
all, so exporting the same incident twice still gives the same bytes; the verifier checks the
note's signature with the export's key and every proof against the note's root, offline.
Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fireline.errors import IntegrityError
from fireline.ledger import notes
from fireline.ledger.chain import Event, canonical
from fireline.transparency import InclusionProof, parse_proof


def log_file(note: str, proofs: Sequence[InclusionProof]) -> bytes:
    data = {"checkpoint": note, "proofs": [proof.as_dict() for proof in proofs]}
    return (canonical(data) + "\n").encode()


def check(data: bytes, events: Sequence[Event], public_key: Ed25519PublicKey) -> str | None:
    """Why the log file does not prove `events` part of the signed tree, or None."""
    try:
        parsed = json.loads(data)
        note = str(parsed["checkpoint"])
        proofs = [parse_proof(item) for item in parsed["proofs"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return "not a transparency log proof file"
    try:
        checkpoint = notes.signed_by(note, public_key, source="its checkpoint")
    except IntegrityError as exc:
        return exc.message
    if len(proofs) != len(events):
        return f"holds {len(proofs)} inclusion proofs for {len(events)} events"
    last = -1
    for event, proof in zip(events, proofs, strict=True):
        where = f"event {event.seq}"
        if (proof.chain_id, proof.seq, proof.event_hash) != (
            event.incident_id,
            event.seq,
            event.hash,
        ):
            return f"{where}: the proof is for another event"
        if proof.size != checkpoint.size or proof.index <= last:
            return f"{where}: leaf {proof.index} is out of place in the tree of {checkpoint.size}"
        if not proof.verifies(checkpoint.root):
            return f"{where}: leaf {proof.index} is not in the signed tree of {checkpoint.size}"
        last = proof.index
    return None
