"""`fireline token create|list|revoke|expiry`: API tokens for the local actor, as events.

The token's text is printed once, by `create`, and kept nowhere: the store holds its SHA-256.
In client mode each command calls `/api/v1/tokens` as the logged-in user instead (`--as` is
refused there like everywhere in client mode).
"""

from __future__ import annotations

from typing import Annotated, Any

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
    remote,
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
    from fireline.domain import parse_duration

    server = remote(as_)
    if server is not None:
        if expires is not None:
            parse_duration("--expires", expires)  # the same one line as local mode
        from fireline.client import tokens

        made = tokens.create_token(server, name=name, scope=scope, expires_in=expires)
        mine = [t for t in tokens.list_tokens(server) if t.get("id") == made.get("id")]
        made["user"] = mine[0].get("user", "") if mine else server.user or ""
        _show_created(made, format_)
        return
    from fireline.accounts import issue_token
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
    made = {
        "token": issued.text,
        "id": issued.id,
        "user": issued.user,
        "name": issued.name,
        "scope": issued.scope,
        "expires_at": issued.expires_at,
    }
    _show_created(made, format_)


def _show_created(made: dict[str, Any], format_: Format) -> None:
    if format_ is Format.json:
        emit_json({key: made.get(key) for key in _CREATED}, masked=False)
        return
    echo(
        f"token {made['id']} ({made['name']}, {made['scope']}) for {made['user']}, "
        f"expires {made['expires_at']}"
    )
    echo(str(made["token"]), masked=False)
    echo("shown once: store it now (fireline keeps only its SHA-256)", masked=False)


_CREATED = ("token", "id", "user", "name", "scope", "expires_at")


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
    server = remote(as_)
    if server is not None:
        from fireline.client import tokens

        records = tokens.list_tokens(server)  # everyone's only for an admin-scope credential
        if not all_ and server.user is not None:
            records = [t for t in records if t.get("user") == server.user]
        _show_list(records, format_)
        return
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
    _show_list([token.to_json() for token in found], format_)


def _show_list(records: list[dict[str, Any]], format_: Format) -> None:
    if format_ is Format.json:
        emit_json(records)
        return
    if not records:
        echo("no tokens")
    for token in records:
        used = token.get("last_used_at") or "never used"
        echo(
            f"{token['id']}  {token['user']:<12} {token['name']:<20} {token['scope']:<5} "
            f"{token['state']:<7} expires {token['expires_at']}  last used {used}"
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

    server = remote(as_)
    if server is not None:  # the server records the revocation (token.revoked) itself
        from fireline.client import tokens

        record = tokens.revoke_token(server, token_id)
        echo(f"token {record.get('id', token_id)} revoked ({record.get('state', 'revoked')})")
        return
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
    server = remote(as_)
    if server is not None:
        from fireline.client import tokens

        record = tokens.change_expiry(server, token_id, expires)
        echo(f"token {record.get('id', token_id)} now expires {record.get('expires_at')}")
        return
    recorded(write(ChangeTokenExpiry(token_id=token_id, expires_in=lifetime), as_))
