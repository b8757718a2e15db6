"""`fireline login|logout`: trade a password for a stored token, and give the token back.

The password is asked without echo (or read from standard input with `--password-stdin`, for
scripts); the token lands in the owner-only credentials file (`fireline.client.credentials`).
Nothing here opens a store: these commands only talk to the server.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fireline.cli import app, echo, guarded
from fireline.errors import InvalidCommandError


@app.command()
@guarded
def login(
    url: Annotated[str, typer.Argument(help="The fireline server, e.g. https://fireline.example.")],
    user: Annotated[str, typer.Option("--user", help="The account to log in as.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from standard input (a first line; a second line is the "
            "new password when the server demands a change).",
        ),
    ] = False,
    scope: Annotated[
        str,
        typer.Option(
            "--scope",
            help="The login token's scope: read, write or admin (admin: registry admins only).",
        ),
    ] = "write",
) -> None:
    """Log in to a fireline server: stores a token (0600) that client mode then uses."""
    from fireline.client import credentials, session
    from fireline.client.transport import server_url

    server_url(url)  # a bad URL or scope is refused before a password is asked for
    if scope not in ("read", "write", "admin"):
        raise InvalidCommandError(f"unknown scope {scope!r}; allowed: read, write, admin")
    if not user.strip():
        raise InvalidCommandError("give the user to log in as: --user NAME")
    lines = _stdin_lines() if password_stdin else None
    password = _ask(url, user) if lines is None else lines.pop(0) if lines else ""
    if not password and lines is not None:
        raise InvalidCommandError("--password-stdin: standard input holds no password")

    def new_password() -> str:
        if lines is not None:
            if not lines:
                raise InvalidCommandError(
                    "the server requires the password to be changed first; put the new one "
                    "on the second line of standard input"
                )
            return lines.pop(0)
        return _ask_new(user)

    stored = session.login(url, user, password, new_password=new_password, scope=scope)
    path = credentials.save(stored)
    until = f"; the token expires {stored.expires_at}" if stored.expires_at else ""
    echo(f"logged in to {stored.url} as {stored.user}{until}", masked=False)
    echo(f"  token stored in {path} (mode 0600)", masked=False)


def _stdin_lines() -> list[str]:
    """Up to two lines of standard input (password, new password), line ends removed."""
    lines = [line.removesuffix("\r") for line in sys.stdin.read(16 * 1024).split("\n")[:2]]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def ask_secret(prompt: str, *, stdin_flag: str = "--password-stdin") -> str:
    """A password typed at the terminal, never echoed. Without a terminal getpass would fall
    back to reading standard input with the echo on: refused instead, naming `stdin_flag`."""
    import getpass
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(prompt)
        except getpass.GetPassWarning:
            raise InvalidCommandError(
                f"there is no terminal to ask the password on: pipe it in with {stdin_flag}"
            ) from None
        except (EOFError, KeyboardInterrupt):
            raise InvalidCommandError("no password given") from None


def _ask(url: str, user: str) -> str:
    return ask_secret(f"Password for {user} at {url}: ")


def _ask_new(user: str) -> str:
    typer.echo("The server requires a new password for this account.", err=True)
    first = ask_secret(f"New password for {user}: ")
    again = ask_secret("Again: ")
    if first != again:
        raise InvalidCommandError("the two new passwords differ; nothing was changed")
    if not first:
        raise InvalidCommandError("an empty password cannot be set")
    return first


@app.command()
@guarded
def logout(
    forget: Annotated[
        bool,
        typer.Option(
            "--forget", help="Delete the stored login without revoking it (server unreachable)."
        ),
    ] = False,
) -> None:
    """Revoke the stored token on its server and delete it here."""
    from fireline.client import credentials, session

    done = session.logout(forget=forget)
    if done is None:
        echo(f"not logged in (no {credentials.credentials_path()})", masked=False)
        return
    how = (
        "token revoked"
        if done.revoked
        else "token deleted here only, not revoked"
        if forget
        else "the server no longer took the token"
    )
    echo(f"logged out of {done.url} ({how})", masked=False)
