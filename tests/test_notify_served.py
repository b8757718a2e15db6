"""`fireline serve` runs the outbox worker in-process unless `notify_worker = false`: what is
written while the server runs reaches a subscribed receiver with no `fireline worker` beside
it, and with the setting off nothing is sent."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from fireline.api.app import create_app
from fireline.commands import AddChannel, Declare, Subscribe
from fireline.db import outbox
from fireline.service import Context
from tests.conftest import Store
from tests.factories import run
from tests.inprocess import running


def states(ctx: Context) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(sa.select(outbox.c.state)).scalars())


@pytest.mark.parametrize("worker", [True, False])
def test_the_server_delivers_the_outbox_unless_told_not_to(
    ctx: Context, store: Store, httpserver: HTTPServer, worker: bool
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    run(ctx, AddChannel(name="ops", kind="webhook", url=httpserver.url_for("/hook")))
    run(ctx, Subscribe(channel="ops", events=("declared",)))
    with running(create_app(replace(store.settings, notify_worker=worker))):
        run(ctx, Declare(title="Checkout 5xx", severity="SEV2"))
        deadline = time.monotonic() + (20 if worker else 2)
        while states(ctx) != ["delivered"] and time.monotonic() < deadline:
            time.sleep(0.1)
    if worker:
        assert states(ctx) == ["delivered"]
        assert len(httpserver.log) == 1
        assert httpserver.log[0][0].headers["webhook-id"]
    else:
        assert states(ctx) == ["queued"]
        assert httpserver.log == []
