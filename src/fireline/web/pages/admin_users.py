"""`/admin/users`: the user registry — who may act, their roles and clearances — with the
forms that add a user and change one (`AddUser`, `UpdateUser` through the writer; only
registry admins may, and a refusal says so beside the button that asked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from fireline.commands import AddUser, UpdateUser
from fireline.domain import CLEARANCES, REGISTRY_ROLES
from fireline.web.pages.admin import context_of, write_or_refuse
from fireline.web.render import page
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
PATH = "/admin/users"
Names = Annotated[list[str], Form(max_length=32)]


def _screen(request: Request, errors: dict[str, str], status: int = 200, **typed: str) -> Response:
    from fireline.db import read_only
    from fireline.reads import store

    with read_only(context_of(request).engine) as conn:
        registry = store.users(conn)
    return page(
        request,
        "admin/users.html",
        title="Users",
        status_code=status,
        errors=errors,
        users=registry["users"],
        started=registry["started"],
        roles=REGISTRY_ROLES,
        clearances=CLEARANCES,
        typed=typed,
    )


@router.get(PATH)
def users(request: Request, principal: Viewer) -> Response:
    return _screen(request, {})


@router.post(PATH)
def add_user(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=64)] = "",
    role: Names = [],  # noqa: B006 (FastAPI copies defaults)
    clearance: Names = [],  # noqa: B006
) -> Response:
    command = AddUser(name=name, roles=tuple(role), clearances=tuple(clearance))
    return write_or_refuse(
        request,
        principal,
        command,
        field="add",
        redisplay=lambda errors, status: _screen(request, errors, status, name=name),
        done=PATH,
    )


@router.post(PATH + "/{name}")
def update_user(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    name: str,
    role: Names = [],  # noqa: B006
    clearance: Names = [],  # noqa: B006
) -> Response:
    from fireline.db import read_only
    from fireline.governance import get_user

    with read_only(context_of(request).engine) as conn:
        listed = get_user(conn, name) is not None
    command = UpdateUser(name=name, roles=tuple(role), clearances=tuple(clearance))
    return write_or_refuse(
        request,
        principal,
        command,
        # A user the screen does not list has no Save button: the refusal is the page's.
        field=f"user-{name}" if listed else "page",
        redisplay=lambda errors, status: _screen(request, errors, status),
        done=PATH,
    )
