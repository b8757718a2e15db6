"""`/api/v1/users*`: the user registry (who may act, their roles and clearances).

Listing needs a read credential; adding and changing users an admin one, and the policy still
decides (only registry admins change the registry).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from fireline import governance
from fireline.api import problems
from fireline.api.auth import Admin, Reader
from fireline.api.writing import context, serialised
from fireline.commands import AddUser, UpdateUser
from fireline.db import read_only
from fireline.errors import NotFoundError
from fireline.service import Context, execute
from fireline.wire import event_to_json

router = APIRouter(prefix="/api/v1", tags=["users"])
UserName = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$", description="A user's handle.")
]
Roles = Annotated[list[Annotated[str, Field(max_length=32)]], Field(min_length=1, max_length=16)]
Clearances = Annotated[list[Annotated[str, Field(max_length=32)]], Field(max_length=16)]


class UserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    roles: Roles
    clearances: Clearances = []


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: Roles
    clearances: Clearances = []


class UserRecord(BaseModel):
    name: str
    roles: list[str]
    clearances: list[str]
    added_at: str
    added_by: str
    updated_at: str


class UserWrite(BaseModel):
    """A registry write's answer: its events (the shape of every write route, which client
    mode prints like local mode) and the user as it now stands."""

    events: list[dict[str, Any]]
    user: UserRecord


class UserList(BaseModel):
    users: list[UserRecord]
    started: bool  # the registry's chain has begun: an empty list then means a rebuild is due


def _user(ctx: Context, name: str) -> UserRecord:
    with read_only(ctx.engine) as conn:
        user = governance.get_user(conn, name)
    if user is None:
        raise NotFoundError(f"no user {name}")
    return UserRecord.model_validate(user, from_attributes=True)


@router.get("/users", responses=problems.responses(401, 403))
def users(request: Request, principal: Reader) -> UserList:
    """Registered users, by name: the read service's model (`reads.store.users`), which
    `fireline user list` renders in client mode."""
    from fireline.reads import store

    with read_only(context(request).engine) as conn:
        return UserList.model_validate(store.users(conn))


@router.post("/users", status_code=201, responses=problems.responses(401, 403, 422))
def add_user(body: UserBody, request: Request, principal: Admin) -> UserWrite:
    """Register a user (`user.added`)."""
    ctx = context(request)
    command = AddUser(name=body.name, roles=tuple(body.roles), clearances=tuple(body.clearances))
    events = serialised(lambda: execute(command, principal.actor, ctx=ctx))
    name = (events[0].payload or {})["name"]
    return UserWrite(events=[event_to_json(e) for e in events], user=_user(ctx, name))


@router.patch("/users/{name}", responses=problems.responses(401, 403, 404, 422))
def update_user(name: UserName, body: UserChange, request: Request, principal: Admin) -> UserWrite:
    """Replace a user's roles and clearances (`user.updated`)."""
    ctx = context(request)
    command = UpdateUser(name=name, roles=tuple(body.roles), clearances=tuple(body.clearances))
    events = serialised(lambda: execute(command, principal.actor, ctx=ctx))
    return UserWrite(events=[event_to_json(e) for e in events], user=_user(ctx, name))
