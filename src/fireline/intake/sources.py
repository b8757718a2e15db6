"""Alert sources: their secrets made once, and each delivery's sender checked against them.

A bearer secret is shown once and recorded only as its SHA-256 (like API tokens); a generic
source may sign its bodies with HMAC-SHA256 instead, whose key fireline must keep (in
`alert_source_keys`, never on the chain or in exports). PagerDuty senders authenticate with the
`routing_key` in the body, which is that same secret. A wrong or missing one is
AuthenticationError (401) before anything is parsed into a command.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fireline.db import alert_source_keys, alert_sources
from fireline.errors import AuthenticationError, NotFoundError

SECRET_PREFIX = "fls_"
SIGNATURE_HEADER = "x-fireline-signature"


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    auth: str
    secret_sha256: str
    hmac_key: str | None


def make_secret() -> tuple[str, str]:
    """A new source secret and its SHA-256 (what is recorded)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def get_source(conn: Connection, name: str) -> Source:
    """The active source `name` (NotFoundError: unknown, or removed)."""
    row = conn.execute(
        sa.select(alert_sources, alert_source_keys.c.key)
        .outerjoin(alert_source_keys, alert_source_keys.c.name == alert_sources.c.name)
        .where(alert_sources.c.name == name, alert_sources.c.removed_at.is_(None))
    ).first()
    if row is None:
        raise NotFoundError(f"no alert source {name[:64]}")
    return Source(row.name, row.kind, row.auth, row.secret_sha256, row.key)


def authenticate(
    source: Source, headers: Mapping[str, str], raw: bytes, *, routing_key: object = None
) -> None:
    """Refuse (AuthenticationError) a delivery whose sender does not hold the source's secret."""
    if source.auth == "hmac":
        signature = headers.get(SIGNATURE_HEADER, "")
        expected = (
            "sha256=" + hmac.new((source.hmac_key or "").encode(), raw, hashlib.sha256).hexdigest()
        )
        if source.hmac_key and hmac.compare_digest(signature.encode(), expected.encode()):
            return
        raise AuthenticationError(
            f"delivery to {source.name} refused: the {SIGNATURE_HEADER} header is missing or "
            "is not the HMAC-SHA256 of the body under the source's key"
        )
    scheme, _, token = headers.get("authorization", "").partition(" ")
    offered = token.strip() if scheme.lower() == "bearer" else ""
    if not offered and isinstance(routing_key, str):
        offered = routing_key  # PagerDuty Events v2: the routing key is the credential
    if offered and hmac.compare_digest(digest(offered), source.secret_sha256):
        return
    raise AuthenticationError(
        f"delivery to {source.name} refused: no bearer secret, or not this source's"
    )
