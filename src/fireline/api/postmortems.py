"""The API's postmortem and action-item reads (client mode's `postmortem show|list` and
`fireline actions`): each asks `fireline.reads.postmortems` as the authenticated user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from fireline.api.app import context_of
from fireline.api.auth import Principal, Reader
from fireline.domain import parse_actor, parse_incident_id
from fireline.reads import Model, postmortems
from fireline.service.identity import Identity

router = APIRouter(prefix="/api/v1", tags=["postmortems"])
IncidentPath = Annotated[
    str, PathParam(description="An incident id like INC-20261123-001.", max_length=64)
]


def _viewer(principal: Principal) -> Identity:
    return Identity(principal.actor)


@router.get("/incidents/{incident_id}/postmortem", summary="The postmortem, either version")
def postmortem(
    request: Request,
    principal: Reader,
    incident_id: IncidentPath,
    external: Annotated[bool, Query(description="The external (sanitised) version.")] = False,
) -> Model:
    return postmortems.postmortem(
        context_of(request),
        _viewer(principal),
        parse_incident_id(incident_id),
        external=external,
    )


@router.get("/postmortems", summary="Postmortems begun, with what is overdue")
def list_postmortems(
    request: Request,
    principal: Reader,
    overdue: Annotated[bool, Query(description="Only overdue ones.")] = False,
) -> Model:
    return postmortems.list_postmortems(
        context_of(request), _viewer(principal), overdue_only=overdue
    )


@router.get("/actions", summary="Action items across every incident the caller may see")
def list_actions(
    request: Request,
    principal: Reader,
    overdue: Annotated[bool, Query(description="Only open items past due.")] = False,
    owner: Annotated[str | None, Query(max_length=64)] = None,
) -> Model:
    return postmortems.list_actions(
        context_of(request),
        _viewer(principal),
        overdue_only=overdue,
        owner=None if owner is None else parse_actor(owner),
    )
