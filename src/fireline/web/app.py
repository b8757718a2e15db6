"""Mounting the web UI on the server's app: static files, the page routers, and error pages.

`install(app)` is called by `api.app.create_app`. Page routers are listed in `PAGE_ROUTERS` as
module names (each module has a `router`): a feature adds its one line. Errors on a page path
(`api.headers.is_page`) answer as an HTML page; API paths keep their problem bodies.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from fireline.api import problems
from fireline.api.headers import is_page
from fireline.errors import AuthenticationError, FirelineError, InvalidCommandError
from fireline.web import render, session

PAGE_ROUTERS: tuple[str, ...] = (
    "fireline.web.session",
    "fireline.web.pages.incidents",
    "fireline.web.pages.postmortems",
    "fireline.web.pages.channels",
    "fireline.web.pages.alerts",
    "fireline.web.pages.obligations",
    "fireline.web.pages.room",
    "fireline.web.pages.admin",
    "fireline.web.pages.admin_users",
    "fireline.web.pages.admin_tokens",
    "fireline.web.pages.admin_governance",
    "fireline.web.pages.panels_actions",
    "fireline.web.pages.panels_runbooks",
    "fireline.web.pages.panels_export",
    "fireline.web.pages.switches",
    "fireline.web.pages.learning",
)


def install(app: FastAPI) -> None:
    """Add the static files, every page router and the HTML error pages to `app`."""
    app.mount("/static", StaticFiles(directory=render.STATIC), name="static")
    for name in PAGE_ROUTERS:
        app.include_router(importlib.import_module(name).router)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/incidents", status_code=303)

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, session.LoginRequiredError)
        return session.login_redirect(request, exc)

    async def fireline_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FirelineError)
        if not is_page(request.url.path):
            return problems.from_error(exc)
        if isinstance(exc, AuthenticationError) and request.method == "GET":
            return session.login_redirect(request, session.LoginRequiredError(request.url.path))
        return error_page(request, exc.http_status, problems.clean_detail(exc.message))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        line = problems.validation_line(exc)
        if not is_page(request.url.path):
            return problems.from_error(InvalidCommandError(line))
        return error_page(request, 422, problems.clean_detail(line))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_page(request.url.path):
            return problems.from_http(exc)
        detail = "no such page" if exc.status_code == 404 else str(exc.detail)
        return error_page(request, exc.status_code, problems.clean_detail(detail))

    app.add_exception_handler(session.LoginRequiredError, login_required)
    app.add_exception_handler(FirelineError, fireline_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


def error_page(request: Request, status: int, detail: str) -> Response:
    """An error as a page: its status and one line, nothing of what was asked for (a hidden
    incident's page says exactly what a missing one's does)."""
    titles = {401: "Log in required", 403: "Refused", 404: "Not found", 422: "Cannot do that"}
    title = titles.get(status, "Something went wrong")
    return render.page(request, "errors/error.html", title=title, status_code=status, detail=detail)
