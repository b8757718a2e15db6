"""The API's read routes: each parses its parameters, asks `fireline.reads` as the
authenticated user, and returns the read model as it is — masked already for that user.

A hidden incident answers exactly like a missing one (404, the same body byte for byte): the
read service raises the same NotFoundError for both. Evidence content is re-hashed on its way
out (see `evidence_content`); the export is a zip download recorded as `export.created`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, BinaryIO, cast

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from fireline.api.app import context_of
from fireline.api.auth import Principal, Reader
from fireline.domain import NUMBER_LIMIT, IncidentId, iso_utc, parse_incident_id, parse_status
from fireline.errors import IntegrityError, InvalidCommandError
from fireline.reads import Model, evidence, export, freeze, incidents, store
from fireline.reads.params import since_moment
from fireline.service.identity import Identity

router = APIRouter(prefix="/api/v1", tags=["reads"])

IncidentPath = Annotated[
    str, PathParam(description="An incident id like INC-20261123-001.", max_length=64)
]
NumberPath = Annotated[int, PathParam(ge=1, le=NUMBER_LIMIT, description="E1 is 1.")]
# Blobs up to this size are re-hashed before the first byte is sent (`BlobStore.open` always
# does) and again while streaming; a mismatch found only at the end aborts the response.
CHUNK = 1024 * 1024


def _json(model: Model) -> JSONResponse:
    """The model as it is: it is JSON data already, so FastAPI's encoder pass is skipped."""
    return JSONResponse(model)


def _viewer(principal: Principal) -> Identity:
    return Identity(principal.actor)


def _incident(text: str) -> IncidentId:
    return parse_incident_id(text)


@router.get("/incidents", summary="List incidents the caller may see, worst severity first")
def list_incidents(
    request: Request,
    principal: Reader,
    status: Annotated[list[str], Query(description="Only these statuses (repeatable).")] = [],  # noqa: B006
    open_: Annotated[bool, Query(alias="open", description="Only incidents not closed.")] = False,
) -> Model:
    from fireline.domain import Status

    wanted = {parse_status(s) for s in status} or set(Status)
    if open_:
        wanted.discard(Status.CLOSED)
    statuses = tuple(s.value for s in wanted)
    return _json(
        incidents.list_incidents(context_of(request), _viewer(principal), statuses=statuses)
    )


@router.get("/incidents/{incident_id}", summary="One incident, as `fireline show` prints it")
def get_incident(request: Request, principal: Reader, incident_id: IncidentPath) -> Model:
    return _json(
        incidents.get_incident(context_of(request), _viewer(principal), _incident(incident_id))
    )


@router.get(
    "/incidents/{incident_id}/timeline",
    summary="The incident's timeline, one page at a time (`after_seq`, `limit`)",
)
def timeline(
    request: Request,
    principal: Reader,
    incident_id: IncidentPath,
    after_seq: Annotated[int, Query(ge=0, le=NUMBER_LIMIT)] = 0,
    limit: Annotated[int, Query(ge=1, le=incidents.PAGE_LIMIT)] = incidents.PAGE_DEFAULT,
    kind: Annotated[list[str], Query(description="Only these kinds (repeatable).")] = [],  # noqa: B006
    since: Annotated[str | None, Query(max_length=64, description="ISO 8601, or 30m, 2h")] = None,
    last: Annotated[int | None, Query(ge=1, le=NUMBER_LIMIT, description="The last N")] = None,
    all_: Annotated[bool, Query(alias="all", description="Also the access reads.")] = False,
) -> Model:
    from fireline.events import parse_kind

    wanted = _incident(incident_id)
    kinds = frozenset(parse_kind(k) for k in kind)
    start = None if since is None else iso_utc(since_moment(since, datetime.now(UTC)))
    return _json(
        incidents.timeline(
            context_of(request),
            _viewer(principal),
            wanted,
            kinds=kinds,
            since=start,
            last=last,
            unfold=all_,
            after_seq=after_seq,
            limit=limit,
        )
    )


@router.get("/incidents/{incident_id}/checklist", summary="The incident's checklist items")
def checklist(
    request: Request,
    principal: Reader,
    incident_id: IncidentPath,
    checklist: Annotated[str | None, Query(max_length=200)] = None,
) -> Model:
    return incidents.checklist_items(
        context_of(request), _viewer(principal), _incident(incident_id), only=checklist
    )


