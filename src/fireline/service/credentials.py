"""Handlers for credentials: passwords, API tokens and account lockouts, on the registry chain.

Commands carry verifiers only (an argon2id hash, a token's SHA-256): the secrets are made and
checked in `fireline.accounts` and never reach a command, an event or the policy input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from fireline import governance
from fireline.commands import (
    ChangeTokenExpiry,
    CreateToken,
    LockAccount,
    RevokeToken,
    SetPassword,
)
from fireline.db import api_tokens
from fireline.domain import REGISTRY_CHAIN, IncidentId, iso_utc, parse_actor, require_text
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.service.plan import Call, Plan

SCOPES = ("read", "write", "admin")
TOKEN_ID = re.compile(r"[0-9a-f]{12}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ARGON2ID = re.compile(r"\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")
NAME_LIMIT = 64


def _registered(call: Call, name: str) -> governance.User:
    user = governance.get_user(call.conn, parse_actor(name))
    if user is None:
        raise NotFoundError(f"no user {name}; add them with `fireline user add`")
    return user


def _set_password(call: Call, cmd: SetPassword) -> Plan:
    user = _registered(call, cmd.user)
    if not _ARGON2ID.fullmatch(cmd.password_hash):
        raise InvalidCommandError("a password must be recorded as an argon2id hash")
    payload = {"user": user.name, "hash": cmd.password_hash, "must_change": cmd.must_change}
    return Plan(IncidentId(REGISTRY_CHAIN), [("password.set", payload)])


def check_lifetime(call: Call, expires_in: timedelta) -> str:
    """The expiry `expires_in` from now, within token_max_expiry; InvalidCommandError if not."""
    longest = call.ctx.settings.token_max_expiry
    if not timedelta(0) < expires_in <= longest:
        raise InvalidCommandError(
            f"--expires must be more than 0 and at most {longest.days} days (token_max_expiry)"
        )
    return iso_utc(call.now + expires_in)


def _create_token(call: Call, cmd: CreateToken) -> Plan:
    user = _registered(call, cmd.user)
    scope = cmd.scope.strip().lower()
    if scope not in SCOPES:
        raise InvalidCommandError(f"unknown scope {cmd.scope!r}; allowed: {', '.join(SCOPES)}")
    if scope == "admin" and "admin" not in user.roles:
        raise InvalidCommandError(
            f"an admin-scope token needs the registry role admin, which {user.name} does not hold"
        )
    if not (TOKEN_ID.fullmatch(cmd.token_id) and _SHA256.fullmatch(cmd.sha256)):
        raise InvalidCommandError("a token must be recorded by its id and SHA-256 digest")
    if _token(call, cmd.token_id, missing_ok=True) is not None:
        raise InvalidCommandError(f"token id {cmd.token_id} is taken; make the token again")
    payload = {
        "id": cmd.token_id,
        "user": user.name,
        "name": require_text("--name", cmd.name, limit=NAME_LIMIT),
        "scope": scope,
        "sha256": cmd.sha256,
        "expires_at": check_lifetime(call, cmd.expires_in),
    }
    return Plan(IncidentId(REGISTRY_CHAIN), [("token.created", payload)])


def _token(call: Call, token_id: str, *, missing_ok: bool = False) -> Any:
    row = call.conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
    if row is None and not missing_ok:
        raise NotFoundError(f"no token {token_id}")
    return row


def _live_token(call: Call, token_id: str) -> Any:
    if not TOKEN_ID.fullmatch(token_id):
        raise InvalidCommandError(f"malformed token id {token_id!r}; ids are 12 hex digits")
    row = _token(call, token_id)
    if row.revoked_at is not None:
        raise InvalidCommandError(f"token {token_id} is already revoked")
    if row.expires_at <= iso_utc(call.now):
        raise InvalidCommandError(f"token {token_id} has already expired")
    return row


def _revoke_token(call: Call, cmd: RevokeToken) -> Plan:
    row = _live_token(call, cmd.token_id)
    payload = {"id": row.id, "user": row.owner, "reason": cmd.reason.strip()}
    return Plan(IncidentId(REGISTRY_CHAIN), [("token.revoked", payload)])


def _change_token_expiry(call: Call, cmd: ChangeTokenExpiry) -> Plan:
    row = _live_token(call, cmd.token_id)
    payload = {"id": row.id, "user": row.owner, "expires_at": check_lifetime(call, cmd.expires_in)}
    return Plan(IncidentId(REGISTRY_CHAIN), [("token.expiry_changed", payload)])


def _lock_account(call: Call, cmd: LockAccount) -> Plan:
    user = _registered(call, cmd.user)
    payload = {"user": user.name, "until": iso_utc(cmd.until), "failures": cmd.failures}
    return Plan(IncidentId(REGISTRY_CHAIN), [("account.locked", payload)])


CREDENTIAL_COMMANDS = (SetPassword, CreateToken, RevokeToken, ChangeTokenExpiry, LockAccount)
CREDENTIAL_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    SetPassword: _set_password,
    CreateToken: _create_token,
    RevokeToken: _revoke_token,
    ChangeTokenExpiry: _change_token_expiry,
    LockAccount: _lock_account,
}
