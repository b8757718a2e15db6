"""Accounts through the real app: login, tokens, scopes, proxy sign-in, the login throttle and
the one-time admin password, against a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from ipaddress import ip_network
from typing import Any

import pytest
import sqlalchemy as sa

from fireline import accounts
from fireline.api.app import create_app
from fireline.commands import AddUser
from fireline.config import Settings
from fireline.db import events, metadata
from fireline.domain import REGISTRY_CHAIN, ActorId
from fireline.service import Context, Identity, execute, open_context
from tests.conftest import Clock, Store

with warnings.catch_warnings():  # starlette asks for httpx2, which is not packaged here
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

ALICE_PW = "alice correct horse battery"
BOB_PW = "bob's long passphrase 42"
VIC_PW = "viewer vic reads a lot"
Client = Callable[..., TestClient]


def everything(engine: sa.Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table: equal snapshots mean nothing was written."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                tuple(repr(v) for v in row) for row in conn.execute(sa.select(table))
            )
            for table in metadata.sorted_tables
        }


def registry_kinds(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(events.c.kind)
                .where(events.c.incident_id == REGISTRY_CHAIN)
                .order_by(events.c.seq)
            ).scalars()
        )


def seed(ctx: Context) -> None:
    execute(AddUser(name="alice", roles=("admin",)), ActorId("alice"), ctx=ctx)
    execute(AddUser(name="bob", roles=("responder",)), ActorId("alice"), ctx=ctx)
    execute(AddUser(name="vic", roles=("viewer",)), ActorId("alice"), ctx=ctx)
    for name, password in (("alice", ALICE_PW), ("bob", BOB_PW), ("vic", VIC_PW)):
        accounts.set_password(ctx, Identity(ActorId(name)), name, password)


@pytest.fixture
def seeded(store: Store, clock: Clock) -> Store:
    ctx = open_context(store.settings, clock=clock)
    try:
        seed(ctx)
    finally:
        ctx.close()
    return store


@pytest.fixture
def client(seeded: Store, clock: Clock) -> Iterator[Client]:
    """Make clients of one app (settings changed by keyword), each from its own address."""
    opened: list[TestClient] = []

    def make(address: str = "203.0.113.7", **changes: Any) -> TestClient:
        settings: Settings = dataclasses.replace(seeded.settings, **changes)
        test_client = TestClient(create_app(settings, clock=clock), client=(address, 40000))
        test_client.__enter__()
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


def login(http: TestClient, user: str = "alice", password: str = ALICE_PW) -> str:
    answer = http.post("/api/v1/login", json={"user": user, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert "\n" not in body["detail"]
    return body


def test_login_issues_a_write_token_that_authenticates(client: Client, seeded: Store) -> None:
    http = client()
    answer = http.post("/api/v1/login", json={"user": "alice", "password": ALICE_PW, "host": "lap"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["user"] == "alice"
    assert body["token"].startswith("fl_")
    users = http.get("/api/v1/users", headers=bearer(body["token"]))
    assert users.status_code == 200
    assert [u["name"] for u in users.json()["users"]] == ["alice", "bob", "vic"]
    (token,) = http.get("/api/v1/tokens", headers=bearer(body["token"])).json()["tokens"]
    assert token["name"] == "login-lap"
    assert token["scope"] == "write"
    assert token["last_used_at"] is not None
    assert token["state"] == "active"
    assert "token" not in token
    assert "sha256" not in token


def test_login_may_ask_for_an_admin_token_only_for_a_registry_admin(client: Client) -> None:
    http = client()
    answer = http.post(
        "/api/v1/login", json={"user": "alice", "password": ALICE_PW, "scope": "admin"}
    )
    assert answer.status_code == 200, answer.text
    admin = answer.json()["token"]
    (token,) = http.get("/api/v1/tokens", headers=bearer(admin)).json()["tokens"]
    assert token["scope"] == "admin"
    added = http.post(
        "/api/v1/users", json={"name": "dana", "roles": ["responder"]}, headers=bearer(admin)
    )
    assert added.status_code == 201, added.text
    engine = http.app.state.context.engine  # type: ignore[attr-defined]
    before = registry_kinds(engine)
    refused = http.post("/api/v1/login", json={"user": "bob", "password": BOB_PW, "scope": "admin"})
    assert "needs the registry role admin" in problem(refused, 422)["detail"]
    assert registry_kinds(engine) == before


def test_unknown_user_and_wrong_password_get_the_same_answer(client: Client, seeded: Store) -> None:
    http = client()
    before = registry_kinds(http.app.state.context.engine)  # type: ignore[attr-defined]
    wrong = http.post("/api/v1/login", json={"user": "alice", "password": "not it at all"})
    nobody = http.post("/api/v1/login", json={"user": "zed", "password": "not it at all"})
    malformed = http.post("/api/v1/login", json={"user": "no such user!", "password": "x"})
    bodies = [problem(a, 401) for a in (wrong, nobody, malformed)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["detail"] == "wrong user name or password"
    assert bodies[0]["exit_code"] == 8
    assert registry_kinds(http.app.state.context.engine) == before  # type: ignore[attr-defined]


def test_token_create_use_expire_and_revoke(client: Client, clock: Clock) -> None:
    http = client()
    session = login(http)
    made = http.post(
        "/api/v1/tokens",
        json={"name": "ci-freeze", "scope": "read", "expires_in": "1d"},
        headers=bearer(session),
    )
    assert made.status_code == 201, made.text
    read_token = made.json()["token"]
    assert made.json()["scope"] == "read"
    assert made.json()["name"] == "ci-freeze"
    assert http.get("/api/v1/users", headers=bearer(read_token)).status_code == 200
    # A read token writes nothing and makes no tokens.
    denied = http.post(
        "/api/v1/users", json={"name": "eve", "roles": ["responder"]}, headers=bearer(read_token)
    )
    assert problem(denied, 403)["detail"] == "this token's scope is read; admin is needed"
    engine = http.app.state.context.engine  # type: ignore[attr-defined]
    clock.advance(days=2)
    before = everything(engine)
    expired = problem(http.get("/api/v1/users", headers=bearer(read_token)), 401)
    assert expired["error"] == "AuthenticationError"
    assert everything(engine) == before  # an expired token is refused with nothing written
    # Revocation: the next use is refused, and nothing is written by the refusal.
    session = login(http)
    second = http.post(
        "/api/v1/tokens", json={"name": "deploy", "scope": "write"}, headers=bearer(session)
    ).json()
    revoked = http.delete(f"/api/v1/tokens/{second['id']}", headers=bearer(session))
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    before = everything(engine)
    problem(http.get("/api/v1/tokens", headers=bearer(second["token"])), 401)
    assert everything(engine) == before
    assert registry_kinds(engine).count("token.revoked") == 1
    # Expiry change is an event too.
    changed = http.patch(
        f"/api/v1/tokens/{made.json()['id']}", json={"expires_in": "7d"}, headers=bearer(session)
    )
    assert problem(changed, 422)["detail"] == f"token {made.json()['id']} has already expired"
    third = http.post(
        "/api/v1/tokens", json={"name": "short", "scope": "read"}, headers=bearer(session)
    ).json()
    moved = http.patch(
        f"/api/v1/tokens/{third['id']}", json={"expires_in": "7d"}, headers=bearer(session)
    )
    assert moved.status_code == 200
    assert moved.json()["expires_at"] < third["expires_at"]
    assert "token.expiry_changed" in registry_kinds(engine)


def test_scopes_and_other_users_tokens(client: Client) -> None:
    http = client()
    bob = login(http, "bob", BOB_PW)
    alice = login(http)
    # A read token: GET only.
    read = http.post(
        "/api/v1/tokens", json={"name": "r", "scope": "read"}, headers=bearer(bob)
    ).json()["token"]
    refused = http.post(
        "/api/v1/tokens", json={"name": "w", "scope": "write"}, headers=bearer(read)
    )
    assert problem(refused, 403)["detail"] == "this token's scope is read; write is needed"
    # Above the caller's scope only with the password, and admin only for registry admins.
    up = http.post("/api/v1/tokens", json={"name": "a", "scope": "admin"}, headers=bearer(alice))
    assert "without your password" in problem(up, 403)["detail"]
    admin = http.post(
        "/api/v1/tokens",
        json={"name": "a", "scope": "admin", "password": ALICE_PW},
        headers=bearer(alice),
    )
    assert admin.status_code == 201, admin.text
    not_admin = http.post(
        "/api/v1/tokens",
        json={"name": "a", "scope": "admin", "password": BOB_PW},
        headers=bearer(bob),
    )
    assert "registry role admin" in problem(not_admin, 422)["detail"]
    # Bob sees his own tokens; an admin token sees everyone's.
    mine = http.get("/api/v1/tokens", headers=bearer(bob)).json()["tokens"]
    assert {t["user"] for t in mine} == {"bob"}
    every = http.get("/api/v1/tokens", headers=bearer(admin.json()["token"])).json()["tokens"]
    assert {t["user"] for t in every} == {"alice", "bob"}
    # Someone else's token is "not found" to a write token; an admin token may revoke it.
    alices = next(t["id"] for t in every if t["user"] == "alice")
    problem(http.delete(f"/api/v1/tokens/{alices}", headers=bearer(bob)), 404)
    bobs = next(t["id"] for t in mine)
    assert (
        http.delete(f"/api/v1/tokens/{bobs}", headers=bearer(admin.json()["token"])).status_code
        == 200
    )
    # Users: an admin credential adds and changes them.
    added = http.post(
        "/api/v1/users",
        json={"name": "dana", "roles": ["responder"]},
        headers=bearer(admin.json()["token"]),
    )
    assert added.status_code == 201
    assert added.json()["user"]["name"] == "dana"
    assert [e["kind"] for e in added.json()["events"]] == ["user.added"]
    changed = http.patch(
        "/api/v1/users/dana",
        json={"roles": ["responder", "steward"]},
        headers=bearer(admin.json()["token"]),
    )
    assert changed.json()["user"]["roles"] == ["responder", "steward"]
    assert [e["kind"] for e in changed.json()["events"]] == ["user.updated"]
    problem(
        http.post("/api/v1/users", json={"name": "x", "roles": ["admin"]}, headers=bearer(alice)),
        403,
    )


def test_a_viewer_keeps_their_own_tokens(client: Client) -> None:
    http = client()
    vic = login(http, "vic", VIC_PW)
    made = http.post("/api/v1/tokens", json={"name": "ci", "scope": "read"}, headers=bearer(vic))
    assert made.status_code == 201, made.text


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/api/v1/login", {"user": "alice", "password": ""}, "password"),
        ("/api/v1/login", {"user": "alice", "password": ALICE_PW, "otp": "1"}, "otp"),
        ("/api/v1/login", {"user": "alice"}, "password"),
        ("/api/v1/login", {"user": "alice", "password": ALICE_PW, "scope": "root"}, "scope"),
        ("/api/v1/tokens", {"name": "x", "scope": "root"}, "scope"),
        ("/api/v1/tokens", {"name": "x", "scope": "read", "expires_in": "soon"}, "expires_in"),
        ("/api/v1/tokens", {"name": "x", "scope": "read", "expires_in": "400d"}, "--expires"),
        ("/api/v1/tokens", {"name": "x", "scope": "read", "expires_in": "0d"}, "--expires"),
        ("/api/v1/tokens", {"name": "   ", "scope": "read"}, "--name"),
        ("/api/v1/tokens", {"name": "x", "scope": "read", "colour": "red"}, "colour"),
        ("/api/v1/password", {"user": "alice", "password": ALICE_PW, "new_password": ""}, "new"),
        (
            "/api/v1/password",
            {"user": "alice", "password": ALICE_PW, "new_password": "short"},
            "12",
        ),
    ],
)
def test_bad_input_is_one_problem_and_writes_nothing(
    client: Client, path: str, body: dict[str, Any], where: str
) -> None:
    http = client()
    session = login(http)
    engine = http.app.state.context.engine  # type: ignore[attr-defined]
    before = everything(engine)
    answer = http.post(path, json=body, headers=bearer(session))
    found = problem(answer, 422)
    assert where in found["detail"]
    after = everything(engine)
    after.pop("token_usage"), before.pop("token_usage")  # the session token's last use
    assert after == before


def test_malformed_credentials_are_401(client: Client) -> None:
    http = client()
    for header in ("Basic YWxpY2U6eA==", "Bearer", "Bearer fl_short", "Bearer " + "fl_" + "A" * 43):
        body = problem(http.get("/api/v1/users", headers={"Authorization": header}), 401)
        assert body["exit_code"] == 8
    assert problem(http.get("/api/v1/users"), 401)["detail"].startswith("authentication required")


def test_proxy_header_is_honoured_only_from_trusted_proxies(client: Client) -> None:
    proxy = {
        "auth_proxy_header": "X-Forwarded-User",
        "trusted_proxies": (ip_network("10.0.0.0/8"),),
    }
    trusted = client("10.1.2.3", **proxy)
    assert trusted.get("/api/v1/users", headers={"X-Forwarded-User": "bob"}).status_code == 200
    # Scope write: a proxy user writes, but the admin routes need an admin token.
    add = trusted.post(
        "/api/v1/users",
        json={"name": "eve", "roles": ["viewer"]},
        headers={"X-Forwarded-User": "alice"},
    )
    assert problem(add, 403)["detail"] == "this token's scope is write; admin is needed"
    unknown = trusted.get("/api/v1/users", headers={"X-Forwarded-User": "mallory"})
    assert problem(unknown, 401)["detail"] == "the proxy's user is not a registered fireline user"
    outsider = client("203.0.113.9", **proxy)
    problem(outsider.get("/api/v1/users", headers={"X-Forwarded-User": "alice"}), 401)
    off = client("10.1.2.3")  # no auth_proxy_header configured: the header means nothing
    problem(off.get("/api/v1/users", headers={"X-Forwarded-User": "alice"}), 401)


def test_failed_logins_lock_the_account(client: Client, clock: Clock) -> None:
    http = client()
    engine = http.app.state.context.engine  # type: ignore[attr-defined]
    for _ in range(5):
        problem(http.post("/api/v1/login", json={"user": "bob", "password": "guess guess"}), 401)
    locked = http.post("/api/v1/login", json={"user": "bob", "password": BOB_PW})
    body = problem(locked, 429)
    assert body["error"] == "TooManyAttemptsError"
    assert body["exit_code"] == 8
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    assert registry_kinds(engine).count("account.locked") == 1
    # Locked: further guesses are refused unchecked, and neither counted nor recorded.
    before = everything(engine)
    problem(http.post("/api/v1/login", json={"user": "bob", "password": "guess"}), 429)
    assert everything(engine) == before
    # Other accounts from another address are not affected.
    assert (
        client("198.51.100.4")
        .post("/api/v1/login", json={"user": "alice", "password": ALICE_PW})
        .status_code
        == 200
    )
    clock.advance(minutes=16)
    assert login(http, "bob", BOB_PW).startswith("fl_")
    # The lockout doubles when the same account is locked again.
    clock.advance(hours=1)
    for _ in range(5):
        http.post("/api/v1/login", json={"user": "bob", "password": "guess guess"})
    clock.advance(minutes=16)
    again = http.post("/api/v1/login", json={"user": "bob", "password": BOB_PW})
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) > 13 * 60


def test_failed_logins_lock_the_address(client: Client) -> None:
    http = client("192.0.2.50", login_address_max_failures=3, login_max_failures=100)
    for name in ("alice", "bob", "nobody"):
        problem(http.post("/api/v1/login", json={"user": name, "password": "guess guess"}), 401)
    problem(http.post("/api/v1/login", json={"user": "vic", "password": VIC_PW}), 429)
    elsewhere = client("192.0.2.51", login_address_max_failures=3, login_max_failures=100)
    assert login(elsewhere, "vic", VIC_PW).startswith("fl_")


def test_unknown_names_are_throttled_like_accounts(client: Client) -> None:
    http = client()
    for _ in range(5):
        problem(http.post("/api/v1/login", json={"user": "ghost", "password": "guess guess"}), 401)
    problem(http.post("/api/v1/login", json={"user": "ghost", "password": "guess guess"}), 429)
    engine = http.app.state.context.engine  # type: ignore[attr-defined]
    assert "account.locked" not in registry_kinds(engine)  # nobody to put on the record


def test_forwarded_for_counts_the_client_behind_a_trusted_proxy(client: Client) -> None:
    proxy = {"trusted_proxies": (ip_network("10.0.0.0/8"),), "login_address_max_failures": 2}
    http = client("10.0.0.1", login_max_failures=100, **proxy)
    for name in ("alice", "bob"):
        http.post(
            "/api/v1/login",
            json={"user": name, "password": "guess guess"},
            headers={"X-Forwarded-For": "198.51.100.1, 10.0.0.9"},
        )
    other_client = http.post(
        "/api/v1/login",
        json={"user": "vic", "password": VIC_PW},
        headers={"X-Forwarded-For": "198.51.100.2"},
    )
    assert other_client.status_code == 200
    same_client = http.post(
        "/api/v1/login",
        json={"user": "vic", "password": VIC_PW},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    problem(same_client, 429)


def test_bootstrap_gives_a_one_time_password_once(store: Store, clock: Clock) -> None:
    ctx = open_context(store.settings, clock=clock)
    try:
        made = accounts.bootstrap_admin(ctx)
        assert made is not None
        assert made.user == "admin"
        assert len(made.password) >= 20
        assert accounts.bootstrap_admin(ctx) is None
    finally:
        ctx.close()
    with TestClient(create_app(store.settings, clock=clock)) as http:
        first = http.post("/api/v1/login", json={"user": "admin", "password": made.password})
        assert problem(first, 403)["error"] == "PasswordChangeRequiredError"
        same = http.post(
            "/api/v1/password",
            json={"user": "admin", "password": made.password, "new_password": made.password},
        )
        assert "must differ" in problem(same, 422)["detail"]
        changed = http.post(
            "/api/v1/password",
            json={"user": "admin", "password": made.password, "new_password": "a new long secret"},
        )
        assert changed.status_code == 200
        assert changed.json() == {"user": "admin", "changed": True}
        problem(http.post("/api/v1/login", json={"user": "admin", "password": made.password}), 401)
        assert login(http, "admin", "a new long secret").startswith("fl_")


def test_an_admin_reset_is_a_one_time_password(client: Client, seeded: Store, clock: Clock) -> None:
    ctx = open_context(seeded.settings, clock=clock)
    try:
        accounts.set_password(ctx, Identity(ActorId("alice")), "bob", "reset by alice 123")
    finally:
        ctx.close()
    http = client()
    answer = http.post("/api/v1/login", json={"user": "bob", "password": "reset by alice 123"})
    assert problem(answer, 403)["error"] == "PasswordChangeRequiredError"


@pytest.mark.production_argon2
def test_nothing_secret_lands_in_the_store(client: Client, seeded: Store) -> None:
    http = client()
    session = login(http)
    made = http.post(
        "/api/v1/tokens", json={"name": "ci", "scope": "read"}, headers=bearer(session)
    ).json()
    http.post("/api/v1/login", json={"user": "bob", "password": "a wrong guess"})
    http.post(
        "/api/v1/password",
        json={"user": "vic", "password": VIC_PW, "new_password": "vic's next passphrase"},
    )
    secrets = [
        session,
        made["token"],
        ALICE_PW,
        BOB_PW,
        VIC_PW,
        "vic's next passphrase",
        "a wrong guess",
    ]
    engine = http.app.state.context.engine  # type: ignore[attr-defined]
    text = repr(everything(engine))
    for secret in secrets:
        assert secret not in text
    if seeded.backend == "sqlite":
        raw = b"".join(
            p.read_bytes() for p in seeded.settings.home.glob("fireline.db*") if p.is_file()
        )
        for secret in secrets:
            assert secret.encode() not in raw
    # The argon2id hashes and token digests are there instead, and the record verifies.
    with engine.connect() as conn:
        hashes = conn.execute(sa.text("SELECT hash FROM passwords")).scalars().all()
    assert all(h.startswith("$argon2id$v=19$m=65536,t=3,p=4$") for h in hashes)


def test_the_registry_chain_verifies_and_rebuilds(client: Client, seeded: Store, cli: Any) -> None:
    http = client()
    session = login(http)
    http.post("/api/v1/tokens", json={"name": "ci", "scope": "read"}, headers=bearer(session))
    for _ in range(5):
        http.post("/api/v1/login", json={"user": "bob", "password": "guess guess"})
    engine = http.app.state.context.engine  # type: ignore[attr-defined]
    assert {"password.set", "token.created", "account.locked"} <= set(registry_kinds(engine))
    verified = cli("verify")
    assert verified.exit_code == 0, verified.output
    with engine.connect() as conn:
        tokens_before = conn.execute(sa.text("SELECT * FROM api_tokens ORDER BY id")).all()
        passwords_before = conn.execute(sa.text("SELECT * FROM passwords ORDER BY name")).all()
    rebuilt = cli("rebuild", actor="alice")
    assert rebuilt.exit_code == 0, rebuilt.output
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT * FROM api_tokens ORDER BY id")).all() == tokens_before
        assert (
            conn.execute(sa.text("SELECT * FROM passwords ORDER BY name")).all() == passwords_before
        )
    # The login token still works after the rebuild.
    assert http.get("/api/v1/tokens", headers=bearer(session)).status_code == 200


def test_token_last_use_is_touched_at_most_once_a_minute(client: Client, clock: Clock) -> None:
    http = client()
    session = login(http)
    engine = http.app.state.context.engine  # type: ignore[attr-defined]

    def last_used() -> str:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SELECT last_used_at FROM token_usage")).scalar_one())

    http.get("/api/v1/users", headers=bearer(session))
    first = last_used()
    http.get("/api/v1/users", headers=bearer(session))
    assert last_used() == first  # a second later: not written again
    clock.advance(minutes=2)
    http.get("/api/v1/users", headers=bearer(session))
    assert last_used() > first
    assert registry_kinds(engine).count("token.created") == 1  # uses are never events


def test_longest_lifetime_is_a_setting(client: Client) -> None:
    http = client(token_max_expiry=timedelta(days=10), login_token_expiry=timedelta(days=1))
    session = login(http)
    too_long = http.post(
        "/api/v1/tokens",
        json={"name": "x", "scope": "read", "expires_in": "11d"},
        headers=bearer(session),
    )
    assert problem(too_long, 422)["detail"] == (
        "--expires must be more than 0 and at most 10 days (token_max_expiry)"
    )


def test_an_admin_token_does_not_outlive_its_holders_role(client: Client) -> None:
    http = client()
    alice = login(http)
    bob = login(http, "bob", BOB_PW)
    admin = http.post(
        "/api/v1/tokens",
        json={"name": "a", "scope": "admin", "password": ALICE_PW},
        headers=bearer(alice),
    ).json()["token"]
    assert {
        t["user"] for t in http.get("/api/v1/tokens", headers=bearer(admin)).json()["tokens"]
    } == {"alice", "bob"}
    demoted = http.patch(
        "/api/v1/users/alice", json={"roles": ["responder"]}, headers=bearer(admin)
    )
    assert demoted.status_code == 200
    listed = http.get("/api/v1/tokens", headers=bearer(admin)).json()["tokens"]
    assert {t["user"] for t in listed} == {"alice"}
    bobs = http.get("/api/v1/tokens", headers=bearer(bob)).json()["tokens"][0]["id"]
    problem(http.delete(f"/api/v1/tokens/{bobs}", headers=bearer(admin)), 404)
    refused = http.post(
        "/api/v1/users", json={"name": "eve", "roles": ["viewer"]}, headers=bearer(admin)
    )
    assert "only an admin may change the user registry" in problem(refused, 403)["detail"]


def test_replicas_share_the_throttle(client: Client) -> None:
    """Two apps on one store (two replicas): failures on either count toward one lockout."""
    first, second = client("203.0.113.7"), client("203.0.113.8")
    for replica in (first, first, first, second, second):
        problem(replica.post("/api/v1/login", json={"user": "bob", "password": "guess guess"}), 401)
    for replica in (first, second):
        problem(replica.post("/api/v1/login", json={"user": "bob", "password": BOB_PW}), 429)