@router.get("/incidents/{incident_id}/actions", summary="The incident's action items")
def actions(request: Request, principal: Reader, incident_id: IncidentPath) -> Model:
    return incidents.action_items(context_of(request), _viewer(principal), _incident(incident_id))


@router.get("/incidents/{incident_id}/breakglass", summary="Breakglass grants, active or not")
def breakglass(request: Request, principal: Reader, incident_id: IncidentPath) -> Model:
    return incidents.breakglass(context_of(request), _viewer(principal), _incident(incident_id))


@router.get("/incidents/{incident_id}/gates", summary="The closure gates' unmet items")
def gates(request: Request, principal: Reader, incident_id: IncidentPath) -> Model:
    return incidents.gates(context_of(request), _viewer(principal), _incident(incident_id))


@router.get("/incidents/{incident_id}/evidence", summary="The incident's evidence")
def evidence_list(request: Request, principal: Reader, incident_id: IncidentPath) -> Model:
    return evidence.evidence_list(context_of(request), _viewer(principal), _incident(incident_id))


@router.get("/incidents/{incident_id}/evidence/{number}", summary="One piece of evidence")
def evidence_show(
    request: Request, principal: Reader, incident_id: IncidentPath, number: NumberPath
) -> Model:
    return evidence.evidence_show(
        context_of(request), _viewer(principal), _incident(incident_id), number
    )


@router.get(
    "/incidents/{incident_id}/evidence/{number}/content",
    summary="An evidence file's bytes, re-hashed on the way out (masked without clearance)",
    response_class=StreamingResponse,
)
def evidence_content(
    request: Request, principal: Reader, incident_id: IncidentPath, number: NumberPath
) -> StreamingResponse:
    """The stored bytes are re-hashed in full before the first one is sent (a blob that no
    longer matches its sha256 is a 500 problem, nothing served) and hashed again while they
    stream; if they changed in between, the stream is aborted before its last chunk, so the
    client sees a broken download, never a complete bad one. Unmasked answers carry
    `X-Fireline-SHA256` for the client to check too; masked ones are the masked text."""
    content = evidence.content(
        context_of(request), _viewer(principal), _incident(incident_id), number
    )
    item = content.item
    headers = {
        "X-Fireline-Evidence": item["id"],
        "X-Fireline-Scanned": "true" if content.scanned else "false",
        "X-Fireline-Masked": "true" if content.masked else "false",
        "X-Fireline-Sensitive": ",".join(item["sensitive"]),
        "X-Fireline-Size": str(content.size),
    }
    media = "text/plain; charset=utf-8" if content.scanned else "application/octet-stream"
    if content.masked:
        spool = cast("BinaryIO", tempfile.SpooledTemporaryFile(max_size=8 * CHUNK))  # noqa: SIM115
        try:
            content.copy_to(spool)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return StreamingResponse(_chunks(spool), media_type=media, headers=headers)
    handle = content.blobs.open(content.sha256)  # re-hashed in full: IntegrityError if changed
    headers["X-Fireline-SHA256"] = content.sha256
    return StreamingResponse(_rehashed(handle, content.sha256), media_type=media, headers=headers)


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def _rehashed(handle: BinaryIO, sha256: str) -> Iterator[bytes]:
    """The blob's chunks, hashed as they go; IntegrityError before the end if they no longer
    match, which aborts the response (no terminating chunk: the client sees it broken)."""
    import hashlib

    digest = hashlib.sha256()
    try:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            yield chunk
    finally:
        handle.close()
    if digest.hexdigest() != sha256:
        raise IntegrityError(f"blob {sha256} changed while it was being read")


