"""Evidence intake and the AddEvidence handler.

Intake (`staged_file`) runs before the write transaction, because streaming a large file must
not hold the store's write lock: it reads the file once, in chunks, through the redactor into
the blob store's staging area, hashing the redacted bytes as they are written. Text is always
scanned; a file that is not text (a NUL byte, or bytes that are not UTF-8, anywhere in it) is
refused unless the caller allows it unscanned, and a source longer than the configured limit
is refused as soon as the limit is passed. The handler then validates the command against
the locked incident and plans the `evidence.added` event with one effect: place the staged
blob, which `service.execute` runs only after the policy allowed the write and the event was
appended. Whatever happens, the staging file is removed when intake's block ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from fireline import governance, queries
from fireline.commands import AddEvidence, EvidenceFile
from fireline.db import read_only
from fireline.domain import DETECTION_LOOKBACK, EVIDENCE_KINDS, ActorId, Status, require_text
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.evidence import (
    HEAD,
    BinaryContentError,
    Staged,
    binary_reason,
    bounded,
    guarded_text,
    sniff,
)
from fireline.service.context import Context
from fireline.service.plan import Call, Plan, observed, refs, require_open


def parse_kind(text: str) -> str:
    """An evidence kind from the fixed vocabulary (`logs`, `screenshot`, … `other`)."""
    kind = text.strip().lower().replace("_", "-")
    if kind not in EVIDENCE_KINDS:
        raise InvalidCommandError(
            f"unknown evidence kind {text!r}; allowed: {', '.join(EVIDENCE_KINDS)}"
        )
    return kind


def check_target(ctx: Context, incident_id: str, actor: ActorId) -> None:
    """Refuse an unknown, hidden or closed incident before a (large) file is read.

    Only a courtesy: the write checks everything again under the incident's lock. The answers
    are the write's own — `no incident …` for one the actor may not see — so it leaks nothing.
    """
    with read_only(ctx.engine) as conn:
        access = governance.access(ctx.policy, conn, actor, [incident_id], view="evidence add")
        if incident_id not in access.visible:
            raise NotFoundError(f"no incident {incident_id}")
        state = queries.get_state(conn, incident_id)
    if state.status is Status.CLOSED:
        raise InvalidCommandError(
            f"{incident_id} is closed; only corrections, erasures and action items can be recorded"
        )


@contextmanager
def staged_file(
    ctx: Context, src: BinaryIO, *, name: str | None, unscanned: bool = False
) -> Iterator[EvidenceFile]:
    """Redact, hash and stage `src`; yield what the AddEvidence command carries.

    `name` is the file name recorded (None for standard input); `unscanned` allows a file that
    is not text to be stored as it is, marked unscanned. More than the `evidence_max_size`
    setting's bytes read from `src` is refused (InvalidCommandError) mid-stream. The staging
    file is gone when the block ends; a blob exists only if the command placed it.
    """
    label = name or "standard input"
    # Counted as it streams, so standard input and a growing file are bounded too.
    src = bounded(src, limit=ctx.settings.evidence_max_bytes, label=label)
    head = src.read(HEAD)
    reason = binary_reason(head)
    if reason is not None:
        if not unscanned:
            raise InvalidCommandError(_binary(label, reason))
        staged = ctx.blobs.stage(_rejoined(head, src))
    else:
        staged = _stage_text(ctx, src, head, label=label, unscanned=unscanned)
    try:
        yield _describe(staged, name=name)
    finally:
        ctx.blobs.discard(staged)


def _stage_text(ctx: Context, src: BinaryIO, head: bytes, *, label: str, unscanned: bool) -> Staged:
    try:
        # The context's redactor: built-in rules plus the configured gitleaks file, the same
        # one every free-text field goes through.
        return ctx.blobs.stage(guarded_text(head, src), filter=ctx.redactor.redact_stream)
    except BinaryContentError as exc:
        if not unscanned:
            raise InvalidCommandError(_binary(label, f"{exc.why} at byte {exc.offset}")) from None
        if not src.seekable():
            raise InvalidCommandError(
                f"{label} turned out not to be text ({exc.why} at byte {exc.offset}) and cannot "
                "be re-read; save it to a file and add that with --unscanned"
            ) from None
        src.seek(0)
        return ctx.blobs.stage(src)


def _binary(label: str, where: str) -> str:
    return (
        f"{label} is not text ({where}), so it cannot be scanned for secrets; "
        "add --unscanned to store it as it is, marked unscanned"
    )


def _rejoined(head: bytes, src: BinaryIO) -> BinaryIO:
    import io

    from fireline.evidence.media import Prefixed

    return io.BufferedReader(Prefixed(head, src))


def _describe(staged: Staged, *, name: str | None) -> EvidenceFile:
    result = staged.result  # the redactor's StreamResult, or None when stored unscanned
    scanned = result is not None
    return EvidenceFile(
        token=staged.token,
        name=name,
        sha256=staged.sha256,
        size=staged.size,
        media_type=sniff(name, staged.head, text=scanned),
        scanned=scanned,
        redacted=tuple((f.type, f.count) for f in result.findings) if scanned else (),
        sensitive=tuple(sorted(result.sensitive)) if scanned else (),
    )


def _add_evidence(call: Call, cmd: AddEvidence) -> Plan:
    state = require_open(call)
    kind = parse_kind(cmd.kind)
    if (cmd.file is None) == (cmd.ref is None):
        raise InvalidCommandError(
            "evidence is a file (PATH, or - for standard input) or a --ref KIND:ID, "
            + ("not both" if cmd.file is not None else "and neither was given")
        )
    payload: dict[str, Any] = {
        "number": queries.count_evidence(call.conn, state.id) + 1,
        "kind": kind,
        "source": cmd.source.strip() and require_text("--source", cmd.source, limit=500),
        "captured_at": observed(call, "--captured-at", cmd.captured_at, lead_in=DETECTION_LOOKBACK),
        "note": cmd.note.strip() and require_text("--note", cmd.note, limit=2000),
    }
    effects: tuple[Callable[[], object], ...] = ()
    if cmd.ref is not None:
        payload["ref"] = refs((cmd.ref.strip(),))[0]
    else:
        file = cmd.file
        assert file is not None
        staged = call.ctx.blobs.staged(file.token)
        # What is recorded is what the staging found, never an adapter's own description.
        found = _describe(staged, name=file.name)
        if found != file:
            raise InvalidCommandError(
                f"evidence file {file.name or '-'} does not match what was staged"
            )
        payload.update(
            sha256=found.sha256,
            size=found.size,
            media_type=found.media_type,
            name=found.name,
            scanned=found.scanned,
            redacted=dict(sorted(found.redacted)),
            sensitive=list(found.sensitive),
        )
        effects = (lambda: call.ctx.blobs.place(staged),)
    return Plan(state.id, [("evidence.added", payload)], effects=effects)


EVIDENCE_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    AddEvidence: _add_evidence,
}
