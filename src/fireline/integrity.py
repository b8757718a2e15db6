"""Whole-store verification: every chain, its signed checkpoint, and the key that signed it.

`fireline verify` runs this. It reads the database directly and trusts nothing in it: chains are
re-hashed from the stored bytes and the head of each must match a checkpoint signed by the store
key, which is what catches a tail cut off or an event appended behind fireline's back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from fireline.domain import REGISTRY_CHAIN
from fireline.errors import IntegrityError, NotFoundError
from fireline.events import KNOWN_KINDS
from fireline.ledger import store
from fireline.ledger.chain import Break, ChainReport, verify
from fireline.ledger.checkpoints import Checkpoint, is_valid, load_public_key


@dataclass
class StoreReport:
    """What verification found across the store; `breaks` holds the first break per chain."""

    chains: int = 0
    incident_chains: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def load_store_public_key(path: Path) -> Ed25519PublicKey:
    """The store's public key; verification cannot vouch for anything without it."""
    try:
        pem = path.read_bytes()
    except OSError:
        raise IntegrityError(
            f"no public key at {path}; signatures cannot be checked (run `fireline init`)"
        ) from None
    return load_public_key(pem, source=str(path))


def verify_store(
    conn: Connection, public_key: Ed25519PublicKey, *, incident_ids: list[str] | None = None
) -> StoreReport:
    """Verify the named chains (default: every chain in the store)."""
    report = StoreReport()
    chains = store.list_chains(conn)
    for unknown in sorted(set(incident_ids or ()) - set(chains)):
        raise NotFoundError(f"no incident {unknown}")
    for incident_id in incident_ids if incident_ids is not None else chains:
        chain = verify(incident_id, store.iter_rows(conn, incident_id), known_kinds=KNOWN_KINDS)
        report.chains += 1
        report.incident_chains += incident_id != REGISTRY_CHAIN
        report.events += chain.count
        broken = chain.broken or check_checkpoint(
            chain, store.get_checkpoint(conn, incident_id), public_key
        )
        if broken is not None:
            report.breaks.append(broken)
    return report


def check_checkpoint(
    chain: ChainReport, checkpoint: Checkpoint | None, public_key: Ed25519PublicKey
) -> Break | None:
    """Compare an intact chain's head with its signed checkpoint."""
    incident_id = chain.incident_id
    if checkpoint is None:
        return Break(incident_id, 1, "no signed checkpoint for this chain")
    if not is_valid(public_key, checkpoint):
        # The row's own seq cannot be trusted; name the last event the chain really has.
        return Break(incident_id, max(chain.head_seq, 1), "checkpoint signature does not verify")
    if chain.head_seq > checkpoint.seq:
        return Break(
            incident_id,
            checkpoint.seq + 1,
            f"appended after the last signed checkpoint (seq {checkpoint.seq})",
        )
    if chain.head_seq < checkpoint.seq:
        return Break(
            incident_id,
            chain.head_seq + 1,
            f"missing: the signed checkpoint covers {checkpoint.seq} events, "
            f"only {chain.head_seq} remain",
        )
    if chain.head != checkpoint.head:
        return Break(incident_id, checkpoint.seq, "head differs from the signed checkpoint")
    return None
