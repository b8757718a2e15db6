"""Evidence upload: the request body streamed through the redactor into the blob store.

`POST /api/v1/incidents/{incident_id}/evidence/file?kind=logs&name=app.log` with the file as
the raw body (`application/octet-stream`; not multipart, so nothing is buffered or parsed
first). The same intake as `fireline evidence add` (`service.evidence`): the target is checked
before a byte is read, the body is read once, in chunks, through the redactor into staging,
refused as soon as it passes `evidence_max_size`, and the staged blob is placed only by the
AddEvidence command the writer commits. Whatever happens, the staging file is removed.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from contextlib import ExitStack
from typing import Annotated

import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from fireline import wire
from fireline.api.app import context_of
from fireline.api.auth import Writer
from fireline.api.limits import larger_body
from fireline.api.writes import PROBLEMS, BodyTooLargeError, Recorded, record
from fireline.commands import AddEvidence
from fireline.domain import parse_incident_id
from fireline.errors import InvalidCommandError
from fireline.service.evidence import check_target, parse_kind, staged_file

router = APIRouter(tags=["writes"])
NAME_LIMIT = 255


class _Body(io.RawIOBase):
    """The request body as a blocking file, for intake running in a worker thread."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    async def _next(self) -> bytes:
        return await self._chunks.__anext__()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = anyio.from_thread.run(self._next)
            except StopAsyncIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _file_name(name: str | None) -> str | None:
    if name is None:
        return None
    if not name.strip() or len(name) > NAME_LIMIT or name in (".", ".."):
        raise InvalidCommandError(f"name: not a file name ({name[:40]!r})")
    if "/" in name or "\\" in name or any(not c.isprintable() for c in name):
        raise InvalidCommandError(f"name: a file name has no path or control characters ({name!r})")
    return name


@router.post(
    wire.EVIDENCE_UPLOAD,
    status_code=201,
    summary="Upload an evidence file (the raw body)",
    operation_id="upload_evidence",
    response_model=None,
    responses={201: {"model": Recorded, "description": "Recorded"}, **PROBLEMS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
@larger_body("evidence_max_bytes")  # not the JSON routes' max_body_size
async def upload_evidence(
    request: Request,
    principal: Writer,
    incident_id: str,
    kind: Annotated[str, Query(max_length=64)],
    name: Annotated[str | None, Query()] = None,
    note: Annotated[str, Query()] = "",
    source: Annotated[str, Query()] = "",
    captured_at: Annotated[str | None, Query()] = None,
    unscanned: Annotated[bool, Query()] = False,
) -> JSONResponse:
    ctx = context_of(request)
    incident = parse_incident_id(incident_id)
    command = AddEvidence(
        incident_id=incident,
        kind=parse_kind(kind),
        note=note,
        source=source,
        captured_at=None if captured_at is None else wire.parse_time("captured_at", captured_at),
    )
    label = _file_name(name)
    limit = ctx.settings.evidence_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(
            f"{label or 'the upload'} is {int(declared):,} bytes; the limit is {limit:,}"
        )
    await anyio.to_thread.run_sync(check_target, ctx, incident, principal.actor)
    body = io.BufferedReader(_Body(request.stream().__aiter__()))
    # Intake blocks (disk, redactor), so it runs in a worker thread; the staging file lives
    # until the writer has committed (or refused) the command that places it.
    stack = ExitStack()
    try:
        staging = staged_file(ctx, body, name=label, unscanned=unscanned)
        file = await anyio.to_thread.run_sync(stack.enter_context, staging)
        return await record(request, dataclasses.replace(command, file=file), principal)
    finally:
        await anyio.to_thread.run_sync(stack.close)
