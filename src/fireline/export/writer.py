"""`fireline export`: write an incident's workspace (the seeds' layout) from its ledger.

The export is built in a hidden staging folder beside the target, recorded in the ledger
(`export.created` through `service.execute`) and only then moved into place, so a refusal at
any step leaves nothing behind. It covers the chain up to its last change (see
`record.exported_prefix`); its own `export.created` event is therefore never part of it, which
is what makes exporting the same incident twice give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fireline import governance, transparency
from fireline.commands import RecordExport
from fireline.db import read_only
from fireline.domain import ActorId, IncidentId, iso_utc
from fireline.errors import IntegrityError, InvalidCommandError, NotFoundError, PolicyDeniedError
from fireline.events import KNOWN_KINDS
from fireline.evidence.blobs import HashingWriter
from fireline.export import layout, logproof, masking, seal
from fireline.export.archive import write_zip
from fireline.export.model import Evidence
from fireline.export.record import exported_prefix, fold
from fireline.export.views import Params
from fireline.integrity import check_checkpoint
from fireline.ledger import chain, notes, store
from fireline.ledger.checkpoints import public_pem
from fireline.redaction import mask_stream
from fireline.service import Context, Identity, execute, require_identity
from fireline.service.governed import unmasked_refusal


@dataclass(frozen=True)
class ExportResult:
    """Where the export went and what it holds."""

    path: Path
    incident_id: str
    seq: int
    masked: bool
    files: int
    evidence_files: int
    withheld: int
    event_seq: int  # the export.created event's seq
    unsalted: int = 0  # masked events sealed before salts: their digests confirm a guess


def target_for(out: Path, incident_id: str, *, archive: bool) -> Path:
    """The export's path under --out, refused if --out is a file or the target is taken."""
    if out.exists() and not out.is_dir():
        raise InvalidCommandError(f"--out {out} is a file; give a folder to export into")
    target = out / (f"{incident_id}.zip" if archive else incident_id)
    if target.is_dir() and any(target.iterdir()):
        raise InvalidCommandError(f"{target} already exists and is not empty; choose another --out")
    if target.exists() and not target.is_dir():
        raise InvalidCommandError(f"{target} already exists; choose another --out")
    return target


def export_incident(
    ctx: Context,
    incident_id: IncidentId,
    *,
    actor: ActorId | Identity,
    out: Path,
    masked: bool = True,
    archive: bool = False,
) -> ExportResult:
    """Write the export of `incident_id` under `out`; refuse (nothing written) on bad input.

    NotFoundError for an unknown or hidden incident, PolicyDeniedError for `--unmasked`
    without the sensitive clearance, IntegrityError when the stored chain does not verify.
    """
    target = target_for(out, incident_id, archive=archive)
    settings = ctx.settings
    identity = actor if isinstance(actor, Identity) else Identity(actor)
    actor = identity.actor
    with read_only(ctx.engine) as conn:
        require_identity(conn, ctx.redactor, identity)
        access = governance.access(ctx.policy, conn, actor, [incident_id], view="export")
        if incident_id not in access.visible:
            raise NotFoundError(f"no incident {incident_id}")
        if not masked and not governance.sees_sensitive(conn, actor, settings):
            raise PolicyDeniedError(unmasked_refusal(actor))
        report = chain.verify(
            incident_id, store.iter_rows(conn, incident_id), known_kinds=KNOWN_KINDS
        )
        broken = report.broken or check_checkpoint(
            report, store.get_checkpoint(conn, incident_id), ctx.signer.public_key
        )
        if broken is not None:
            raise IntegrityError(f"refusing to export a chain that does not verify: {broken}")
        events = exported_prefix(store.read_events(conn, incident_id))
    log_data = _log_proofs(ctx, incident_id, events)
    params = Params(
        masked=masked,
        timezone=settings.timezone,
        coordinate_precision=settings.coordinate_precision,
    )
    made_out = not out.exists()
    with _staging(out, incident_id, made_out=made_out) as staging:
        root = staging / incident_id
        built = _build(ctx, root, incident_id, events, params, log_data)
        recorded = execute(
            RecordExport(
                incident_id=incident_id,
                masked=masked,
                seq=events[-1].seq,
                head=events[-1].hash,
                seal_sha256=built.seal_sha256,
                timezone=params.timezone,
                coordinate_precision=params.coordinate_precision,
                archive=archive,
            ),
            identity,
            ctx=ctx,
        )
        if archive:
            write_zip(root, staging / target.name)
            os.replace(staging / target.name, target)
        else:
            if target.is_dir():
                target.rmdir()  # empty, checked above
            os.replace(root, target)
    return ExportResult(
        path=target,
        incident_id=incident_id,
        seq=events[-1].seq,
        masked=masked,
        files=built.files,
        evidence_files=built.evidence_files,
        withheld=built.withheld,
        event_seq=recorded[0].seq,
        unsalted=built.unsalted,
    )


