"""A real fireline API process for client-mode tests: `uvicorn --factory tests.live_server:app`.

The app is `create_app` over the store FIRELINE_HOME names, exactly as `fireline serve` builds
it; nothing is overridden. `LiveServer` starts it on a free port and waits until it answers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent


def app() -> FastAPI:
    from fireline.api.app import create_app
    from fireline.config import load_settings

    return create_app(load_settings())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    """A uvicorn subprocess serving the store `env` names, on 127.0.0.1:`port`."""

    env: Mapping[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        import httpx

        environ = {**os.environ, **self.env}
        environ["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "src"), str(ROOT), environ.get("PYTHONPATH", "")]
        )
        for key in ("FIRELINE_URL", "FIRELINE_TOKEN"):
            environ.pop(key, None)
        # No outbox worker unless a test asks for one: its deadline tick would record the
        # overdue slots of incidents declared on the tests' old clocks, at moments of its own.
        environ.setdefault("FIRELINE_NOTIFY_WORKER", "false")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "tests.live_server:app"]
            + ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"the server exited: {err}")
            try:
                httpx.get(self.url + "/openapi.json", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the server did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
