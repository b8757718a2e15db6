"""One error body everywhere: RFC 9457 `application/problem+json`.

The status comes from the FirelineError class (`errors.py`); the body also carries the class
name and the CLI exit code, so a client can answer with the same line and exit code as the
local CLI. Details are redacted and masked like every CLI error line: messages quote input.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fireline.errors import (
    INTERNAL_ERROR_EXIT,
    AuthenticationError,
    FirelineError,
    InvalidCommandError,
)

PROBLEM_TYPE = "application/problem+json"


class Problem(BaseModel):
    """The body of every refusal (RFC 9457, with fireline's `error` and `exit_code`)."""

    type: str
    title: str
    status: int
    detail: str
    error: str
    exit_code: int


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for a route's refusals: each a problem body, so a client (or a schema
    checker) knows the shape and media type of every error answer."""
    schema = Problem.model_json_schema()
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_TYPE: {"schema": schema}},
        }
        for status in statuses
    }


def problem(
    status: int,
    detail: str,
    *,
    error: str,
    exit_code: int,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem response; `error` names the FirelineError class, `exit_code` the CLI's code."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": clean_detail(detail),
        "error": error,
        "exit_code": exit_code,
    }
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def clean_detail(detail: str) -> str:
    """Redact and mask a message; withhold it if the redactor fails (fail closed)."""
    try:
        from fireline.redaction import Redactor, mask

        return mask(Redactor().redact(detail).text)
    except Exception:
        return "(message withheld: it could not be redacted)"


def from_error(exc: FirelineError) -> JSONResponse:
    retry = getattr(exc, "retry_after", None)  # TooManyAttemptsError: when to try again
    return problem(
        exc.http_status,
        exc.message,
        error=type(exc).__name__,
        exit_code=exc.exit_code,
        headers=None if retry is None else {"Retry-After": str(retry)},
    )


def from_http(exc: StarletteHTTPException) -> JSONResponse:
    """An HTTP error (404 no route, 405, 413 …) as a problem; a 401 as AuthenticationError."""
    if exc.status_code == 401:
        return from_error(AuthenticationError(str(exc.detail)))
    code = 2 if 400 <= exc.status_code < 500 else 1
    return problem(exc.status_code, str(exc.detail), error="HTTPError", exit_code=code)


def internal(exc: BaseException) -> JSONResponse:
    """The answer to a bug: the exception's class only, never its message (it may quote input)."""
    return problem(
        500,
        f"internal error: {type(exc).__name__}",
        error="InternalError",
        exit_code=INTERNAL_ERROR_EXIT,
    )


class UncaughtErrors:
    """ASGI middleware, innermost of the server's own: a bug still leaves as a problem body,
    through the outer layers (security headers, request id, access line), and is then re-raised
    so the server logs its traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if not started:
                await internal(exc)(scope, receive, send)
            raise


def install(app: FastAPI) -> None:
    """Route every error the app can raise to a problem body."""

    async def fireline_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FirelineError)
        return from_error(exc)

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return from_error(InvalidCommandError(validation_line(exc)))

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return from_http(exc)

    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        return internal(exc)

    app.add_exception_handler(FirelineError, fireline_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)


def validation_line(exc: RequestValidationError) -> str:
    """Pydantic's first complaint as one line: where, and what is wrong."""
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = str(first.get("msg", "invalid value"))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where or 'request'}: {message}{more}"