@contextmanager
def _staging(out: Path, incident_id: str, *, made_out: bool) -> Iterator[Path]:
    """A hidden folder beside the target, removed afterwards whatever happens."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{incident_id}.", suffix=".partial", dir=out))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if made_out:
            shutil.rmtree(out, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True)
class _Built:
    seal_sha256: str
    files: int
    evidence_files: int
    withheld: int
    unsalted: int


def _log_proofs(ctx: Context, incident_id: str, events: list[chain.Event]) -> bytes:
    """The store-wide log's checkpoint and an inclusion proof of every exported event."""
    origin = transparency.origin_for(ctx.settings, ctx.signer.public_key)
    with ctx.work.transaction() as conn:
        note = transparency.covering_checkpoint(
            conn,
            ctx.signer,
            incident_id,
            events[-1].seq,
            origin=origin,
            ts=iso_utc(ctx.clock()),
        )
        size = notes.parse(note, source="checkpoint")[0].size
        proofs = [transparency.prove(conn, incident_id, e.seq, size=size) for e in events]
    return logproof.log_file(note, proofs)


def _build(
    ctx: Context,
    root: Path,
    incident_id: str,
    events: list[chain.Event],
    params: Params,
    log_data: bytes,
) -> _Built:
    precision = params.coordinate_precision if params.masked else None
    lines: list[bytes] = []
    shown: list[chain.Event] = []
    unsalted = 0
    for event in events:
        masked: tuple[str, ...] = ()
        if precision is not None:
            original = event
            event, masked = masking.mask_event(original, precision)
            unsalted += masking.unsalted(original, masked)
        shown.append(event)
        lines.append(seal.event_line(event, masked))
    record = fold(incident_id, shown)
    for folder in layout.FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True, mode=0o755)
    digests: dict[str, str] = {}

    def put(path: str, data: bytes) -> None:
        _write(root / path, data)
        digests[path] = hashlib.sha256(data).hexdigest()

    put(layout.EVENTS, b"".join(lines))
    put(layout.PUBLIC_KEY, public_pem(ctx.signer.public_key))
    put(layout.TLOG, log_data)
    for path, data in layout.render_views(record, params).items():
        put(path, data)
    plan = layout.evidence_plan(record, masked=params.masked)
    items = {item.number: item for item in record.evidence}
    for number, relative in plan.items():
        path = f"{layout.EVIDENCE}/{relative}"
        digests[path] = _copy_evidence(ctx, items[number], root / path, precision)
    hashes = layout.hashes_file(digests)
    _write(root / layout.HASHES, hashes)
    last = events[-1]
    checkpoint = ctx.signer.checkpoint(
        incident_id=incident_id, seq=last.seq, head=last.hash, ts=last.ts
    )
    the_seal = seal.Seal(
        incident_id=incident_id,
        seq=last.seq,
        head=last.hash,
        masked=params.masked,
        timezone=params.timezone,
        coordinate_precision=params.coordinate_precision,
        hashes_sha256=hashlib.sha256(hashes).hexdigest(),
    )
    signature = ctx.signer.sign(the_seal.message())
    _write(root / layout.CHECKPOINTS, seal.checkpoints_file(checkpoint, the_seal, signature))
    files_with_evidence = sum(1 for item in record.evidence if item.sha256 is not None)
    return _Built(
        seal_sha256=hashlib.sha256(the_seal.message()).hexdigest(),
        files=len(digests) + 2,
        evidence_files=len(plan),
        withheld=files_with_evidence - len(plan),
        unsalted=unsalted,
    )


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o644)


def _copy_evidence(ctx: Context, item: Evidence, dest: Path, precision: float | None) -> str:
    """Copy one blob into the tree; return the file's digest.

    Masked when the export is masked and redaction found PII or coordinates in the file when it
    was added; otherwise the stored bytes, re-hashed on the way out by the blob store, so its
    digest is the ledger's.
    """
    assert item.sha256 is not None
    with dest.open("wb") as out:
        if precision is None or not item.sensitive:  # nothing the ledger says needs masking
            digest = ctx.blobs.copy_to(item.sha256, out).sha256
        else:
            hashing = HashingWriter(out)
            with ctx.blobs.open(item.sha256) as src:
                mask_stream(src, hashing, coordinate_precision=precision)
            digest = hashing.digest.hexdigest()
    dest.chmod(0o644)
    return digest
