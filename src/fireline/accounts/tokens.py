"""API tokens as the store knows them: who holds a presented token, and the token listings.

A presented token is looked up by the SHA-256 of its text (the store keeps nothing else) and
the stored digest compared in constant time. Its last use goes to `token_usage`, a table with
no event behind it, touched at most once a minute: one event or one write per request would
make every read a write and grow the record with noise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from fireline.accounts.verifiers import TOKEN_TEXT, digests_match, token_digest
from fireline.db import api_tokens, read_only, store_errors, token_usage
from fireline.domain import iso_utc
from fireline.errors import AuthenticationError

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenView:
    """A token's record (never its text or digest), with its state at the time asked."""

    id: str
    user: str
    name: str
    scope: str
    created_at: str
    created_by: str
    expires_at: str
    revoked_at: str | None
    last_used_at: str | None
    state: str  # active, expired or revoked

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.owner,
    api_tokens.c.name,
    api_tokens.c.scope,
    api_tokens.c.created_at,
    api_tokens.c.created_by,
    api_tokens.c.expires_at,
    api_tokens.c.revoked_at,
    token_usage.c.last_used_at,
)
_FROM = api_tokens.outerjoin(token_usage, token_usage.c.token_id == api_tokens.c.id)


def _view(row: Any, now: str) -> TokenView:
    state = "revoked" if row.revoked_at else "expired" if row.expires_at <= now else "active"
    return TokenView(
        id=row.id,
        user=row.owner,
        name=row.name,
        scope=row.scope,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        state=state,
    )


def list_tokens(conn: Connection, now: datetime, *, user: str | None = None) -> list[TokenView]:
    """Tokens, newest first; only `user`'s when given."""
    query = sa.select(*_COLUMNS).select_from(_FROM)
    if user is not None:
        query = query.where(api_tokens.c.owner == user)
    rows = conn.execute(query.order_by(api_tokens.c.created_at.desc(), api_tokens.c.id))
    stamp = iso_utc(now)
    return [_view(row, stamp) for row in rows]


def get_token(conn: Connection, token_id: str, now: datetime) -> TokenView | None:
    row = conn.execute(
        sa.select(*_COLUMNS).select_from(_FROM).where(api_tokens.c.id == token_id)
    ).first()
    return None if row is None else _view(row, iso_utc(now))


def holder(engine: Engine, text: str, now: datetime) -> TokenView:
    """The active token whose text is `text`; AuthenticationError (nothing written) if none."""
    if not TOKEN_TEXT.fullmatch(text):
        raise AuthenticationError("invalid token: a fireline token is fl_ and 43 more characters")
    digest = token_digest(text)
    with read_only(engine) as conn:
        row = conn.execute(
            sa.select(*_COLUMNS, api_tokens.c.sha256)
            .select_from(_FROM)
            .where(api_tokens.c.sha256 == digest)
        ).first()
    if row is None or not digests_match(row.sha256, digest):
        raise AuthenticationError("invalid token")
    token = _view(row, iso_utc(now))
    if token.state == "revoked":
        raise AuthenticationError(f"token {token.id} was revoked at {token.revoked_at}")
    if token.state == "expired":
        raise AuthenticationError(f"token {token.id} expired at {token.expires_at}")
    if token.last_used_at is None or token.last_used_at <= iso_utc(now - TOUCH_EVERY):
        touch(engine, token.id, now)
    return token


def touch(engine: Engine, token_id: str, now: datetime) -> None:
    """Record a use of the token (one row per token, overwritten)."""
    stamp = iso_utc(now)
    with store_errors(), engine.begin() as conn:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        statement = insert(token_usage).values(token_id=token_id, last_used_at=stamp)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[token_usage.c.token_id], set_={"last_used_at": stamp}
            )
        )
