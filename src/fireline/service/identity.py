"""Who is acting: the local identity, `--as`, and who may use it.

Local mode has no accounts: it trusts the OS account it runs under, and the actor is the
`actor` setting (FIRELINE_ACTOR) or else the OS login. `--as NAME` records NAME as the actor and
the local identity as `asserted_by`; once the registry has started only a registry admin may do
that. A name in which a redaction detector finds a secret is refused, never stored.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from fireline import governance
from fireline.config import Settings
from fireline.db import read_only
from fireline.domain import ActorId, parse_actor
from fireline.errors import PolicyDeniedError
from fireline.redaction import Redactor
from fireline.service.context import Context
from fireline.service.redacting import require_clean_name


@dataclass(frozen=True)
class Identity:
    """Who the record credits (`actor`) and, when `--as` named someone else, the local identity
    that asserted it (`asserted_by`)."""

    actor: ActorId
    asserted_by: ActorId | None = None

    @property
    def local(self) -> ActorId:
        """The identity the process runs as (FIRELINE_ACTOR or the OS login)."""
        return self.asserted_by or self.actor

    def acting_as(self, actor: ActorId) -> Identity:
        """The same local identity acting as `actor`: asserted by it unless it is `actor`."""
        return Identity(actor, None if actor == self.local else self.local)


def resolve_identity(explicit: str | None, settings: Settings) -> Identity:
    """`--as` names the actor; the local identity is FIRELINE_ACTOR (the config's actor), else
    the OS user. InvalidCommandError for a malformed name."""
    local = Identity(parse_actor(settings.actor or getpass.getuser()))
    return local if explicit is None else local.acting_as(parse_actor(explicit))


def check_identity(ctx: Context, identity: Identity) -> None:
    """`require_identity` on a read connection of its own: for reads, before anything is shown."""
    with read_only(ctx.engine) as conn:
        require_identity(conn, ctx.redactor, identity)


def require_identity(conn: Connection, redactor: Redactor, identity: Identity) -> None:
    """Refuse an actor name that holds a secret, and `--as` from anyone but a registry admin.

    While the registry is empty everyone acts as a responder and may name anyone; from the
    first user on, asserting another actor needs the registry role `admin` (PolicyDeniedError).
    """
    require_clean_name(redactor, "actor", identity.actor)
    asserter = identity.asserted_by
    if asserter is None:
        return
    require_clean_name(redactor, "the local actor", asserter)
    view = governance.actor_view(conn, asserter)
    if view["registry"]["empty"] or "admin" in view["actor"]["roles"]:
        return
    raise PolicyDeniedError(
        f"only a registry admin may act --as someone else ({asserter}, the local actor "
        "from FIRELINE_ACTOR or the OS login, is not one)"
    )
