"""The public status page: `/status` (HTML), its stylesheet, the Atom feed and the
Statuspage-v2-shaped JSON. The only routes without authentication, by design: they show
nothing but what `fireline.statuspage.model` lets the public see."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fireline.api.app import context_of
from fireline.statuspage.cache import Renderings, StatusCache
from fireline.statuspage.html import stylesheet

router = APIRouter(prefix="/status", tags=["status page"])


class AtomResponse(Response):
    """Documents the feed's media type in the OpenAPI schema (schemathesis checks it)."""

    media_type = "application/atom+xml"


def _renderings(request: Request) -> Renderings:
    cache: StatusCache = request.app.state.status_cache
    ctx = context_of(request)
    url = str(request.base_url).rstrip("/") + "/status"
    return cache.get(ctx, now=ctx.clock(), url=url)


def _answer(request: Request, name: str, media_type: str) -> Response:
    found = _renderings(request)
    return Response(found.get(name), media_type=media_type)


@router.get("", summary="The public status page (HTML, no login)", response_class=HTMLResponse)
def page(request: Request) -> Response:
    return _answer(request, "html", "text/html; charset=utf-8")


@router.get("/status.css", include_in_schema=False)
def css() -> Response:
    return Response(stylesheet(), media_type="text/css; charset=utf-8")


@router.get(
    "/feed.atom", summary="Public status updates as an Atom feed", response_class=AtomResponse
)
def atom(request: Request) -> Response:
    return _answer(request, "atom", "application/atom+xml; charset=utf-8")


@router.get("/api/v2/summary.json", summary="Statuspage v2 summary: page, components, status")
def summary(request: Request) -> Response:
    return _answer(request, "summary", "application/json")


@router.get("/api/v2/incidents.json", summary="Statuspage v2: the 50 latest public incidents")
def incidents(request: Request) -> Response:
    return _answer(request, "incidents", "application/json")


@router.get("/api/v2/components.json", summary="Statuspage v2: components and their status")
def components(request: Request) -> Response:
    return _answer(request, "components", "application/json")
