"""Secrets and their verifiers: API token text and its SHA-256, passwords and argon2id.

Tokens are 256 random bits, shown once as `fl_<43 base64url characters>` (the prefix lets the
redactor and secret scanners spot a leaked one) and kept only as the SHA-256 of that text: a
random 256-bit secret needs no slow hash. Passwords are people's choices, so they are kept as
argon2id hashes with RFC 9106's second recommended parameters (t=3, m=64 MiB, p=4; about
0.15 s on a 2-core machine); the PHC string records them, so a later change still verifies old
hashes. At most two hashes run at once, bounding the memory a burst of logins can claim.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fireline.errors import InvalidCommandError

TOKEN_PREFIX = "fl_"
TOKEN_TEXT = re.compile(r"fl_[A-Za-z0-9_-]{43}")
PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # argon2 would take more, but a longer one is an attack, not a password

_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
_AT_ONCE = threading.BoundedSemaphore(2)


@dataclass(frozen=True)
class NewToken:
    """A token just made: `text` is shown once; `id` and `sha256` are what the store keeps."""

    text: str
    id: str
    sha256: str


def new_token() -> NewToken:
    text = TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return NewToken(text, secrets.token_hex(6), token_digest(text))


def token_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def digests_match(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode(), b.encode())


def check_new_password(password: str) -> str:
    """A password fit to set: PASSWORD_MIN to PASSWORD_MAX characters, not all whitespace."""
    if not password.strip():
        raise InvalidCommandError("the password must not be empty")
    if len(password) < PASSWORD_MIN:
        raise InvalidCommandError(
            f"the password is {len(password)} characters; use at least {PASSWORD_MIN}"
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidCommandError(f"the password is longer than {PASSWORD_MAX} characters")
    return password


def hash_password(password: str) -> str:
    with _AT_ONCE:
        return _HASHER.hash(check_new_password(password))


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` matches the argon2id hash `stored`; with no hash (unknown user, no
    password set) a dummy hash is checked instead, so both cost the same time."""
    if len(password) > PASSWORD_MAX:
        return False
    with _AT_ONCE:
        try:
            return _HASHER.verify(stored or _dummy_hash(), password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def one_time_password() -> str:
    """A random password to hand over once (the admin bootstrap, a reset): 128 bits."""
    return secrets.token_urlsafe(16)
