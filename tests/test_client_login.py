"""`fireline login` and `logout` against a real server process: a password buys a stored
token, a one-time password is replaced on the way, logout revokes the token on the server."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from fireline import accounts
from fireline.cli import app
from fireline.client import credentials
from fireline.client.tokens import list_tokens
from fireline.client.transport import configured
from fireline.commands import AddUser
from fireline.domain import ActorId
from fireline.errors import AuthenticationError
from fireline.service import Identity, execute, open_context
from tests.conftest import Store
from tests.live_server import LiveServer, free_port
from tests.test_imports import CLIENT_FORBIDDEN, REPORT_AT_EXIT

PASSWORD = "correct horse battery staple"

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


def login(url: str, user: str, stdin: str) -> Result:
    return CliRunner().invoke(app, ["login", url, "--user", user, "--password-stdin"], input=stdin)


def one_line(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("fireline: error: ")
    assert message in result.stderr, result.stderr


@pytest.fixture
def server(store: Store) -> Iterator[LiveServer]:
    ctx = open_context(store.settings)
    try:
        execute(AddUser(name=ActorId("alice"), roles=("admin",)), ActorId("alice"), ctx=ctx)
        accounts.set_password(ctx, Identity(ActorId("alice")), "alice", PASSWORD)
    finally:
        ctx.close()
    live = LiveServer(store.env, free_port()).start()
    yield live
    live.stop()


def test_login_stores_a_working_token_owner_only(server: LiveServer) -> None:
    result = login(server.url + "/", "alice", PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    saved = credentials.load()
    assert saved is not None
    assert (saved.url, saved.user) == (server.url, "alice")
    path = credentials.credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert result.stdout.splitlines() == [
        f"logged in to {server.url} as alice; the token expires {saved.expires_at}",
        f"  token stored in {path} (mode 0600)",
    ]
    assert saved.token not in result.output
    answer = httpx.get(
        server.url + "/api/v1/tokens", headers={"Authorization": f"Bearer {saved.token}"}
    )
    assert answer.status_code == 200
    (mine,) = answer.json()["tokens"]
    assert mine["id"] == saved.token_id
    assert mine["name"].startswith("login-")
    assert mine["scope"] == "write"


def test_login_with_admin_scope_manages_the_registry(server: LiveServer) -> None:
    argv = ["login", server.url, "--user", "alice", "--password-stdin", "--scope", "admin"]
    assert CliRunner().invoke(app, argv, input=PASSWORD + "\n").exit_code == 0
    added = CliRunner().invoke(app, ["user", "add", "bob", "--role", "responder"])
    assert added.exit_code == 0, added.output
    assert re.fullmatch(r"REGISTRY event \d+: user.added\n", added.stdout)
    argv[-1] = "root"
    one_line(CliRunner().invoke(app, argv, input=PASSWORD), 2, "unknown scope 'root'")


def test_a_wrong_password_is_one_line_exit_8_and_stores_nothing(server: LiveServer) -> None:
    one_line(login(server.url, "alice", "wrong\n"), 8, "fireline: error: ")
    assert credentials.load() is None


def test_login_refuses_a_bad_url_and_an_empty_password(server: LiveServer) -> None:
    one_line(login("ftp://x", "alice", PASSWORD), 5, "must start with http:// or https://")
    one_line(login(server.url, "alice", "\n"), 2, "--password-stdin: standard input holds no")
    one_line(login(f"http://127.0.0.1:{free_port()}", "alice", PASSWORD), 6, "cannot reach")
    assert credentials.load() is None


def test_logout_revokes_the_token_on_the_server_then_forgets_it(server: LiveServer) -> None:
    assert login(server.url, "alice", PASSWORD).exit_code == 0
    saved = credentials.load()
    assert saved is not None
    result = CliRunner().invoke(app, ["logout"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"logged out of {server.url} (token revoked)\n"
    assert credentials.load() is None
    answer = httpx.get(
        server.url + "/api/v1/tokens", headers={"Authorization": f"Bearer {saved.token}"}
    )
    assert answer.status_code == 401


def test_a_revoked_token_tells_to_log_in_again(server: LiveServer, store: Store) -> None:
    assert login(server.url, "alice", PASSWORD).exit_code == 0
    saved = credentials.load()
    assert saved is not None
    headers = {"Authorization": f"Bearer {saved.token}"}
    httpx.delete(f"{server.url}/api/v1/tokens/{saved.token_id}", headers=headers)
    server_now = configured()
    assert server_now is not None
    with pytest.raises(AuthenticationError) as refused:
        list_tokens(server_now)
    assert refused.value.message == (
        f"not logged in to the fireline server at {server.url} (it refused the token): "
        f"run `fireline login {server.url} --user alice` again"
    )
    # logout still forgets it: there is nothing left to revoke
    result = CliRunner().invoke(app, ["logout"])
    assert result.stdout == f"logged out of {server.url} (the server no longer took the token)\n"


def test_logout_keeps_the_login_when_the_server_is_down_unless_told_to_forget(
    server: LiveServer,
) -> None:
    assert login(server.url, "alice", PASSWORD).exit_code == 0
    server.stop()
    one_line(CliRunner().invoke(app, ["logout"]), 6, "the token is still valid and still stored")
    assert credentials.load() is not None
    result = CliRunner().invoke(app, ["logout", "--forget"])
    assert result.stdout == f"logged out of {server.url} (token deleted here only, not revoked)\n"
    assert credentials.load() is None


@pytest.fixture
def bootstrapped(store: Store) -> Iterator[tuple[LiveServer, str]]:
    ctx = open_context(store.settings)
    try:
        first = accounts.bootstrap_admin(ctx)
    finally:
        ctx.close()
    assert first is not None
    live = LiveServer(store.env, free_port()).start()
    yield live, first.password
    live.stop()


def test_a_one_time_password_is_replaced_at_the_first_login(
    bootstrapped: tuple[LiveServer, str],
) -> None:
    server, once = bootstrapped
    result = login(server.url, "admin", f"{once}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert credentials.load() is not None
    one_line(login(server.url, "admin", once + "\n"), 8, "fireline: error: ")  # spent
    assert login(server.url, "admin", PASSWORD + "\n").exit_code == 0


def test_a_one_time_password_without_a_new_one_is_refused(
    bootstrapped: tuple[LiveServer, str],
) -> None:
    server, once = bootstrapped
    one_line(
        login(server.url, "admin", once + "\n"),
        2,
        "the password to be changed first; put the new one on the second line of standard input",
    )
    assert credentials.load() is None
    one_line(login(server.url, "admin", f"{once}\n{once}\n"), 2, "the new password must differ")


def test_token_commands_talk_to_the_server_in_client_mode(server: LiveServer) -> None:
    assert login(server.url, "alice", PASSWORD).exit_code == 0
    runner = CliRunner()
    made = runner.invoke(app, ["token", "create", "--name", "ci-freeze", "--expires", "7d"])
    assert made.exit_code == 0, made.output
    head, text, note = made.stdout.splitlines()
    assert head.startswith("token ")
    assert "(ci-freeze, read) for alice, expires " in head
    assert note == "shown once: store it now (fireline keeps only its SHA-256)"
    token_id = head.split()[1]
    read = httpx.get(server.url + "/api/v1/tokens", headers={"Authorization": f"Bearer {text}"})
    assert read.status_code == 200
    listed = runner.invoke(app, ["token", "list"])
    assert listed.exit_code == 0, listed.output
    assert any(line.startswith(f"{token_id}  alice") for line in listed.stdout.splitlines())
    revoked = runner.invoke(app, ["token", "revoke", token_id])
    assert revoked.stdout == f"token {token_id} revoked (revoked)\n"
    gone = httpx.get(server.url + "/api/v1/tokens", headers={"Authorization": f"Bearer {text}"})
    assert gone.status_code == 401
    one_line(runner.invoke(app, ["token", "create", "--name", "x", "--expires", "soon"]), 2, "")
    one_line(runner.invoke(app, ["token", "list", "--as", "bob"]), 2, "--as is not accepted")


def test_a_successful_client_write_and_read_load_no_store_or_policy_engine(
    server: LiveServer, tmp_path: Path
) -> None:
    """The import pin of tests/test_imports.py, on the success path against the real server."""
    assert login(server.url, "alice", PASSWORD).exit_code == 0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("FIRELINE_HOME", None)
    code = REPORT_AT_EXIT.format(forbidden=CLIENT_FORBIDDEN)
    for args in (("declare", "Checkout 5xx", "--sev", "SEV2"), ("list",)):
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.splitlines()[-1] == "LOADED:", (args, done.stderr)
    assert not (tmp_path / "fireline-data").exists()
