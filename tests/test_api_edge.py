"""The layers around every route: access lines and request ids, security headers, CORS, body
limits, and the problem body a bug still gets."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import anyio
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from fireline.api.accesslog import LOGGER, JsonFormatter
from fireline.api.app import create_app
from fireline.api.auth import Principal, Writer, authenticated
from fireline.api.limits import larger_body
from fireline.domain import ActorId
from tests.conftest import Store
from tests.inprocess import running

pytestmark = pytest.mark.adapter

SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


class Note(BaseModel):
    text: str


def edge_app(store: Store, calls: list[str] | None = None, **overrides: object) -> FastAPI:
    """The full app plus test routes: a JSON write, a large-body route, one that crashes."""
    app = create_app(dataclasses.replace(store.settings, **overrides))  # type: ignore[arg-type]
    router = APIRouter()
    seen = calls if calls is not None else []

    @router.post("/api/v1/incidents/{incident_id}/notes", status_code=201)
    def note(incident_id: str, body: Note, principal: Writer) -> dict[str, str]:
        seen.append(body.text)
        return {"incident_id": incident_id}

    @router.post("/api/v1/uploads", status_code=201)
    @larger_body("evidence_max_bytes")
    async def upload(request: Request, principal: Writer) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        seen.append(f"upload {size}")
        return {"size": size}

    @router.post("/api/v1/static", status_code=201, max_body_size=2048)
    async def static(request: Request, principal: Writer) -> dict[str, int]:
        return {"size": len(await request.body())}

    @router.get("/api/v1/crash")
    def crash(principal: Writer) -> None:
        raise RuntimeError(f"boom {SECRET}")

    app.include_router(router)
    app.dependency_overrides[authenticated] = lambda: Principal(ActorId("alice"), "write")
    return app


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == LOGGER]


# ── access log and request id ─────────────────────────────────────────────────────────────


def test_one_json_access_line_per_request_with_template_status_actor(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    with running(edge_app(store)) as client:
        response = client.post(
            f"/api/v1/incidents/INC-20261123-001/notes?token={SECRET}",
            json={"text": "Checkout down"},
            headers={"Authorization": f"Bearer {SECRET}", "X-Request-Id": "req-42.a:b_c"},
        )
        client.get("/healthz")
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "req-42.a:b_c"
    first, second = access_lines(caplog)
    assert set(first) == {
        "ts",
        "level",
        "logger",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "actor",
        "client",
    }
    assert first["request_id"] == "req-42.a:b_c"
    assert first["route"] == "/api/v1/incidents/{incident_id}/notes"
    assert (first["method"], first["status"], first["actor"]) == ("POST", 201, "alice")
    assert isinstance(first["duration_ms"], float)
    assert "actor" not in second  # /healthz is anonymous
    text = "\n".join(json.dumps(line) for line in (first, second))
    assert SECRET not in text
    assert "INC-20261123-001" not in text
    assert "Checkout" not in text


@pytest.mark.parametrize(
    "given",
    ["line\\nbreak", "a" * 129, "", "spa ce", "semi;colon", "é"],
)
def test_a_malformed_request_id_is_replaced(
    store: Store, caplog: pytest.LogCaptureFixture, given: str
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    raw = given.replace("\\n", "\n").encode("utf-8")
    with running(edge_app(store)) as client:
        response = client.get("/healthz", headers=[(b"X-Request-Id", raw)])
    echoed = response.headers["x-request-id"]
    assert response.status_code == 200
    assert len(echoed) == 32
    assert int(echoed, 16) >= 0
    assert access_lines(caplog)[0]["request_id"] == echoed


def test_a_logged_error_names_its_class_and_frames_but_not_its_message() -> None:
    try:
        raise ValueError(f"bad input {SECRET}")
    except ValueError:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, "x", 1, "Exception in ASGI application", None, None
        )
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert SECRET not in line
    fields = json.loads(line)
    assert fields["error"] == "ValueError"
    assert fields["where"][-1].startswith("test_api_edge.py:")
    assert fields["where"][-1].endswith(
        " test_a_logged_error_names_its_class_and_frames_but_not_its_message"
    )


def test_the_formatter_writes_plain_records_as_one_json_line() -> None:
    record = logging.LogRecord("fireline", logging.WARNING, "x", 1, "a\nb", None, None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "a\nb"


# ── security headers, CORS ───────────────────────────────────────────────────────────────

API_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/api/v1/no/such/route", 404),
        ("POST", "/api/v1/incidents/X/notes", 422),
        ("GET", "/api/v1/crash", 500),
    ],
)
def test_every_response_carries_the_security_headers(
    store: Store, method: str, path: str, status: int
) -> None:
    with running(edge_app(store)) as client:
        response = client.request(method, path)
    assert response.status_code == status
    for name, value in API_HEADERS.items():
        assert response.headers[name] == value
    assert "server" not in response.headers
    assert len(response.headers["x-request-id"]) == 32


def test_the_docs_page_may_load_swagger_ui_from_its_cdn_only(store: Store) -> None:
    with running(edge_app(store)) as client:
        response = client.get("/docs")
    csp = response.headers["content-security-policy"]
    assert response.status_code == 200
    assert "script-src https://cdn.jsdelivr.net 'unsafe-inline'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "https://cdn.jsdelivr.net" in response.text


def test_a_bug_answers_a_500_problem_without_its_message(store: Store) -> None:
    with running(edge_app(store)) as client:
        response = client.get("/api/v1/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "internal error: RuntimeError"
    assert SECRET not in response.text


def test_cors_is_off_unless_origins_are_configured(store: Store) -> None:
    preflight = {
        "Origin": "https://ops.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization",
    }
    with running(edge_app(store)) as client:
        off = client.request("OPTIONS", "/api/v1/incidents/X/notes", headers=preflight)
        simple = client.get("/healthz", headers={"Origin": "https://ops.example.com"})
    assert "access-control-allow-origin" not in off.headers
    assert off.status_code == 405
    assert "access-control-allow-origin" not in simple.headers

    app = edge_app(store, cors_origins=("https://ops.example.com",))
    with running(app) as client:
        allowed = client.request("OPTIONS", "/api/v1/incidents/X/notes", headers=preflight)
        other = client.request(
            "OPTIONS",
            "/api/v1/incidents/X/notes",
            headers={**preflight, "Origin": "https://evil.example.net"},
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://ops.example.com"
    assert "access-control-allow-credentials" not in allowed.headers
    assert allowed.headers["content-security-policy"] == API_HEADERS["content-security-policy"]
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


# ── body limits ──────────────────────────────────────────────────────────────────────────


def oversize_note(limit: int) -> bytes:
    return json.dumps({"text": "x" * (limit + 1)}).encode()


def assert_too_large(response: Any, limit: str) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == f"request body is larger than the limit of {limit}"
    assert body["exit_code"] == 2
    assert response.headers["content-security-policy"] == API_HEADERS["content-security-policy"]


def test_a_body_over_the_limit_is_413_and_the_route_never_runs(store: Store) -> None:
    calls: list[str] = []
    with running(edge_app(store, calls, max_body_bytes=1024)) as client:
        response = client.post("/api/v1/incidents/X/notes", content=oversize_note(1024))
        fits = client.post("/api/v1/incidents/X/notes", json={"text": "x" * 900})
    assert_too_large(response, "1 KiB")
    assert fits.status_code == 201
    assert calls == ["x" * 900]


def test_a_chunked_body_is_counted_as_it_streams(store: Store) -> None:
    calls: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        body = oversize_note(1024)
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    with running(edge_app(store, calls, max_body_bytes=1024)) as client:
        response = client.post(
            "/api/v1/incidents/X/notes",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    assert "content-length" not in response.request.headers
    assert_too_large(response, "1 KiB")
    assert calls == []


def test_a_lying_content_length_does_not_get_past_the_limit(store: Store) -> None:
    """Sent straight to the ASGI app: a server in front might have caught the lie first."""
    calls: list[str] = []
    app = edge_app(store, calls, max_body_bytes=1024)
    body = oversize_note(8192)
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/incidents/X/notes",
        "raw_path": b"/api/v1/incidents/X/notes",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"10")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    parts = [body[i : i + 256] for i in range(0, len(body), 256)]

    async def receive() -> dict[str, Any]:
        if parts:
            return {"type": "http.request", "body": parts.pop(0), "more_body": bool(parts)}
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    async def call() -> None:
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    anyio.run(call)
    assert sent[0]["status"] == 413
    assert parts  # the rest of the body was never read
    assert calls == []


def test_a_route_with_its_own_limit_takes_a_larger_body(store: Store) -> None:
    calls: list[str] = []
    app = edge_app(store, calls, max_body_bytes=1024, evidence_max_bytes=4 << 20)
    with running(app) as client:
        big = client.post("/api/v1/uploads", content=b"x" * (2 << 20))
        too_big = client.post("/api/v1/uploads", content=b"x" * ((4 << 20) + 1))
        static = client.post("/api/v1/static", content=b"x" * 2000)
        static_over = client.post("/api/v1/static", content=b"x" * 2049)
    assert big.status_code == 201
    assert big.json() == {"size": 2 << 20}
    assert_too_large(too_big, "4 MiB")
    assert calls == [f"upload {2 << 20}"]
    assert static.json() == {"size": 2000}
    assert_too_large(static_over, "2 KiB")


def test_a_body_limit_must_name_a_byte_size_setting() -> None:
    with pytest.raises(TypeError, match="'timezone' is not a byte-size field"):
        larger_body("timezone")


def test_a_malformed_content_length_is_400(store: Store) -> None:
    with running(edge_app(store)) as client:
        response = client.post(
            "/api/v1/incidents/X/notes",
            content=b"{}",
            headers={"Content-Length": "12abc"},
        )
    assert response.status_code == 400
    assert response.json()["detail"] == "malformed Content-Length header"
