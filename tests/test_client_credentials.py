"""The stored login and which server client mode talks to: file modes, refusals, precedence."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from fireline.client import credentials
from fireline.client.credentials import Credentials, CredentialsError, LoginExpiredError
from fireline.client.transport import Server, configured, server_url
from fireline.errors import ConfigError
from tests.conftest import Cli, Store
from tests.test_cli import refuse

pytestmark = pytest.mark.adapter

URL = "http://127.0.0.1:8080"
OTHER = "https://fireline.example"


def stored(url: str = URL, *, expires_at: str | None = "2999-01-01T00:00:00Z") -> Path:
    return credentials.save(
        Credentials(url=url, user="alice", token="flt_s3cret", expires_at=expires_at)
    )


def test_save_writes_an_owner_only_file_in_an_owner_only_folder() -> None:
    path = stored()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path == Path(os.environ["XDG_CONFIG_HOME"]) / "fireline" / "credentials.json"
    assert json.loads(path.read_text())["token"] == "flt_s3cret"
    assert credentials.load() == Credentials(URL, "alice", "flt_s3cret", "2999-01-01T00:00:00Z")
    assert not list(path.parent.glob(".*part")), "no temporary file left behind"


def test_save_tightens_a_config_folder_others_may_enter() -> None:
    folder = credentials.config_dir()
    folder.mkdir(mode=0o755, parents=True)
    folder.chmod(0o755)
    stored()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_config_dir_defaults_to_home_config_and_ignores_a_relative_xdg(tmp_path: Path) -> None:
    home = Path.home()
    assert credentials.config_dir({}) == home / ".config" / "fireline"
    assert credentials.config_dir({"XDG_CONFIG_HOME": "rel"}) == home / ".config" / "fireline"
    assert credentials.config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "fireline"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o601])
def test_a_login_others_can_read_is_refused_with_the_chmod_fix(mode: int) -> None:
    path = stored()
    path.chmod(mode)
    with pytest.raises(CredentialsError) as caught:
        credentials.load()
    assert caught.value.message == (
        f"{path} is readable by others (mode {mode:04o}); fix it with `chmod 600 {path}` "
        "(and revoke the token if others read it)"
    )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"url": "x"}',
        b'{"url": 1, "user": "a", "token": "t"}',
        b"{" * 70000,
    ],
)
def test_a_login_file_fireline_did_not_write_is_refused(content: bytes) -> None:
    path = stored()
    path.write_bytes(content)
    with pytest.raises(CredentialsError, match="is not a fireline login; remove it"):
        credentials.load()


def test_a_symbolic_link_in_place_of_the_login_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text("{}")
    target.chmod(0o600)
    folder = credentials.config_dir()
    folder.mkdir(mode=0o700, parents=True)
    (folder / "credentials.json").symlink_to(target)
    with pytest.raises(CredentialsError, match="cannot read"):
        credentials.load()


def test_no_login_is_local_mode() -> None:
    assert credentials.load() is None
    assert configured({}) is None


def test_env_url_and_token_win_over_the_stored_login() -> None:
    stored()
    assert configured({"FIRELINE_URL": OTHER, "FIRELINE_TOKEN": "envtok"}) == Server(
        OTHER, "envtok"
    )


def test_the_stored_login_alone_is_client_mode() -> None:
    stored()
    assert configured({}) == Server(URL, "flt_s3cret", "alice")


def test_env_url_without_token_uses_the_stored_token_only_for_that_same_server() -> None:
    stored()
    assert configured({"FIRELINE_URL": URL + "/"}) == Server(URL, "flt_s3cret", "alice")
    assert configured({"FIRELINE_URL": OTHER}) == Server(OTHER, None)


def test_an_empty_env_url_forces_local_mode_despite_a_stored_login() -> None:
    stored()
    assert configured({"FIRELINE_URL": ""}) is None


def test_a_token_without_a_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="FIRELINE_TOKEN is set without FIRELINE_URL"):
        configured({"FIRELINE_TOKEN": "t"})


def test_an_expired_stored_login_is_refused_before_any_request() -> None:
    stored(expires_at="2020-01-01T00:00:00Z")
    with pytest.raises(LoginExpiredError) as caught:
        configured({})
    assert caught.value.exit_code == 8
    assert caught.value.message == (
        f"your login to {URL} expired at 2020-01-01T00:00:00Z: "
        f"run `fireline login {URL} --user alice` again"
    )


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("HTTPS://Fireline.Example/", "https://fireline.example"),
        ("https://fireline.example/base/", "https://fireline.example/base"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("  http://localhost  ", "http://localhost"),
    ],
)
def test_server_urls_are_normalised(url: str, normal: str) -> None:
    assert server_url(url) == normal


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://fireline.example", "it must start with http:// or https://"),
        ("fireline.example", "it must start with http:// or https://"),
        ("http://", "it names no host"),
        ("http://:8080", "it names no host"),
        ("http://host:99999", "bad fireline server URL"),
        ("http://host:port", "bad fireline server URL"),
        ("https://bob:pw@fireline.example", "credentials do not belong in the URL"),
        ("https://fireline.example/?a=1", "no query or fragment"),
    ],
)
def test_bad_server_urls_are_one_line(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as caught:
        server_url(url)
    assert "\n" not in caught.value.message
    assert "pw" not in caught.value.message


def test_a_group_readable_login_refuses_every_command_with_nothing_written(
    cli: Cli, store: Store
) -> None:
    path = stored()
    path.chmod(0o644)
    refuse(cli, store, ("log", "INC-20261123-001", "fact", "x"), 5, f"chmod 600 {path}")


@pytest.mark.parametrize(
    "args",
    [("init",), ("rebuild",), ("demo",), ("serve",)],
)
def test_store_commands_refuse_in_client_mode(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.setenv("FIRELINE_URL", "http://127.0.0.1:1")
    refuse(cli, store, args, 2, f"`fireline {args[0]}` works on a local store")


def test_as_is_refused_in_client_mode_before_anything_is_sent(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRELINE_URL", "http://127.0.0.1:1")  # nothing listens: never reached
    refuse(
        cli,
        store,
        ("log", "INC-20261123-001", "fact", "x", "--as", "bob"),
        2,
        "fireline: error: --as is not accepted in client mode: the server acts as the "
        "logged-in user",
    )


def test_logout_without_a_login_says_so(cli: Cli, store: Store) -> None:
    result = cli("logout")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"not logged in (no {credentials.credentials_path()})\n"
