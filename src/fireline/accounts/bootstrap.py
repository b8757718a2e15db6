"""The first account: on a store where nobody has a password, an admin gets a random one-time
password, printed once and replaced at the first login. Never again after: once any account
has a password, bootstrapping does nothing. There is no default password anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fireline import governance
from fireline.accounts.verifiers import hash_password, one_time_password
from fireline.commands import AddUser, SetPassword
from fireline.db import passwords, read_only
from fireline.domain import ActorId, parse_actor
from fireline.errors import PolicyDeniedError
from fireline.service import Context, execute

DEFAULT_ADMIN = "admin"


@dataclass(frozen=True)
class OneTimePassword:
    """Who can log in now, and the password to show them once."""

    user: str
    password: str


def bootstrap_admin(ctx: Context, name: str = DEFAULT_ADMIN) -> OneTimePassword | None:
    """Give the store its first password, or None when some account already has one.

    An empty registry gets `name` as its first user (role admin). A registry kept so far
    without passwords keeps its users: `name` if it is an admin there, else the first admin
    by name; PolicyDeniedError if it has no admin at all.
    """
    wanted = parse_actor(name)
    with read_only(ctx.engine) as conn:
        if conn.execute(sa.select(passwords.c.name).limit(1)).first() is not None:
            return None
        users = governance.list_users(conn)
    admins = [user.name for user in users if "admin" in user.roles]
    if not users:
        execute(AddUser(name=wanted, roles=("admin",)), ActorId(wanted), ctx=ctx)
        target = wanted
    elif wanted in admins:
        target = wanted
    elif admins:
        target = ActorId(admins[0])
    else:
        raise PolicyDeniedError(
            "the user registry has no admin to give the first password to (give someone the "
            "admin role with `fireline user update`)"
        )
    password = one_time_password()
    command = SetPassword(user=target, password_hash=hash_password(password), must_change=True)
    execute(command, ActorId(target), ctx=ctx)
    return OneTimePassword(target, password)
