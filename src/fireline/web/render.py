"""Pages as HTML: one Jinja2 environment (autoescaped, every output through `filters.visible`)
and `page()`, which every route answers with.

Templates live in `web/templates/<feature>/…` and extend `base.html` (block `content`). The
environment is built on first use, never at import.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from fireline.web import filters, nav

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


@jinja2.pass_context
def csrf_field(context: jinja2.runtime.Context) -> Markup:
    """The hidden CSRF input every form carries: `{{ csrf_field() }}`."""
    from fireline.web.session import csrf_token

    token = csrf_token(context["request"])
    return Markup('<input type="hidden" name="csrf" value="{}">').format(token)


@jinja2.pass_context
def csrf_value(context: jinja2.runtime.Context) -> str:
    """The CSRF token alone, for the `<meta name="csrf-token">` scripts read."""
    from fireline.web.session import csrf_token

    return csrf_token(context["request"])


def static(path: str) -> str:
    """The URL of a file under `web/static/`, versioned so a new release is fetched afresh."""
    from fireline import __version__

    return f"/static/{path}?v={__version__}"


@cache
def environment() -> jinja2.Environment:
    """The one environment: autoescape on for every template, strict about missing names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=filters.visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(csrf_field=csrf_field, csrf_value=csrf_value, static=static)
    env.filters.update(utc=filters.utc, zoned=filters.zoned, size=filters.size)
    env.filters.update(duration=filters.duration)
    return env


def render(request: Request, template: str, **context: Any) -> str:
    """A template rendered with the request's common variables (viewer, nav, zone)."""
    settings = request.app.state.settings
    order = [level.name.upper() for level in settings.ladder.ordered()]

    def sev_class(name: str) -> str:
        """`sev-1` for the ladder's worst level, `sev-2` the next …: colour by place, not digit."""
        upper = str(name).upper()
        return f"sev-{order.index(upper) + 1}" if upper in order else "sev-x"

    base = {
        "sev_class": sev_class,
        "request": request,
        "viewer": getattr(request.state, "viewer", None),
        "nav": nav.links(),
        "zone": settings.timezone,
        "errors": {},
    }
    return environment().get_template(template).render({**base, **context})


def page(
    request: Request,
    template: str,
    *,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The HTML answer of a page route: `template` with `title` (shown in `<title>` and the
    page's heading) and `context`; pass `errors={field: message}` to show refusals beside
    their controls."""
    from fireline.web.session import attach_login_csrf

    html = render(request, template, title=title, **context)
    response = HTMLResponse(html, status_code=status_code)
    attach_login_csrf(request, response)
    return response
