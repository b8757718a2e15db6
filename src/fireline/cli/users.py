"""`fireline user add|update|list`: the registry of who may act, kept as events."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    app,
    echo,
    emit_model,
    fetch,
    guarded,
    open_store,
    reading,
    recorded,
    remote,
    show_lines,
    write,
)

user_app = typer.Typer(
    help="Register users, their roles, clearances and passwords.", no_args_is_help=True
)
app.add_typer(user_app, name="user")

RoleOption = Annotated[
    list[str],
    typer.Option("--role", help="responder, commander, steward, security, admin or viewer."),
]
ClearanceOption = Annotated[
    list[str], typer.Option("--clearance", help="Clearance to hold, e.g. sensitive.")
]


@user_app.command("add")
@guarded
def add(
    name: Annotated[str, typer.Argument(help="The user's handle (as used with --as).")],
    role: RoleOption = [],  # noqa: B006
    clearance: ClearanceOption = [],  # noqa: B006
    as_: AsOption = None,
) -> None:
    """Register a user (the first one must be an admin; afterwards only admins may)."""
    from fireline.commands import AddUser

    recorded(write(AddUser(name=name, roles=tuple(role), clearances=tuple(clearance)), as_))


@user_app.command("update")
@guarded
def update(
    name: Annotated[str, typer.Argument(help="The user's handle.")],
    role: RoleOption = [],  # noqa: B006
    clearance: ClearanceOption = [],  # noqa: B006
    as_: AsOption = None,
) -> None:
    """Replace a user's roles and clearances."""
    from fireline.commands import UpdateUser

    recorded(write(UpdateUser(name=name, roles=tuple(role), clearances=tuple(clearance)), as_))


@user_app.command("list")
@guarded
def list_(format_: FormatOption = Format.table) -> None:
    """List registered users."""
    server = remote()
    if server is not None:
        registry = fetch(server, "/api/v1/users")
    else:
        from fireline.reads import store

        with reading() as (conn, _settings):
            registry = store.users(conn)
    if format_ is Format.json:
        emit_model(registry["users"])
        return
    show_lines(render_users(registry))


def render_users(registry: dict[str, Any]) -> list[str]:
    found = registry["users"]
    lines = []
    if not found and registry["started"]:
        lines.append("no registered users, yet the registry was started: run `fireline rebuild`")
    elif not found:
        lines.append("no registered users (everyone acts as a responder until the first is added)")
    for user in found:
        clearances = f"  clearances: {', '.join(user['clearances'])}" if user["clearances"] else ""
        lines.append(f"{user['name']:<16} {', '.join(user['roles'])}{clearances}")
    return lines


@user_app.command("password")
@guarded
def password(
    name: Annotated[str, typer.Argument(help="The user whose password to set.")],
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the password from standard input (one line).")
    ] = False,
    as_: AsOption = None,
) -> None:
    """Set a password (yours, or as an admin anyone's: theirs must then be changed at their
    first login). Asked twice, not echoed; or one line from stdin with --stdin."""
    from fireline.accounts import set_password
    from fireline.service import resolve_identity

    chosen = _read_password(stdin)
    ctx = open_store()
    try:
        identity = resolve_identity(as_, ctx.settings)
        user = set_password(ctx, identity, name, chosen)
    finally:
        ctx.close()
    if user != identity.actor:
        echo(f"password set for {user}: a one-time password, to be changed at their first login")
    else:
        echo(f"password set for {user}")


def _read_password(stdin: bool) -> str:
    import sys

    from fireline.accounts.verifiers import check_new_password
    from fireline.cli.session import ask_secret
    from fireline.errors import InvalidCommandError

    if stdin:
        line = sys.stdin.readline()
        return check_new_password(line.removesuffix("\n").removesuffix("\r"))
    first = check_new_password(ask_secret("New password: ", stdin_flag="--stdin"))
    if ask_secret("Again: ", stdin_flag="--stdin") != first:
        raise InvalidCommandError("the two passwords differ; nothing was set")
    return first


@user_app.command("bootstrap")
@guarded
def bootstrap(
    name: Annotated[
        str, typer.Option("--user", help="The admin to create when the registry is empty.")
    ] = "admin",
) -> None:
    """Give a store with no passwords its first admin login: a one-time password, shown once.
    Does nothing once any account has a password."""
    from fireline.accounts import bootstrap_admin

    ctx = open_store()
    try:
        made = bootstrap_admin(ctx, name)
    finally:
        ctx.close()
    if made is None:
        echo("accounts already have passwords: nothing to do")
        return
    echo(f"admin user: {made.user}")
    echo(f"one-time password: {made.password}", masked=False)
    echo("shown once: it must be changed at the first login (POST /api/v1/password)")
