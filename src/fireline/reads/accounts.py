"""Token listings as one viewer may see them: their own, or everyone's for an admin.

The rule lives here once for the API and the web: everyone's tokens need an admin-scope
credential *and* the registry role admin now (an admin token outlives its holder's role, so
the role is checked on every read). A token the viewer may not manage answers exactly like a
missing one. Token text and digests are never part of a model; the rest is shown unmasked,
as the API always answered it (a login token's name holds the host it was made from).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fireline.reads import Model

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.accounts.tokens import TokenView
    from fireline.service import Context


def sees_all_tokens(conn: Connection, actor: str, *, admin_credential: bool) -> bool:
    """Whether `actor`, calling with a credential of admin scope or not, sees every token."""
    from fireline.governance import get_user

    if not admin_credential:
        return False
    user = get_user(conn, actor)
    return user is not None and "admin" in user.roles


def tokens(ctx: Context, actor: str, *, admin_credential: bool) -> Model:
    """`{"tokens": [TokenView as JSON, newest first], "everyone": bool}`: the viewer's own
    tokens, or everyone's when `sees_all_tokens`."""
    from fireline.accounts.tokens import list_tokens
    from fireline.db import read_only

    with read_only(ctx.engine) as conn:
        everyone = sees_all_tokens(conn, actor, admin_credential=admin_credential)
        found = list_tokens(conn, ctx.clock(), user=None if everyone else actor)
    return {"tokens": [view.to_json() for view in found], "everyone": everyone}


def manageable_token(
    ctx: Context, actor: str, token_id: str, *, admin_credential: bool
) -> TokenView:
    """The token `token_id` if `actor` may manage it (theirs, or anyone's for an admin);
    NotFoundError worded alike for a missing token and someone else's."""
    from fireline.accounts.tokens import get_token
    from fireline.db import read_only
    from fireline.errors import NotFoundError

    with read_only(ctx.engine) as conn:
        view = get_token(conn, token_id, ctx.clock())
        mine = view is not None and view.user == actor
        if not mine and not sees_all_tokens(conn, actor, admin_credential=admin_credential):
            view = None
    if view is None:
        raise NotFoundError(f"no token {token_id}")
    return view
