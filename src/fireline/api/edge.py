"""The layers around every route, outermost first: the access line and request id, security
headers, CORS (only when `cors_origins` is set), body limits, and the last-resort problem body
for a bug. Each lives in its own module; this one only orders them.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from fireline.api import openapi
from fireline.api.accesslog import AccessLog
from fireline.api.headers import SecurityHeaders
from fireline.api.limits import BodyLimit
from fireline.api.problems import UncaughtErrors
from fireline.api.routetable import RouteTable
from fireline.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Add the layers to `app` (Starlette runs the last added first)."""
    routes = RouteTable(app)
    app.add_middleware(UncaughtErrors)
    app.add_middleware(BodyLimit, settings=settings, routes=routes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id"],
            allow_credentials=False,  # bearer tokens, never cookies
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog, metrics=app.state.metrics, routes=routes)
    openapi.install(app)
