"""Ed25519 signing keys (created once, file mode 0600) and signed checkpoints of chain heads.

A checkpoint {incident_id, seq, head, ts} signed by the store key lets anyone holding the public
key prove that no event was appended, removed or rewritten behind fireline's back.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fireline.errors import IntegrityError, StoreError
from fireline.ledger.chain import checkpoint_message


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that `incident_id`'s chain had `seq` events ending in `head` at `ts`."""

    incident_id: str
    seq: int
    head: str
    ts: str
    key_id: str
    signature: str

    def message(self) -> bytes:
        return checkpoint_message(
            incident_id=self.incident_id, seq=self.seq, head=self.head, ts=self.ts
        )


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class Signer:
    """Holds the store's private key for the life of a process and signs checkpoints."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    def checkpoint(self, *, incident_id: str, seq: int, head: str, ts: str) -> Checkpoint:
        message = checkpoint_message(incident_id=incident_id, seq=seq, head=head, ts=ts)
        return Checkpoint(incident_id, seq, head, ts, self.key_id, self.sign(message))

    def sign(self, message: bytes) -> str:
        """A hex Ed25519 signature (deterministic: the same message signs to the same bytes)."""
        return self._key.sign(message).hex()


def create_key(private_path: Path, public_path: Path) -> bool:
    """Create the store key pair unless it exists; return whether a key was created.

    The private key is written with O_EXCL and mode 0600 so it is never briefly world-readable.
    A lost public key is re-derived from the private one.
    """
    if private_path.exists():
        if not public_path.exists():
            public_path.write_bytes(public_pem(load_signer(private_path).public_key))
        return False
    private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(public_pem(key.public_key()))
    return True


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_signer(private_path: Path) -> Signer:
    """Load the private key, refusing one that is missing, unreadable or readable by others."""
    try:
        mode = private_path.stat().st_mode
    except FileNotFoundError:
        raise StoreError(f"no signing key at {private_path}; run `fireline init`") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IntegrityError(
            f"signing key {private_path} is accessible to others (mode {stat.S_IMODE(mode):o}); "
            "run chmod 600 on it"
        )
    try:
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise IntegrityError(f"cannot load signing key {private_path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise IntegrityError(f"signing key {private_path} is not an Ed25519 key")
    return Signer(key)


def load_public_key(pem: bytes, *, source: str) -> Ed25519PublicKey:
    """Parse a public key PEM (from the store or an export)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise IntegrityError(f"cannot load public key {source}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise IntegrityError(f"public key {source} is not an Ed25519 key")
    return key


def is_valid(public_key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    """Whether the checkpoint's signature was made by this key over its contents."""
    if checkpoint.key_id != key_id_of(public_key):
        return False
    return is_signed(public_key, checkpoint.message(), checkpoint.signature)


def is_signed(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    """Whether `signature` (hex) is this key's signature over `message`."""
    try:
        public_key.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError, TypeError):  # tampered rows may hold any type
        return False
    return True
