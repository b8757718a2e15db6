"""The web UI in-process for tests: a real login through `/login`, the session cookie kept by
the client, and every POST given the session's CSRF token.

    with web_client(store) as web:            # alice, a registry admin, is signed in
        page = web.get("/incidents")
        web.post("/incidents", data={...})    # the csrf field is added
        web.as_("bob")                        # a fresh session for another user

Users are created with `add_user(ctx, name, roles, password)`; the app writes with its own
Context, so a test's `ctx` fixture and the app share only the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from fireline import accounts
from fireline.api.app import create_app
from fireline.api.cookies import SESSION_COOKIE, csrf_for
from fireline.commands import AddUser
from fireline.domain import ActorId
from fireline.errors import NotFoundError
from fireline.service import Context, Identity, execute
from tests.conftest import Clock, Store
from tests.inprocess import ApiClient, running

PASSWORD = "correct horse battery staple"
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def add_user(
    ctx: Context,
    name: str,
    roles: tuple[str, ...] = ("commander",),
    *,
    password: str = PASSWORD,
    clearances: tuple[str, ...] = (),
    by: str = "root",
) -> None:
    """Register `name` (the first call also makes `root` the registry admin) with a password
    of their own (not a one-time one)."""
    from fireline import governance
    from fireline.db import read_only

    with read_only(ctx.engine) as conn:
        has_root = governance.get_user(conn, ActorId(by)) is not None
    if not has_root:
        execute(AddUser(name=by, roles=("admin",)), ActorId(by), ctx=ctx)
    command = AddUser(name=name, roles=roles, clearances=clearances)
    execute(command, ActorId(by), ctx=ctx)
    accounts.set_password(ctx, Identity(ActorId(name)), name, password)


def csrf_of(html: str) -> str:
    """The CSRF token a page carries in its `<meta name="csrf-token">`."""
    found = _META.search(html)
    if found is None:
        raise AssertionError("the page has no csrf-token meta")
    return found.group(1)


class WebClient:
    """A browser-like client: cookies kept, redirects not followed (tests look at them)."""

    def __init__(self, client: ApiClient, app: FastAPI) -> None:
        self.client = client
        self.app = app
        self.user = ""

    @property
    def csrf(self) -> str:
        session = self.client.client.cookies.get(SESSION_COOKIE)
        if session is None:
            raise AssertionError("no session: log in first")
        return csrf_for(session)

    def login(self, user: str, password: str = PASSWORD) -> httpx.Response:
        """Log in through the form (GET for its CSRF cookie, then POST)."""
        self.client.client.cookies.clear()
        form = self.client.get("/login")
        response = self.client.post(
            "/login",
            data={"user": user, "password": password, "csrf": csrf_of(form.text)},
        )
        if response.status_code == 303:
            self.user = user
        return response

    def as_(self, user: str, password: str = PASSWORD) -> WebClient:
        response = self.login(user, password)
        assert response.status_code == 303, response.text
        return self

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(
        self, path: str, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """A form POST with the session's CSRF token added (unless `data` has its own)."""
        fields = {"csrf": self.csrf, **(data or {})}
        return self.client.post(path, data=fields, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path, **kwargs)


@contextmanager
def web_client(
    store: Store, user: str | None = "alice", *, clock: Clock | None = None
) -> Iterator[WebClient]:
    """The app over `store`, running in-process (on `clock` when given: the test's); signed
    in as `user` (who must exist with PASSWORD) unless None."""
    app = create_app(store.settings) if clock is None else create_app(store.settings, clock=clock)
    with running(app) as client:
        web = WebClient(client, app)
        if user is not None:
            web.as_(user)
        yield web


def hidden_like_missing(web: WebClient, hidden_id: str, missing_id: str, suffix: str = "") -> None:
    """Assert a hidden incident's page (`/incidents/<id><suffix>`) answers exactly like a
    missing one's, the id aside."""
    hidden = web.get(f"/incidents/{hidden_id}{suffix}")
    missing = web.get(f"/incidents/{missing_id}{suffix}")
    assert hidden.status_code == missing.status_code == NotFoundError.http_status
    assert hidden.text.replace(hidden_id, "X") == missing.text.replace(missing_id, "X")