@router.get(
    "/incidents/{incident_id}/export",
    summary="Export the incident as a zip (recorded as export.created)",
    response_class=FileResponse,
)
def export_zip(
    request: Request,
    principal: Reader,
    incident_id: IncidentPath,
    unmasked: Annotated[bool, Query(description="Keep PII (sensitive clearance).")] = False,
) -> FileResponse:
    import json

    wanted = _incident(incident_id)
    folder = Path(tempfile.mkdtemp(prefix="fireline-export-"))
    try:
        result = export.export(
            context_of(request),
            _viewer(principal),
            wanted,
            out=folder,
            masked=not unmasked,
            archive=True,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        result.path,
        media_type="application/zip",
        filename=result.path.name,
        headers={"X-Fireline-Export": json.dumps(export.summary(result))},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.get("/verify", summary="Verify hash chains, checkpoints, evidence blobs and projections")
def verify(
    request: Request,
    principal: Reader,
    incident: Annotated[list[str], Query(description="Only these incidents.")] = [],  # noqa: B006
    blobs: bool = True,
    projections: bool = True,
) -> Model:
    """Named incidents: the caller must see each (one 404 for missing or hidden). The whole
    store (no incident named) names every chain's first break, so it needs an admin token."""
    from fireline.db import read_only
    from fireline.errors import PolicyDeniedError

    wanted: list[str] | None = [parse_incident_id(i) for i in incident] or None
    if wanted is None and not principal.allows("admin"):
        raise PolicyDeniedError("verifying the whole store needs an admin token; name incidents")
    ctx = context_of(request)
    with read_only(ctx.engine) as conn:
        return store.verify(
            conn, ctx.settings, _viewer(principal), wanted, blobs=blobs, projections=projections
        )


@router.get("/freeze", summary="Whether deploys are frozen, as the caller may see it")
def freeze_check(request: Request, principal: Reader) -> Model:
    settings = context_of(request).settings
    return freeze.freeze_check(
        settings.database_url,
        actor=principal.actor,
        policy_dir=settings.policy_dir,
        public_key_path=settings.public_key_path,
    )


@router.get("/runbooks/search", summary="Full-text search of the indexed runbooks")
def runbook_search(
    request: Request,
    _principal: Reader,
    q: Annotated[str, Query(max_length=2000)],
    limit: Annotated[int, Query(ge=1, le=NUMBER_LIMIT)] = 10,
) -> Model:
    from fireline.db import read_only

    with read_only(context_of(request).engine) as conn:
        return store.runbook_search(conn, q, limit=limit)


@router.post("/runbooks/suggest", summary="Runbooks for an alert (the alert JSON as the body)")
async def runbook_suggest(
    request: Request,
    _principal: Reader,
    limit: Annotated[int, Query(ge=1, le=NUMBER_LIMIT)] = 5,
) -> Model:
    from fireline import untrusted_json
    from fireline.suggest.alert import parse_alerts

    raw = await request.body()
    if len(raw) > untrusted_json.MAX_CHARS * 4:
        raise InvalidCommandError("the alert is too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidCommandError(f"the alert is not UTF-8 text (byte {exc.start})") from None
    alerts = parse_alerts(untrusted_json.loads(text, source="the alert"), source="the alert")
    ctx = context_of(request)

    def read() -> Model:
        from fireline.db import read_only

        with read_only(ctx.engine) as conn:
            return store.runbook_suggest(conn, ctx.settings, list(alerts), limit=limit)

    return await run_in_threadpool(read)


@router.get("/policy", summary="The policy bundle in force: its digest and modules")
def policy_show(request: Request, _principal: Reader) -> Model:
    return store.policy_bundle(context_of(request).policy)


@router.get("/policy/test", summary="Run the bundle's own tests")
def policy_test(request: Request, _principal: Reader) -> Model:
    from dataclasses import asdict

    engine = context_of(request).policy
    return {"bundle": engine.source, "results": [asdict(r) for r in engine.run_tests()]}


@router.get("/channels", summary="Notification channels and their subscriptions (admins)")
def channel_list(request: Request, principal: Reader) -> Model:
    from fireline.reads.channels import list_channels

    return _json(list_channels(context_of(request), _viewer(principal)))


@router.get("/outbox", summary="Queued, retrying, delivered and dead notifications (admins)")
def outbox_list(
    request: Request,
    principal: Reader,
    failed: Annotated[bool, Query(description="Only dead rows and rows being retried.")] = False,
) -> Model:
    from fireline.reads.channels import list_outbox

    return _json(list_outbox(context_of(request), _viewer(principal), failed=failed))
