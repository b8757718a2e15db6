"""What orchestrators and Prometheus ask: `/healthz` (the process answers), `/readyz` (it can
serve: database reachable, schema current, signing key and policy loaded) and `/metrics`.

None of them names an incident, a title or a user, which is why they may answer without a
token (`/metrics` only while `metrics_public` is true).
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from fireline.api import problems
from fireline.api.auth import requires
from fireline.api.metrics import Metrics
from fireline.config import Settings
from fireline.db import check_schema
from fireline.errors import StoreError
from fireline.service.context import Context


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    checks: dict[str, str]


def readiness_failures(context: Context | None) -> list[str]:
    """What keeps the server from serving, each as `check (why)`; empty when ready."""
    if context is None:
        return ["store (not opened: the server is starting or stopping)"]
    failures: list[str] = []
    try:
        with context.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        failures.append("database (unreachable)")
    else:
        try:
            check_schema(context.engine)
        except StoreError as exc:
            failures.append(f"schema ({exc.message})")
    if getattr(context, "signer", None) is None:
        failures.append("signing_key (not loaded)")
    if getattr(context, "policy", None) is None:
        failures.append("policy (not loaded)")
    return failures


_NOT_READY = {"description": "Not ready", "content": {problems.PROBLEM_TYPE: {}}}
_METRICS_TEXT = {
    "description": "Prometheus text exposition format",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}


def make_router(settings: Settings, metrics: Metrics) -> APIRouter:
    """The probes; `/metrics` needs a read-scope token unless `metrics_public`."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=Health, summary="Alive: the process answers")
    def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="Ready: database reachable, schema current, signing key and policy loaded",
        responses={503: _NOT_READY},
    )
    def readyz(request: Request) -> Readiness | JSONResponse:
        failures = readiness_failures(getattr(request.app.state, "context", None))
        if failures:
            return problems.from_error(StoreError(f"not ready: {'; '.join(failures)}"))
        checks = dict.fromkeys(("database", "schema", "signing_key", "policy"), "ok")
        # Routing that could not decide keeps the server ready (alerts are still recorded)
        # but is reported here, with how many groups were recorded only.
        health = getattr(request.app.state, "intake_health", None)
        checks["intake_routing"] = "ok" if health is None else health.check()
        return Readiness(status="ready", checks=checks)

    dependencies = [] if settings.metrics_public else [requires("read")]

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: _METRICS_TEXT},
        dependencies=dependencies,  # type: ignore[arg-type]
    )
    def prometheus() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return router
