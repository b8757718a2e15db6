"""Signed tree heads as C2SP signed notes (tlog-checkpoint body, Ed25519 signature lines).

The body is three lines — origin, tree size in decimal, base64 root hash — then a blank line
and one `— <name> <base64(key hash ‖ signature)>` line per signature, where the key hash is the
first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). Existing transparency tooling
(witnesses, `golang.org/x/mod/sumdb/note`) reads these. Pure apart from the key objects.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fireline.errors import IntegrityError
from fireline.ledger.checkpoints import Signer, key_id_of

ED25519 = b"\x01"
DASH = "\u2014"
MAX_NOTE = 64 * 1024


@dataclass(frozen=True)
class Checkpoint:
    """A parsed tree head: origin, size and root, with the note text it came from."""

    origin: str
    size: int
    root: bytes
    text: str

    @property
    def body(self) -> str:
        return body(self.origin, self.size, self.root)


def body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_hash(name: str, public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + _raw(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The note verifier key `<name>+<hex key hash>+<base64(0x01 ‖ public key)>`."""
    encoded = base64.b64encode(ED25519 + _raw(public_key)).decode()
    return f"{name}+{key_hash(name, public_key).hex()}+{encoded}"


def default_origin(signer_key_id: str) -> str:
    return f"fireline/{signer_key_id}"


def sign(signer: Signer, *, origin: str, size: int, root: bytes) -> str:
    """The signed note for (origin, size, root), named after the origin like most logs do."""
    text = body(origin, size, root)
    signature = bytes.fromhex(signer.sign(text.encode()))
    blob = base64.b64encode(key_hash(origin, signer.public_key) + signature).decode()
    return f"{text}\n{DASH} {origin} {blob}\n"


def parse(text: str, *, source: str) -> tuple[Checkpoint, list[tuple[str, bytes, bytes]]]:
    """The checkpoint and its signature lines (name, key hash, signature); IntegrityError if
    the text is not a tlog-checkpoint signed note."""
    if len(text) > MAX_NOTE or not text.endswith("\n"):
        raise IntegrityError(f"{source}: not a signed checkpoint note")
    head, sep, tail = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) < 3:
        raise IntegrityError(f"{source}: not a signed checkpoint note (origin, size, root)")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    try:
        if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
            raise ValueError
        root = base64.b64decode(root_text, validate=True)
        if len(root) != 32 or not origin:
            raise ValueError
    except (ValueError, binascii.Error):
        raise IntegrityError(f"{source}: the checkpoint's size or root hash is malformed") from None
    signatures = []
    for line in tail.removesuffix("\n").split("\n"):
        parts = line.split(" ")
        try:
            if len(parts) != 3 or parts[0] != DASH:
                raise ValueError
            blob = base64.b64decode(parts[2], validate=True)
            if len(blob) < 5:
                raise ValueError
        except (ValueError, binascii.Error):
            raise IntegrityError(f"{source}: malformed signature line {line!r}") from None
        signatures.append((parts[1], blob[:4], blob[4:]))
    checkpoint = Checkpoint(origin, int(size_text), root, text)
    return checkpoint, signatures


def signed_by(text: str, public_key: Ed25519PublicKey, *, source: str) -> Checkpoint:
    """Parse a note and check that `public_key` signed it; IntegrityError naming the key id."""
    checkpoint, signatures = parse(text, source=source)
    message = head_of(text)
    for name, hashed, signature in signatures:
        if hashed != key_hash(name, public_key):
            continue
        try:
            public_key.verify(signature, message)
        except InvalidSignature:
            continue
        return checkpoint
    raise IntegrityError(
        f"{source}: the checkpoint is not signed by key {key_id_of(public_key)} "
        f"(signers named: {', '.join(n for n, _h, _s in signatures) or 'none'})"
    )


def head_of(text: str) -> bytes:
    """The signed part of a note: everything up to and including the line before the blank."""
    return text.partition("\n\n")[0].encode() + b"\n"
