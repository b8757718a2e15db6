"""The real server process under schemathesis: every operation in /openapi.json, fuzzed with
a real admin token, answers no 5xx and nothing its schema does not describe. Also what only a real
server shows: no Server header, oversized headers refused, JSON log lines, graceful exit."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fireline.config import load_settings
from fireline.schema import initialise

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)

pytestmark = pytest.mark.slow


@dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path  # stderr: the JSON log lines
    said: Path  # stdout: what `fireline serve` tells the operator


def fireline(env: dict[str, str], cwd: Path, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "fireline", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def real_token(env: dict[str, str], cwd: Path) -> str:
    """An admin user and an admin-scope API token for them, made the way an operator does."""
    fireline(env, cwd, "user", "add", "alice", "--role", "admin")
    issued = json.loads(
        fireline(
            env, cwd, "token", "create", "--name", "fuzz", "--scope", "admin", "--format", "json"
        )
    )
    token: str = issued["token"]
    return token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real `fireline serve` process over a fresh store, with a real admin token."""
    base = tmp_path_factory.mktemp("served")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FIRELINE_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env |= {"FIRELINE_HOME": str(base / "data"), "FIRELINE_ACTOR": "alice"}
    engine, _created = initialise(load_settings(env, cwd=base))
    engine.dispose()
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    token = real_token(env, base)
    port = free_port()
    log, said = base / "server.log", base / "server.out"
    with log.open("wb") as stderr, said.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "fireline", "serve", "--port", str(port)],
            cwd=base,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            pytest.fail(f"server exited: {log.read_text()}")
        time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"server never became ready: {log.read_text()}")
    yield Server(url, token, process, log, said)
    if process.poll() is None:
        process.kill()
        process.wait()


def test_schemathesis_finds_no_5xx_and_no_schema_violation(server: Server) -> None:
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            os.environ.get("FIRELINE_SCHEMATHESIS_EXAMPLES", "8"),
            "--seed",
            os.environ.get("FIRELINE_SCHEMATHESIS_SEED", "13"),
            "--request-timeout",
            "20",
            "--header",
            f"Authorization: Bearer {server.token}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        cwd=server.log.parent,  # its cache and reports stay out of the repository
    )
    report = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, report
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts is not None, report
    assert counts[1] == counts[2], report  # every generated case passed every check
    assert int(counts[1]) > 0
    assert server.token not in server.log.read_text()


def test_the_real_server_sends_no_server_header(server: Server) -> None:
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 200
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def raw_request(server: Server, request: bytes) -> bytes:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(request)
        chunks = []
        try:
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:  # the server answered, then closed on the unread rest
            pass
    return b"".join(chunks)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\x00b\r\nConnection: close\r\n\r\n",
        b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /api/v1/%2e%2e/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\n",
    ],
)
def test_the_real_server_refuses_malformed_requests_with_a_4xx(
    server: Server, request_bytes: bytes
) -> None:
    answer = raw_request(server, request_bytes)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    assert 400 <= status < 500, answer[:200]


def test_access_lines_are_json_and_shutdown_is_graceful(server: Server) -> None:
    httpx.get(f"{server.url}/healthz", headers={"X-Request-Id": "probe-1"})
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=60) == 0
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.strip()]
    probe = [line for line in lines if line.get("request_id") == "probe-1"]
    assert len(probe) == 1
    assert probe[0]["route"] == "/healthz"
    assert probe[0]["logger"] == "fireline.access"
    assert any(line.get("message", "").startswith("Finished server process") for line in lines)
    assert server.said.read_text().splitlines()[-1] == "fireline server stopped"
