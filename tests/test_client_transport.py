"""Client mode when the other end is not a working fireline server: one line, non-zero, and
nothing written anywhere.

The far end here is the outside world faked at its transport (a plain HTTP server answering
what a proxy, a web page or a broken gateway would), never fireline's own server.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fireline.client.credentials import Credentials, save
from tests.conftest import Cli, Store
from tests.test_cli import refuse

pytestmark = pytest.mark.adapter

INC = "INC-20261123-001"
WRITE = ("log", INC, "fact", "5xx rate 38%")


class Foreign(BaseHTTPRequestHandler):
    """Answers every request by its path: `/html`, `/bad-gateway`, `/moved`, `/unauthorized`."""

    def do_POST(self) -> None:  # the write under test
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        base = self.path.split("/api/", 1)[0]
        status, headers, body = ANSWERS[base]
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/html": (200, {"Content-Type": "text/html"}, b"<html>welcome to nginx</html>"),
    "/bad-gateway": (502, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>"),
    "/moved": (301, {"Location": "https://fireline.example/"}, b""),
    "/unauthorized": (401, {"Content-Type": "text/plain"}, b"no"),
    "/teapot": (418, {"Content-Type": "application/json"}, b'{"detail": 5}'),
    "/events": (201, {"Content-Type": "application/json"}, b'{"events": [{"seq": "x"}]}'),
}


@pytest.fixture
def foreign() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Foreign)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client_mode(monkeypatch: pytest.MonkeyPatch, url: str, token: str = "tok") -> None:
    monkeypatch.setenv("FIRELINE_URL", url)
    monkeypatch.setenv("FIRELINE_TOKEN", token)


def test_an_unreachable_server_is_one_line_exit_6(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client_mode(monkeypatch, url)
    refuse(
        cli,
        store,
        WRITE,
        6,
        f"fireline: error: cannot reach the fireline server at {url}: Connection refused",
    )


def test_an_unknown_host_is_one_line_exit_6(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_mode(monkeypatch, "http://fireline.invalid")
    refuse(cli, store, WRITE, 6, "cannot reach the fireline server at http://fireline.invalid")


def test_tls_to_a_server_that_does_not_speak_it_is_named_as_tls(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch, foreign: str
) -> None:
    url = foreign.replace("http://", "https://")
    client_mode(monkeypatch, url)
    refuse(cli, store, WRITE, 6, f"cannot reach the fireline server at {url}: TLS failed")


@pytest.mark.parametrize(
    ("path", "code", "message"),
    [
        ("/html", 6, "did not answer like a fireline server (HTTP 200, text/html, not JSON)"),
        ("/bad-gateway", 6, "answered HTTP 502 (Bad Gateway) without a problem body"),
        ("/moved", 5, "answered HTTP 301 (a redirect to https://fireline.example/)"),
        ("/teapot", 1, "answered HTTP 418 (I'm a Teapot) without a problem body"),
        ("/events", 6, "answered a write that fireline cannot read"),
    ],
)
def test_an_answer_that_is_not_fireline_is_one_line(
    cli: Cli,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    foreign: str,
    path: str,
    code: int,
    message: str,
) -> None:
    client_mode(monkeypatch, foreign + path)
    refuse(cli, store, WRITE, code, message)


def test_a_401_tells_to_log_in_again_exit_8(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch, foreign: str
) -> None:
    url = foreign + "/unauthorized"
    save(Credentials(url=url, user="alice", token="old"))
    monkeypatch.setenv("FIRELINE_URL", url)  # the stored token for that same server
    refuse(
        cli,
        store,
        WRITE,
        8,
        f"fireline: error: not logged in to the fireline server at {url} (it refused the "
        f"token): run `fireline login {url} --user alice` again",
    )


def test_the_ip_of_the_server_is_shown_unmasked_but_a_token_never(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client_mode(monkeypatch, url, token="ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")
    result = cli(*WRITE)
    assert result.exit_code == 6
    assert "127.0.0.1" in result.stderr
    assert "ghp_" not in result.output
