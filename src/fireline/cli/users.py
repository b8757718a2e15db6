"""`fireline user add|update|list`: the registry of who may act, kept as events."""

from __future__ import annotations

from dataclasses import asdict
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
    reading,
    recorded,
    write,
)

user_app = typer.Typer(help="Register users, their roles and clearances.", no_args_is_help=True)
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
    from fireline.domain import REGISTRY_CHAIN
    from fireline.governance import list_users
    from fireline.ledger.store import get_checkpoint

    with reading() as (conn, _settings):
        found = list_users(conn)
        started = get_checkpoint(conn, REGISTRY_CHAIN) is not None
    if format_ is Format.json:
        emit_json([asdict(user) for user in found])
        return
    if not found and started:
        echo("no registered users, yet the registry was started: run `fireline rebuild`")
    elif not found:
        echo("no registered users (everyone acts as a responder until the first is added)")
    for user in found:
        clearances = f"  clearances: {', '.join(user.clearances)}" if user.clearances else ""
        echo(f"{user.name:<16} {', '.join(user.roles)}{clearances}")
