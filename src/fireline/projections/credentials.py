"""Password verifiers and API tokens, folded from the registry chain's credential events.

Token last use and the login throttle are not here: no event stands behind them (see
`fireline.accounts`), so a rebuild neither needs nor touches them.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from fireline.db import api_tokens, passwords
from fireline.ledger.chain import Event
from fireline.projections.kinds import Applier, Payload


def _password_set(conn: Connection, event: Event, p: Payload) -> None:
    values = {
        "hash": p["hash"],
        "must_change": p["must_change"],
        "set_at": event.ts,
        "set_by": event.actor,
    }
    done = conn.execute(passwords.update().where(passwords.c.name == p["user"]).values(values))
    if done.rowcount == 0:
        conn.execute(passwords.insert(), {"name": p["user"], **values})


def _token_created(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        api_tokens.insert(),
        {
            "id": p["id"],
            "owner": p["user"],
            "name": p["name"],
            "scope": p["scope"],
            "sha256": p["sha256"],
            "created_at": event.ts,
            "created_by": event.actor,
            "expires_at": p["expires_at"],
            "revoked_at": None,
            "revoked_by": None,
        },
    )


def _token_revoked(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        api_tokens.update()
        .where(api_tokens.c.id == p["id"])
        .values(revoked_at=event.ts, revoked_by=event.actor)
    )


def _token_expiry_changed(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        api_tokens.update().where(api_tokens.c.id == p["id"]).values(expires_at=p["expires_at"])
    )


HANDLERS: dict[str, Applier] = {
    "password.set": _password_set,
    "token.created": _token_created,
    "token.revoked": _token_revoked,
    "token.expiry_changed": _token_expiry_changed,
    # account.locked changes no table: the throttle enforces the lock; the event records it.
}
