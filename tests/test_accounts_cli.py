"""`fireline token …`, `fireline user password` and `fireline user bootstrap` against a real store,
and the pieces under them: argon2id verification and the throttle's arithmetic."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from fireline.accounts import throttle
from fireline.accounts.verifiers import (
    TOKEN_TEXT,
    hash_password,
    new_token,
    password_matches,
    token_digest,
)
from fireline.cli import app
from fireline.config import load_settings
from fireline.db import make_engine
from fireline.errors import ConfigError, InvalidCommandError
from tests.conftest import START, Cli, Store
from tests.test_accounts_api import everything, registry_kinds

pytestmark = pytest.mark.adapter

LIMITS = throttle.Limits(failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=15))


@pytest.mark.production_argon2
def test_argon2id_hashes_verify_only_their_password() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert password_matches(stored, "a long enough password")
    assert not password_matches(stored, "a long enough passwore")
    assert not password_matches(None, "a long enough password")  # no hash: never a match
    assert not password_matches("not a hash", "anything")
    assert not password_matches(stored, "x" * 2000)
    assert hash_password("a long enough password") != stored  # salted


@pytest.mark.parametrize(
    ("password", "line"),
    [
        ("", "the password must not be empty"),
        ("            ", "the password must not be empty"),
        ("eleven char", "the password is 11 characters; use at least 12"),
        ("x" * 1025, "the password is longer than 1024 characters"),
    ],
)
def test_unfit_passwords_are_refused(password: str, line: str) -> None:
    with pytest.raises(InvalidCommandError) as refused:
        hash_password(password)
    assert refused.value.message == line


def test_tokens_are_random_prefixed_and_kept_as_digests() -> None:
    first, second = new_token(), new_token()
    assert TOKEN_TEXT.fullmatch(first.text)
    assert first.text != second.text
    assert first.sha256 == token_digest(first.text)
    assert len(first.id) == 12


@given(st.lists(st.integers(min_value=0, max_value=40 * 60), max_size=12))
def test_the_throttle_locks_at_the_limit_within_the_window(gaps: list[int]) -> None:
    count, now = throttle.Count(), START
    recent: list[datetime] = []
    for gap in gaps:
        now += timedelta(seconds=gap)
        if throttle.retry_after(count.locked_until, now) is not None:
            continue  # locked: attempts are refused before they are counted
        locked_before = count.lockouts
        count = throttle.after_failure(count, now, LIMITS)
        window_open = recent and now - recent[0] < LIMITS.window
        recent = [*recent, now] if window_open else [now]
        if count.lockouts > locked_before:
            assert len(recent) == LIMITS.failures
            wait = throttle.retry_after(count.locked_until, now)
            assert wait is not None
            assert wait >= 15 * 60
            recent = []
        else:
            assert count.failures == len(recent) < LIMITS.failures


def test_lockouts_double_up_to_a_cap() -> None:
    count, now = throttle.Count(), START
    waits = []
    for _ in range(9):
        for _ in range(LIMITS.failures):
            count = throttle.after_failure(count, now, LIMITS)
        waits.append(throttle.retry_after(count.locked_until, now))
        now += timedelta(days=2)
    assert waits[:3] == [900, 1800, 3600]
    assert waits[-1] == waits[-2] == 900 * 64


def test_token_commands(cli: Cli, store: Store) -> None:
    assert cli("user", "add", "alice", "--role", "admin").exit_code == 0
    assert cli("user", "add", "bob", "--role", "responder", actor="alice").exit_code == 0
    made = cli(
        "token",
        "create",
        "--name",
        "ci-freeze",
        "--scope",
        "read",
        "--expires",
        "90d",
        actor="alice",
    )
    assert made.exit_code == 0, made.output
    header, text, note = made.output.splitlines()
    assert header.startswith("token ")
    assert "(ci-freeze, read) for alice" in header
    assert TOKEN_TEXT.fullmatch(text)
    assert note.startswith("shown once")
    token_id = header.split()[1]
    listed = cli("token", "list", "--format", "json", actor="alice")
    assert [t["id"] for t in json.loads(listed.output)] == [token_id]
    assert text not in listed.output
    engine = make_engine(store.settings.database_url)
    try:
        before = everything(engine)
        for args, line, code in (
            (("token", "create", "--name", "x", "--scope", "root"), "unknown scope 'root'", 2),
            (("token", "create", "--name", "x", "--expires", "soon"), "malformed --expires", 2),
            (("token", "create", "--name", "x", "--expires", "400d"), "at most 365 days", 2),
            (("token", "create", "--name", " ", "--scope", "read"), "--name must not be empty", 2),
            (("token", "revoke", "000000000000"), "no token 000000000000", 3),
            (("token", "revoke", "nope"), "malformed token id 'nope'", 2),
            (("token", "list", "--all"), "only a registry admin may list everyone's", 4),
        ):
            refused = cli(*args, actor="bob")
            assert refused.exit_code == code, refused.output
            assert line in refused.output
            assert len(refused.output.splitlines()) == 1
        # bob may not revoke alice's token; alice (an admin) may.
        refused = cli("token", "revoke", token_id, actor="bob")
        assert refused.exit_code == 4
        assert "credentials of another user" in refused.output
        assert everything(engine) == before
        assert cli("token", "expiry", token_id, "--expires", "7d", actor="alice").exit_code == 0
        revoked = cli("token", "revoke", token_id, "--reason", "rotated", actor="alice")
        assert revoked.exit_code == 0
        assert "token.revoked" in revoked.output
        assert "revoked" in cli("token", "list", "--all", actor="alice").output
        kinds = registry_kinds(engine)
        assert kinds.count("token.created") == 1
        assert "token.expiry_changed" in kinds
    finally:
        engine.dispose()


def test_password_and_bootstrap_commands(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = cli("user", "bootstrap", "--user", "root")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "admin user: root"
    one_time = first.output.splitlines()[1].removeprefix("one-time password: ")
    assert len(one_time) >= 20
    assert cli("user", "bootstrap").output == "accounts already have passwords: nothing to do\n"
    assert cli("user", "add", "bob", "--role", "responder", actor="root").exit_code == 0
    engine = make_engine(store.settings.database_url)
    try:
        before = everything(engine)
        short = cli.runner.invoke(
            app,
            ["user", "password", "bob", "--stdin"],
            input="short\n",
            env={"FIRELINE_ACTOR": "bob"},
        )
        assert short.exit_code == 2
        assert "use at least 12" in short.output
        answers = iter(["bob's new passphrase", "bob's other passphrase"])
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
        differ = cli("user", "password", "bob", actor="bob")
        assert differ.exit_code == 2
        assert "the two passwords differ" in differ.output
        assert everything(engine) == before
        answers = iter(["bob's new passphrase"] * 2)
        own = cli("user", "password", "bob", actor="bob")
        assert own.output == "password set for bob\n"
        reset = cli.runner.invoke(
            app,
            ["user", "password", "bob", "--stdin"],
            input="root resets bob 1\n",
            env={"FIRELINE_ACTOR": "root"},
        )
        assert "a one-time password" in reset.output
        with engine.connect() as conn:
            rows: dict[str, bool] = dict(
                conn.execute(sa.text("SELECT name, must_change FROM passwords")).all()
            )
        assert rows == {"root": True, "bob": True}
        assert one_time not in repr(everything(engine))
        assert cli("verify").exit_code == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"FIRELINE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"},
            "setting 'trusted_proxies' holds 'proxy.internal', not an address or CIDR "
            "(like 10.0.0.5 or 10.0.0.0/8)",
        ),
        (
            {"FIRELINE_AUTH_PROXY_HEADER": "X-User: alice"},
            "setting 'auth_proxy_header' must be a header name like X-Forwarded-User, "
            "got 'X-User: alice'",
        ),
        (
            {"FIRELINE_LOGIN_WINDOW": "0m"},
            "setting 'login_window' must be a duration above 0 like 90d, 12h or 15m, got '0m'",
        ),
        (
            {"FIRELINE_TOKEN_MAX_EXPIRY": "forever"},
            "setting 'token_max_expiry' must be a duration above 0 like 90d, 12h or 15m, "
            "got 'forever'",
        ),
        (
            {"FIRELINE_TOKEN_DEFAULT_EXPIRY": "400d"},
            "setting 'token_default_expiry' (400d) is longer than token_max_expiry (365d)",
        ),
        (
            {"FIRELINE_LOGIN_MAX_FAILURES": "0"},
            "setting 'login_max_failures' must be a whole number from 1 to 999999, got '0'",
        ),
    ],
)
def test_bad_account_settings_are_one_line(env: dict[str, str], line: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"FIRELINE_HOME": str(tmp_path), **env}, cwd=tmp_path)
    assert refused.value.message == line


def test_account_settings_parse(tmp_path: Path) -> None:
    env = {
        "FIRELINE_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16,::1",
        "FIRELINE_AUTH_PROXY_HEADER": "X-Forwarded-User",
        "FIRELINE_TOKEN_DEFAULT_EXPIRY": "1d12h",
    }
    settings = load_settings(env, cwd=tmp_path)
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]
    assert settings.auth_proxy_header == "X-Forwarded-User"
    assert settings.token_default_expiry == timedelta(days=1, hours=12)
