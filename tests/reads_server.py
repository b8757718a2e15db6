"""A real `uvicorn` process serving the API for tests, its caller fixed by the environment
(FIRELINE_TEST_PRINCIPAL, `actor:scope`) until accounts and tokens authenticate requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from fireline.api.app import create_app
from fireline.api.auth import Principal, Scope, authenticated
from fireline.config import load_settings
from fireline.domain import ActorId

ROOT = Path(__file__).resolve().parent.parent


def app() -> FastAPI:
    """The uvicorn factory: the configured store's app, every caller the fixed principal."""
    actor, _, scope = os.environ["FIRELINE_TEST_PRINCIPAL"].partition(":")
    served = create_app(load_settings())
    fixed = Principal(ActorId(actor), _scope(scope or "admin"))
    served.dependency_overrides[authenticated] = lambda: fixed
    return served


def _scope(text: str) -> Scope:
    if text == "read":
        return "read"
    return "write" if text == "write" else "admin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(env: dict[str, str], principal: str) -> Iterator[str]:
    """`uvicorn` on a free port for the store `env` names; yields its URL once it answers."""
    port = free_port()
    child_env = {
        **os.environ,
        **env,
        "FIRELINE_TEST_PRINCIPAL": principal,
        # A server for comparing reads writes nothing of its own: no deadline ticks, no
        # deliveries (the worker would record the overdue slots of the tests' old clocks).
        "FIRELINE_NOTIFY_WORKER": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    child_env.pop("FIRELINE_URL", None)
    command = [sys.executable, "-m", "uvicorn", "--factory", "tests.reads_server:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=child_env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the test server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
