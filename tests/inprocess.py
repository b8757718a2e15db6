"""The API in-process: the app's lifespan opened and httpx's ASGITransport in front of it, the
way Starlette's TestClient works, without its deprecated httpx bridge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI


class ApiClient:
    """Synchronous calls into an app running on a portal's event loop."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self.portal = portal
        self.client = client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            return await self.client.request(method, path, **kwargs)

        return self.portal.call(call)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


@contextmanager
def running(app: FastAPI, *, lifespan: bool = True) -> Iterator[ApiClient]:
    """`app` started (its lifespan entered unless `lifespan=False`), stopped on exit. A bug
    answers 500 like a real server instead of raising into the test."""
    with start_blocking_portal() as portal:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        try:
            if lifespan:
                with portal.wrap_async_context_manager(app.router.lifespan_context(app)):
                    yield ApiClient(portal, client)
            else:
                yield ApiClient(portal, client)
        finally:
            portal.call(client.aclose)
