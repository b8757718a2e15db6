"""The ASGI application: `create_app(settings)` builds it, `fireline serve` runs it.

One Context (engine, signing key, policy, redactor) is opened per process at start-up and kept
on `app.state.context`; routers live one per resource in `fireline.api.*` and are included here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from fireline import __version__
from fireline.api import accounts, edge, metrics, probes, problems, users, writing
from fireline.config import Settings
from fireline.service.context import Clock, Context, open_context, utc_now
from fireline.service.writer import Writer


def create_app(settings: Settings, *, clock: Clock = utc_now) -> FastAPI:
    """The fireline API for the store `settings` names; the store is opened on start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = open_context(settings, clock=clock)
        app.state.context = context
        metrics.activate(app.state.metrics)
        app.state.writer = Writer(
            context, on_batch=app.state.metrics.observe_batch, exclusive=writing.WRITES
        ).start()
        # The outbox worker, unless `notify_worker = false` (then run `fireline worker`).
        notifier = None
        if settings.notify_worker:
            from fireline.notify.worker import Background

            notifier = Background(open_context(settings, clock=clock)).start()
        try:
            yield
        finally:
            if notifier is not None:
                notifier.stop()
            # Uvicorn has stopped taking requests and waited for those in flight; whatever
            # is still queued is committed before the store closes.
            app.state.writer.stop()
            context.close()

    app = FastAPI(
        title="fireline",
        version=__version__,
        summary="Governed, evidence-first incident response with a tamper-evident record.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics.Metrics()
    problems.install(app)
    edge.install(app, settings)
    # Routers, one per resource: app.include_router(<module>.router)
    app.include_router(accounts.router)
    app.include_router(users.router)
    from fireline.api import intake, postmortems, reads, switches, uploads, writes

    app.include_router(uploads.router)
    app.include_router(writes.router)
    app.include_router(probes.make_router(settings, app.state.metrics))
    app.include_router(reads.router)
    app.include_router(postmortems.router)
    app.include_router(intake.router)
    app.include_router(switches.router)
    from fireline.api import learning, status
    from fireline.statuspage.cache import StatusCache

    app.state.status_cache = StatusCache()
    from fireline.metrics.gauges import ResponseGauges

    app.state.metrics.add_collector(ResponseGauges(lambda: getattr(app.state, "context", None)))
    app.include_router(status.router)
    app.include_router(learning.router)
    from fireline.web import app as web

    web.install(app)  # the pages, their static files and HTML error pages
    return app


def from_environment() -> FastAPI:
    """The app for the settings of this process (fireline.toml, FIRELINE_*): what `fireline
    serve` hands Uvicorn, so every worker process builds its own."""
    from fireline.config import load_settings

    return create_app(load_settings())


def context_of(request: Request) -> Context:
    """The process's Context, opened by the lifespan."""
    context: Context = request.app.state.context
    return context
