"""`fireline token create|list|revoke|expiry`: API tokens for the local actor, as events.

The token's text is printed once, by `create`, and kept nowhere: the store holds its SHA-256.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    app,
    echo,
    emit_json,
    guarded,
    open_store,
    recorded,
)

token_app = typer.Typer(help="Make, list and revoke API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")

TokenIdArg = Annotated[str, typer.Argument(metavar="ID", help="The token's id (12 hex digits).")]


@token_app.command("create")
@guarded
def create(
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. ci-freeze.")],
    scope: Annotated[str, typer.Option("--scope", help="read, write or admin.")] = "read",
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="Lifetime like 90d or 12h (default token_default_expiry)."),
    ] = None,
    as_: AsOption = None,
    format_: FormatOption = Format.table,
) -> None:
    """Make an API token for yourself; its text is shown this once."""
    from fireline.accounts import issue_token
    from fireline.domain import parse_duration
    from fireline.service import resolve_identity

    ctx = open_store()
    try:
        identity = resolve_identity(as_, ctx.settings)
        lifetime = (
            ctx.settings.token_default_expiry
            if expires is None
            else parse_duration("--expires", expires)
        )
        issued = issue_token(
            ctx, identity, user=identity.actor, name=name, scope=scope, expires_in=lifetime
        )
    finally:
        ctx.close()
    if format_ is Format.json:
        emit_json(
            {
                "token": issued.text,
                "id": issued.id,
                "user": issued.user,
                "name": issued.name,
                "scope": issued.scope,
                "expires_at": issued.expires_at,
            },
            masked=False,
        )
        return
    echo(
        f"token {issued.id} ({issued.name}, {issued.scope}) for {issued.user}, "
        f"expires {issued.expires_at}"
    )
    echo(issued.text, masked=False)
    echo("shown once: store it now (fireline keeps only its SHA-256)", masked=False)


@token_app.command("list")
@guarded
def list_(
    all_: Annotated[
        bool, typer.Option("--all", help="Everyone's tokens (registry admins).")
    ] = False,
    as_: AsOption = None,
    format_: FormatOption = Format.table,
) -> None:
    """List your tokens (never their text): id, name, scope, state, expiry, last use."""
    from fireline import governance
    from fireline.accounts.tokens import list_tokens
    from fireline.db import read_only
    from fireline.errors import PolicyDeniedError
    from fireline.service import check_identity, resolve_identity

    ctx = open_store()
    try:
        identity = resolve_identity(as_, ctx.settings)
        check_identity(ctx, identity)
        with read_only(ctx.engine) as conn:
            if all_:
                user = governance.get_user(conn, identity.actor)
                if user is None or "admin" not in user.roles:
                    raise PolicyDeniedError(
                        f"only a registry admin may list everyone's tokens ({identity.actor} "
                        "is not one)"
                    )
            found = list_tokens(conn, ctx.clock(), user=None if all_ else identity.actor)
    finally:
        ctx.close()
    if format_ is Format.json:
        emit_json([token.to_json() for token in found])
        return
    if not found:
        echo("no tokens")
    for token in found:
        used = token.last_used_at or "never used"
        echo(
            f"{token.id}  {token.user:<12} {token.name:<20} {token.scope:<5} {token.state:<7} "
            f"expires {token.expires_at}  last used {used}"
        )


@token_app.command("revoke")
@guarded
def revoke(
    token_id: TokenIdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "",
    as_: AsOption = None,
) -> None:
    """Revoke a token: from now on the server refuses it (401). Others' tokens: admins only."""
    from fireline.cli import write
    from fireline.commands import RevokeToken

    recorded(write(RevokeToken(token_id=token_id, reason=reason), as_))


@token_app.command("expiry")
@guarded
def expiry(
    token_id: TokenIdArg,
    expires: Annotated[str, typer.Option("--expires", help="New lifetime from now, like 30d.")],
    as_: AsOption = None,
) -> None:
    """Give a live token a new expiry, counted from now (at most token_max_expiry)."""
    from fireline.cli import write
    from fireline.commands import ChangeTokenExpiry
    from fireline.domain import parse_duration

    lifetime = parse_duration("--expires", expires)
    recorded(write(ChangeTokenExpiry(token_id=token_id, expires_in=lifetime), as_))
