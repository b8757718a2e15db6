"""Passwords in use: the login, the password change, and the tokens a login hands out.

Every answer to a wrong password is the same whether or not the user exists (and costs the
same time: an unknown user is checked against a dummy hash); the throttle counts both alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from fireline import governance
from fireline.accounts import throttle
from fireline.accounts.verifiers import hash_password, new_token, password_matches
from fireline.commands import CreateToken, LockAccount, SetPassword
from fireline.db import passwords, read_only
from fireline.domain import ActorId, parse_actor
from fireline.errors import (
    AuthenticationError,
    InvalidCommandError,
    PasswordChangeRequiredError,
    TooManyAttemptsError,
)
from fireline.service import Context, Identity, execute

WRONG = "wrong user name or password"


@dataclass(frozen=True)
class IssuedToken:
    """A token just recorded: `text` is shown once and kept nowhere."""

    text: str
    id: str
    user: str
    name: str
    scope: str
    expires_at: str


def issue_token(
    ctx: Context,
    actor: ActorId | Identity,
    *,
    user: str,
    name: str,
    scope: str,
    expires_in: timedelta,
) -> IssuedToken:
    """Make a token for `user` and record it (`token.created`) as `actor`."""
    token = new_token()
    command = CreateToken(
        user=user,
        token_id=token.id,
        name=name,
        scope=scope,
        sha256=token.sha256,
        expires_in=expires_in,
    )
    (event,) = execute(command, actor, ctx=ctx)
    p = event.payload or {}
    return IssuedToken(token.text, p["id"], p["user"], p["name"], p["scope"], p["expires_at"])


def _account_name(user: str) -> str | None:
    try:
        return parse_actor(user)
    except InvalidCommandError:
        return None  # cannot be anyone's: answered as a wrong password


def verify_password(ctx: Context, user: str, password: str, *, address: str) -> tuple[str, bool]:
    """Check `user`'s password from `address` under the throttle: the user's name and whether
    the password is a one-time one. AuthenticationError (wrong), TooManyAttemptsError (429)."""
    now = ctx.clock()
    account_key, address_key = throttle.key("user", user), throttle.key("address", address)
    wait = throttle.locked(ctx.engine, [account_key, address_key], now)
    if wait is not None:
        raise TooManyAttemptsError(
            f"too many failed logins; try again in {wait} seconds", retry_after=wait
        )
    name = _account_name(user)
    stored: str | None = None
    must_change = False
    registered = False
    if name is not None:
        with read_only(ctx.engine) as conn:
            row = conn.execute(sa.select(passwords).where(passwords.c.name == name)).first()
            registered = governance.get_user(conn, name) is not None
        if row is not None:
            stored, must_change = row.hash, row.must_change
    if password_matches(stored if registered else None, password):
        assert name is not None
        throttle.forget(ctx.engine, account_key)
        return name, must_change
    _count_failure(ctx, now, account_key, address_key, name if registered else None)
    raise AuthenticationError(WRONG)


def _count_failure(
    ctx: Context, now: datetime, account_key: str, address_key: str, user: str | None
) -> None:
    settings = ctx.settings
    window = settings.login_window
    lockout = settings.login_lockout
    account = throttle.Limits(settings.login_max_failures, window, lockout)
    address = throttle.Limits(settings.login_address_max_failures, window, lockout)
    locked_until = throttle.record_failure(ctx.engine, account_key, now, account)
    throttle.record_failure(ctx.engine, address_key, now, address)
    if locked_until is not None and user is not None:
        # The lockout, not each guess, goes on the record: one event per lockout period.
        until = datetime.fromisoformat(locked_until.removesuffix("Z") + "+00:00")
        lock = LockAccount(user=user, until=until, failures=settings.login_max_failures)
        execute(lock, ActorId(user), ctx=ctx)


def login(
    ctx: Context, user: str, password: str, *, address: str, host: str, scope: str = "write"
) -> IssuedToken:
    """Exchange a password for a fresh token named `login-<host>`: write scope unless asked
    for another (admin needs the registry role admin, checked like any token's)."""
    name, must_change = verify_password(ctx, user, password, address=address)
    if must_change:
        raise PasswordChangeRequiredError(
            f"{name} holds a one-time password: set a new one first (POST /api/v1/password "
            "with user, password and new_password)"
        )
    return issue_token(
        ctx,
        ActorId(name),
        user=name,
        name=f"login-{host}",
        scope=scope,
        expires_in=ctx.settings.login_token_expiry,
    )


def change_password(
    ctx: Context, user: str, password: str, new_password: str, *, address: str
) -> str:
    """Replace `user`'s password, proven by the current one (a one-time one included)."""
    name, _ = verify_password(ctx, user, password, address=address)
    if new_password == password:
        raise InvalidCommandError("the new password must differ from the current one")
    command = SetPassword(user=name, password_hash=hash_password(new_password))
    execute(command, ActorId(name), ctx=ctx)
    return name


def set_password(ctx: Context, identity: Identity, user: str, password: str) -> str:
    """Set `user`'s password as `identity` (theirs, or an admin's reset). A password someone
    else chose is a one-time one: the user must replace it at their first login."""
    name = parse_actor(user)
    command = SetPassword(
        user=name, password_hash=hash_password(password), must_change=name != identity.actor
    )
    execute(command, identity, ctx=ctx)
    return name
