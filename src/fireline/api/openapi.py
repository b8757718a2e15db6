"""The OpenAPI document says what the server really answers: every operation documents its
4xx problem bodies (`application/problem+json`), and FastAPI's own 422 shape is replaced by
ours, so a client (or schemathesis) can hold each response to the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from fireline.api.problems import PROBLEM_TYPE, Problem

PROBLEM_SCHEMA: dict[str, Any] = {
    **Problem.model_json_schema(),
    "description": "RFC 9457 problem details; `error` and `exit_code` are the CLI's.",
}
_REF = {"$ref": "#/components/schemas/Problem"}
_PROBLEM = {"description": "Refused: a problem body", "content": {PROBLEM_TYPE: {"schema": _REF}}}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# A response a route marks with this keeps its own documented body (a standard protocol's
# error shape, like OFREP's `errorCode`) instead of becoming a problem body.
OWN_SHAPE = "x-fireline-own-shape"


def with_problems(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the Problem schema and problem responses on every operation."""
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in document.get("paths", {}).values():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in list(responses.items()):
                if response.get(OWN_SHAPE):  # a protocol's own error body (OFREP)
                    continue
                if status.startswith(("4", "5")):
                    described = response.get("description", "")
                    if status == "422" or not described or described == "Validation Error":
                        described = "Invalid input: a problem body"
                    responses[status] = {**_PROBLEM, "description": described}
            responses.setdefault("4XX", _PROBLEM)
    return document


def install(app: FastAPI) -> None:
    """Post-process the app's generated document once, on first request for it."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
