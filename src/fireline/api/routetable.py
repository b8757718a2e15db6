"""Which route a request is for, found before the app runs: its path TEMPLATE (what metrics
and access lines name, never the raw path) and its own body limit, if it declares one.

Built lazily from the app's routes with FastAPI's `iter_route_contexts` (which resolves
include prefixes), and rebuilt when routes are added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.types import Scope

SCOPE_KEY = "fireline.route"


@dataclass(frozen=True)
class RouteInfo:
    """What the edge layers need to know about a route."""

    template: str
    methods: frozenset[str]
    max_body_size: int | None
    pattern: re.Pattern[str]
    endpoint: object = None


class RouteTable:
    """The app's routes as (pattern, template, methods, limit) rows."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._built_for: int = -1
        self._rows: tuple[RouteInfo, ...] = ()

    def rows(self) -> tuple[RouteInfo, ...]:
        count = len(self.app.router.routes)
        if count != self._built_for:
            self._rows = tuple(_rows(self.app))
            self._built_for = count
        return self._rows

    def match(self, scope: Scope) -> RouteInfo | None:
        """The route for this request (method included), else one of its path (405), else None;
        remembered in the scope so each layer asks only once."""
        if SCOPE_KEY in scope:
            found: RouteInfo | None = scope[SCOPE_KEY]
            return found
        path = route_path(scope)
        method = str(scope.get("method", ""))
        same_path = None
        found = None
        for row in self.rows():
            if row.pattern.match(path):
                if method in row.methods or (method == "HEAD" and "GET" in row.methods):
                    found = row
                    break
                same_path = same_path or row
        found = found or same_path
        scope[SCOPE_KEY] = found
        return found


def route_path(scope: Scope) -> str:
    """The path the app routes on: without the root path a proxy mounted it under."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def _rows(app: FastAPI) -> list[RouteInfo]:
    rows = []
    for context in iter_route_contexts(app.router.routes):
        path, pattern = context.path, getattr(context, "path_regex", None)
        if not isinstance(path, str) or not isinstance(pattern, re.Pattern):
            continue
        limit = getattr(context, "max_body_size", None)
        rows.append(
            RouteInfo(
                template=path,
                methods=frozenset(context.methods or ()),
                max_body_size=limit if isinstance(limit, int) else None,
                pattern=pattern,
                endpoint=context.endpoint,
            )
        )
    return rows
