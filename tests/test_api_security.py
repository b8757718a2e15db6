"""Every route of the full app needs credentials (a route added without auth fails here), and
hostile headers, paths and bodies get a 4xx problem body, never a 5xx."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts

from fireline.api.app import create_app
from fireline.api.auth import Principal, Writer, authenticated
from fireline.api.headers import is_page
from fireline.domain import ActorId
from tests.conftest import Store
from tests.inprocess import ApiClient, running

pytestmark = pytest.mark.adapter

# Routes that answer without credentials, and why: probes and metrics carry no incident data,
# login (and the password change) take a password instead, the schema and its docs page are
# public by design. Anything else added to the app must refuse an anonymous request with 401.
OPEN = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",  # only while metrics_public (the default); see the test below
        "/api/v1/login",
        "/api/v1/password",  # a password change authenticates by the old password, like login
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        # The public status page (docs/status-page.md): public updates only, by design.
        "/status",
        "/status/status.css",
        "/status/feed.atom",
        "/status/api/v2/summary.json",
        "/status/api/v2/incidents.json",
        "/status/api/v2/components.json",
        "/login",  # the web UI's login form (a password, like /api/v1/login)
        "/",  # a redirect to /incidents, which then asks for a session
    }
)
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


def operations(app: FastAPI) -> Iterator[tuple[str, str, str]]:
    """(method, template, a concrete path with dummy path parameters) for every route."""
    for context in iter_route_contexts(app.router.routes):
        template = context.path
        if not isinstance(template, str):
            continue
        for method in sorted(context.methods or ()):
            if method != "HEAD":
                yield method, template, _PARAM.sub("1", template)


# Browser pages (everything outside /api, the probes and the schema) answer a visitor without
# a session by sending them to the login page; these few are the way in and out themselves.
WEB_OPEN = frozenset({"/login", "/logout", "/"})  # "/" only redirects to /incidents


def is_auth_refusal(response: httpx.Response) -> bool:
    if is_page(response.request.url.path) and response.request.url.path not in WEB_OPEN:
        return response.status_code == 303 and response.headers["location"].startswith(
            "/login?next="
        )
    if response.status_code != 401:
        return False
    body = response.json()
    return (
        response.headers["content-type"] == "application/problem+json"
        and response.headers.get("www-authenticate") == "Bearer"
        and body["error"] == "AuthenticationError"
        and body["exit_code"] == 8
    )


def open_routes(client: ApiClient, app: FastAPI, headers: dict[str, str]) -> list[str]:
    """Every route outside OPEN that answers anything but a 401 problem with these headers."""
    return [
        f"{method} {template} -> {response.status_code}"
        for method, template, path in operations(app)
        if template not in OPEN | WEB_OPEN
        for response in [client.request(method, path, headers=headers)]
        if not is_auth_refusal(response)
    ]


def test_every_route_but_the_open_ones_needs_credentials(store: Store) -> None:
    app = create_app(store.settings)
    with running(app) as client:
        assert open_routes(client, app, {}) == []
    assert len(list(operations(app))) >= 3


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token",
        "Bearer ",
        "Basic YWxpY2U6c2VjcmV0",
        "bearer fl_" + "0" * 40,
        "Bearer " + "A" * 8192,
        "Token abc",
    ],
)
def test_a_wrong_credential_is_401_on_every_route(store: Store, authorization: str) -> None:
    app = create_app(store.settings)
    with running(app) as client:
        assert open_routes(client, app, {"Authorization": authorization}) == []


def test_the_check_catches_a_route_added_without_auth(store: Store) -> None:
    app = create_app(store.settings)
    router = APIRouter(prefix="/api/v1")

    @router.get("/forgotten/{item}")
    def forgotten(item: str) -> dict[str, str]:
        return {"item": item}

    app.include_router(router)
    with running(app) as client:
        assert open_routes(client, app, {}) == ["GET /api/v1/forgotten/{item} -> 200"]


def test_metrics_leave_the_open_list_when_not_public(store: Store) -> None:
    app = create_app(dataclasses.replace(store.settings, metrics_public=False))
    with running(app) as client:
        assert is_auth_refusal(client.get("/metrics"))


def test_a_read_token_cannot_use_a_write_route(store: Store) -> None:
    app = create_app(store.settings)
    router = APIRouter()

    @router.post("/api/v1/probe")
    def probe(principal: Writer) -> dict[str, str]:
        return {"actor": principal.actor}

    app.include_router(router)
    app.dependency_overrides[authenticated] = lambda: Principal(ActorId("carol"), "read")
    with running(app) as client:
        response = client.post("/api/v1/probe")
    assert response.status_code == 403
    assert response.json()["detail"] == "this token's scope is read; write is needed"


# ── hostile input: 4xx problem bodies, never a 5xx ───────────────────────────────────────

HOSTILE_SEGMENTS = [
    "..",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f",
    "%00",
    "INC%0A1",
    "%E2%80%AE",
    "%C0%AF",
    "%ff%fe",
    "A" * 4096,
    "-1",
    "99999999999999999999999999",
    "1e400",
    "%22%3E%3Cscript%3E",
]
HOSTILE_PATHS = [
    "/../../etc/passwd",
    "/api/v1/../../../etc/passwd",
    "/api/v1//incidents",
    "/%2e%2e/%2e%2e/",
    "/api/v1/incidents%00",
    "/" + "a/" * 500,
]


def assert_problem_4xx(response: httpx.Response, what: str) -> None:
    """A 4xx problem body for the API; for a browser page, the same refusal as an HTML error
    page under the page CSP that echoes nothing of the path."""
    assert 400 <= response.status_code < 500, f"{what} -> {response.status_code}"
    if is_page(response.request.url.path):
        assert response.headers["content-type"] == "text/html; charset=utf-8", what
        assert "default-src 'none'" in response.headers["content-security-policy"], what
        assert "etc/passwd" not in response.text, what
        assert "a/a/a/" not in response.text, what
        return
    assert response.headers["content-type"] == "application/problem+json", what
    assert set(response.json()) >= {"type", "title", "status", "detail", "error", "exit_code"}


def hostile_app(store: Store) -> FastAPI:
    """The full app with an admin caller, so hostile input reaches the handlers themselves."""
    app = create_app(store.settings)
    app.dependency_overrides[authenticated] = lambda: Principal(ActorId("alice"), "admin")
    return app


@pytest.mark.slow
def test_hostile_paths_are_4xx_problems(store: Store) -> None:
    app = hostile_app(store)
    with running(app) as client:
        for path in HOSTILE_PATHS:
            assert_problem_4xx(client.get(path), path)
        for method, template, _path in operations(app):
            if template in OPEN or "{" not in template:
                continue
            for segment in HOSTILE_SEGMENTS:
                path = _PARAM.sub(segment, template)
                response = client.request(method, path, json={})
                assert response.status_code < 500, f"{method} {path} -> {response.status_code}"
                if response.status_code >= 400:
                    assert_problem_4xx(response, f"{method} {path}")


HOSTILE_BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"{"),
    ("application/json", b"[]"),
    ("application/json", b"null"),
    ("application/json", b'"text"'),
    ("application/json", b"[" * 5000 + b"]" * 5000),
    ("application/json", b'{"a": 1e999999}'),
    ("application/json", b'{"title": "\\u0000\\ud800"}'),
    ("application/json", b"\xff\xfe\x00{"),
    ("application/json", json.dumps({"x" * 1000: ["y" * 1000] * 100}).encode()),
    ("text/plain", b"hello"),
    ("application/x-www-form-urlencoded", b"a=1&b=2"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nbroken"),
]


@pytest.mark.slow
def test_hostile_bodies_are_4xx_problems(store: Store) -> None:
    app = hostile_app(store)
    with running(app) as client:
        for method, template, path in operations(app):
            if method not in ("POST", "PUT", "PATCH") or template in OPEN:
                continue
            for content_type, body in HOSTILE_BODIES:
                response = client.request(
                    method, path, content=body, headers={"Content-Type": content_type}
                )
                what = f"{method} {template} {content_type} {body[:20]!r}"
                assert response.status_code < 500, f"{what} -> {response.status_code}"
                if response.status_code >= 400:
                    assert_problem_4xx(response, what)


@pytest.mark.slow
def test_hostile_headers_are_4xx_problems_or_ignored(store: Store) -> None:
    app = create_app(store.settings)
    hostile: list[list[tuple[bytes, bytes]]] = [
        [(b"x-request-id", b"a\r\nSet-Cookie: x=1")],
        [(b"x-request-id", b"\x00\x01\x7f")],
        [(b"authorization", b"Bearer \x00\xff")],
        [(b"authorization", b"Bearer " + b"x" * 65536)],
        [(b"content-type", b"application/json; charset=\xff")],
        [(b"x-forwarded-for", b"1.2.3.4, \xff")],
        [(f"x-h{i}".encode(), b"v" * 100) for i in range(200)],
    ]
    with running(app) as client:
        for headers in hostile:
            for method, template, path in operations(app):
                if template in ("/docs", "/docs/oauth2-redirect", "/openapi.json"):
                    continue
                response = client.request(method, path, headers=headers)
                what = f"{method} {template} {headers[0][0]!r}"
                assert response.status_code < 500, f"{what} -> {response.status_code}"
                # Only the login page's own CSRF cookie: nothing a header smuggled in.
                cookies = response.headers.get_list("set-cookie")
                assert all(c.startswith("fireline_login_csrf=") for c in cookies), what
                if response.status_code >= 400:
                    assert_problem_4xx(response, what)
