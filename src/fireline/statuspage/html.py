"""The status page as HTML: a Jinja2 template with autoescaping on, styled by one stylesheet
(no inline style or script, so the page's CSP allows nothing but `style-src 'self'`)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from jinja2 import DictLoader, Environment, StrictUndefined

from fireline.statuspage.model import StatusPage

_HERE = files("fireline.statuspage")


@cache
def _environment() -> Environment:
    templates = {
        "page": (_HERE / "page.html").read_text("utf-8"),
        "incident": (_HERE / "incident.html").read_text("utf-8"),
    }
    return Environment(loader=DictLoader(templates), autoescape=True, undefined=StrictUndefined)


def render(page: StatusPage) -> str:
    return _environment().get_template("page").render(page=page)


def stylesheet() -> bytes:
    return (_HERE / "status.css").read_bytes()
