"""The room's live stream from a real server process: an entry written by the CLI arrives on an
open stream; the stream honours need-to-know (a user without a role gets the missing-incident
answer, and a responder whose role is released is cut off)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from fireline.commands import AssignRole, Declare
from fireline.domain import ActorId, IncidentId
from fireline.service import Context, execute
from tests.browser import web_server
from tests.conftest import Store
from tests.webclient import PASSWORD, add_user, csrf_of

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]
SECRET_TITLE = "Partner contract leak"


def session(url: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10)
    form = client.get("/login")
    answer = client.post(
        "/login", data={"user": user, "password": PASSWORD, "csrf": csrf_of(form.text)}
    )
    assert answer.status_code == 303, answer.text
    return client


def messages(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from an SSE line stream."""
    event, data = "message", ""
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            yield event, data
            event, data = "message", ""


@pytest.fixture
def restricted(ctx: Context) -> IncidentId:
    add_user(ctx, "alice")
    add_user(ctx, "bob", ("responder",))
    add_user(ctx, "mallory", ("responder",))
    declared = execute(
        Declare(title=SECRET_TITLE, severity="SEV2", labels=("restricted",), ic="alice"),
        ActorId("alice"),
        ctx=ctx,
    )
    incident = IncidentId(declared[0].incident_id)
    execute(
        AssignRole(incident_id=incident, role="scribe", holder="bob"), ActorId("alice"), ctx=ctx
    )
    return incident


def test_the_stream_carries_cli_writes_and_honours_need_to_know(
    store: Store, restricted: IncidentId
) -> None:
    env = {**os.environ, **store.env, "FIRELINE_ACTOR": "alice"}
    with web_server(store) as url:
        mallory = session(url, "mallory")
        hidden = mallory.get(f"/incidents/{restricted}/stream")
        missing = mallory.get("/incidents/INC-20991231-999/stream")
        assert hidden.status_code == missing.status_code == 404
        assert SECRET_TITLE not in hidden.text
        assert hidden.text.replace(restricted, "X") == missing.text.replace("INC-20991231-999", "X")

        bob = session(url, "bob")
        with bob.stream("GET", f"/incidents/{restricted}/stream?after=0") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = messages(stream.iter_lines())
            shown: list[str] = []
            while not shown or "bob is scribe" not in shown[-1]:  # the record so far
                kind, data = next(events)
                assert kind == "entry"
                shown.append(json.loads(data)["html"])
            assert "Declared SEV2" in shown[0]
            written = subprocess.run(
                [sys.executable, "-m", "fireline", "log", restricted, "fact", "5xx at 38%"],
                env=env,
                capture_output=True,
                text=True,
            )
            assert written.returncode == 0, written.stderr
            kind, data = next(events)
            assert kind == "entry"
            assert "5xx at 38%" in json.loads(data)["html"]
            released = subprocess.run(
                [sys.executable, "-m", "fireline", "role", "release", restricted, "scribe"],
                env=env,
                capture_output=True,
                text=True,
            )
            assert released.returncode == 0, released.stderr
            rest = list(events)
        assert rest[-1] == ("gone", "{}")
        for client in (mallory, bob):
            client.close()
