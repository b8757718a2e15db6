"""The store-wide transparency log seen from outside: signed checkpoints and inclusion proofs.

`sign_checkpoint` signs the tree head (a C2SP signed note, see `ledger/notes.py`) when the tree
grew since the last one; `prove` gives the audit path of one event. Verification lives in
`transparency.audit`, publishing to a witness folder or git repository in `transparency.publish`.
See docs/transparency-log.md.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from fireline.config import Settings
from fireline.errors import IntegrityError, NotFoundError
from fireline.ledger import merkle, notes, tlog
from fireline.ledger.checkpoints import Signer, key_id_of


def origin_for(settings: Settings, public_key: Ed25519PublicKey) -> str:
    """The checkpoint origin: the `log_origin` setting, else fireline/<key id>."""
    return settings.log_origin or notes.default_origin(key_id_of(public_key))


def sign_checkpoint(conn: Connection, signer: Signer, *, origin: str, ts: str) -> str:
    """The signed note of the current tree head, signing (and keeping) one if the tree grew.

    Runs in a write transaction: the head is read under the log's lock, so the note names a
    tree that really existed at one commit.
    """
    head = tlog.get_head(conn, lock=True)
    latest = tlog.latest_checkpoint(conn)
    if latest is not None and latest.size == head.size:
        try:
            checkpoint = notes.signed_by(latest.note, signer.public_key, source="stored checkpoint")
        except IntegrityError:
            checkpoint = None  # signed by another key or damaged: sign the head afresh below
        if checkpoint is not None and checkpoint.origin == origin and checkpoint.root == head.root:
            return latest.note
    note = notes.sign(signer, origin=origin, size=head.size, root=head.root)
    if latest is None or latest.size < head.size:
        tlog.store_checkpoint(conn, tlog.StoredCheckpoint(head.size, head.root.hex(), ts, note))
    return note


@dataclass(frozen=True)
class InclusionProof:
    """Leaf `index` (event `chain_id`/`seq`, hash `event_hash`) is in the tree of `size`."""

    chain_id: str
    seq: int
    index: int
    size: int
    event_hash: str
    path: tuple[bytes, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain_id,
            "seq": self.seq,
            "leaf_index": self.index,
            "tree_size": self.size,
            "event_hash": self.event_hash,
            "leaf_hash": base64.b64encode(tlog.leaf_of(self.event_hash)).decode(),
            "audit_path": [base64.b64encode(h).decode() for h in self.path],
        }

    def verifies(self, root: bytes) -> bool:
        return merkle.verify_inclusion(
            self.index, self.size, tlog.leaf_of(self.event_hash), self.path, root
        )


def parse_proof(data: Any) -> InclusionProof:
    """An InclusionProof from `as_dict` output; ValueError (or KeyError/TypeError) if malformed."""
    path = tuple(base64.b64decode(h, validate=True) for h in data["audit_path"])
    proof = InclusionProof(
        chain_id=str(data["chain"]),
        seq=int(data["seq"]),
        index=int(data["leaf_index"]),
        size=int(data["tree_size"]),
        event_hash=str(data["event_hash"]),
        path=path,
    )
    bytes.fromhex(proof.event_hash)
    if type(data["seq"]) is not int or type(data["leaf_index"]) is not int:
        raise ValueError("not integers")
    return proof


def prove(conn: Connection, chain_id: str, seq: int, *, size: int) -> InclusionProof:
    """The audit path of event `chain_id`/`seq` in the tree of `size` leaves (NotFoundError)."""
    leaf = tlog.find_leaf(conn, chain_id, seq)
    if leaf is None:
        raise NotFoundError(f"no event {seq} in {chain_id}")
    if leaf.index >= size:
        raise NotFoundError(f"{chain_id} event {seq} is not in the tree of {size} leaves yet")
    path = merkle.inclusion_proof(leaf.index, size, tlog.StoredTree(conn).subtree)
    return InclusionProof(chain_id, seq, leaf.index, size, leaf.event_hash, tuple(path))


def covering_checkpoint(
    conn: Connection, signer: Signer, chain_id: str, last_seq: int, *, origin: str, ts: str
) -> str:
    """The earliest stored checkpoint (by this key, of this origin) whose tree holds event
    `last_seq` of `chain_id`, signing the current head if none does: the same events always
    prove against the same checkpoint, which keeps exports deterministic."""
    leaf = tlog.find_leaf(conn, chain_id, last_seq)
    if leaf is None:
        raise IntegrityError(f"{chain_id} event {last_seq} is in no leaf of the log")
    for stored in tlog.list_checkpoints(conn):
        if stored.size <= leaf.index:
            continue
        try:
            checkpoint = notes.signed_by(stored.note, signer.public_key, source="checkpoint")
        except IntegrityError:
            continue
        if checkpoint.origin == origin and checkpoint.size == stored.size:
            return stored.note
    return sign_checkpoint(conn, signer, origin=origin, ts=ts)
