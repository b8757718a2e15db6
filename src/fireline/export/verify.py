"""`fireline verify DIR|ZIP`: check an export offline, with no database and no data dir.

Trusts nothing in the export but the public key it carries (whose id is reported so it can be
compared with the store's): the export seal must be signed by that key and match
hashes.sha256, every file must match its digest there and no file may be missing or added,
the chain must hash and link from genesis to the signed checkpoint, evidence files must match
the digests the ledger recorded (unmasked exports), and every view must be exactly what
re-rendering `ledger/events.jsonl` gives. Every problem is reported with the path it is in.
The export is read through `tree`, which refuses a hostile zip or folder before reading it and
streams every file within `limits.Limits`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from fireline.errors import IntegrityError
from fireline.events import KNOWN_KINDS
from fireline.export import layout, logproof, seal
from fireline.export.limits import DEFAULT_LIMITS, Limits
from fireline.export.model import Record
from fireline.export.record import fold
from fireline.export.tree import Tree, open_tree
from fireline.export.views import Params
from fireline.ledger import chain
from fireline.ledger.checkpoints import is_signed, is_valid, key_id_of, load_public_key

_HASH_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ExportReport:
    """What verifying an export found."""

    incident_id: str
    events: int = 0
    files: int = 0
    evidence_files: int = 0
    masked: bool = True
    key_id: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_export(
    path: Path, *, limits: Limits = DEFAULT_LIMITS, pinned: str | None = None
) -> ExportReport:
    """Verify the export at `path`; the report lists every problem found (empty when intact).

    `pinned` is the key id that must have signed it; without it, any key the export carries
    is accepted (and reported, for the caller to compare).

    An export that cannot be read safely within `limits` (see `tree`, `folder`, `zipread`) is
    refused with InvalidCommandError, or IntegrityError for a zip whose data is corrupt.
    """
    with open_tree(path, limits=limits) as tree:
        return _verify(tree, limits.max_document_bytes, pinned)


def _verify(tree: Tree, document: int, pinned: str | None) -> ExportReport:
    report = ExportReport(tree.name)
    problems = report.problems
    required = (layout.EVENTS, layout.CHECKPOINTS, layout.PUBLIC_KEY, layout.HASHES, layout.TLOG)
    for path in (*required, *layout.VIEW_FILES):
        if path not in tree.files:
            problems.append(Problem(path, "missing"))
    if any(p.path in required for p in problems):
        return report
    try:
        key = load_public_key(
            tree.read(layout.PUBLIC_KEY, limit=document), source=layout.PUBLIC_KEY
        )
    except IntegrityError as exc:
        problems.append(Problem(layout.PUBLIC_KEY, exc.message))
        return report
    try:
        checkpoint, the_seal, signature = seal.parse_checkpoints(
            tree.read(layout.CHECKPOINTS, limit=document).decode()
        )
    except (IntegrityError, UnicodeDecodeError) as exc:
        problems.append(Problem(layout.CHECKPOINTS, getattr(exc, "message", "not UTF-8")))
        return report
    report.key_id, report.masked = key_id_of(key), the_seal.masked
    if pinned is not None and report.key_id != pinned:
        problems.append(
            Problem(
                layout.PUBLIC_KEY, f"signed by key {report.key_id}, not the pinned key {pinned}"
            )
        )
    if not is_signed(key, the_seal.message(), signature) or checkpoint.key_id != report.key_id:
        problems.append(Problem(layout.CHECKPOINTS, "export seal signature does not verify"))
    if not is_valid(key, checkpoint):
        problems.append(Problem(layout.CHECKPOINTS, "checkpoint signature does not verify"))
    if (checkpoint.incident_id, checkpoint.seq, checkpoint.head) != (
        the_seal.incident_id,
        the_seal.seq,
        the_seal.head,
    ) or the_seal.incident_id != tree.name:
        problems.append(Problem(layout.CHECKPOINTS, "checkpoint and seal name different heads"))
    listed = _check_hashes(tree, the_seal, problems, document)
    report.files = len(tree.files)
    events = _check_chain(tree, the_seal, problems, document)
    if events is None:
        return report
    report.events = len(events)
    log_problem = logproof.check(tree.read(layout.TLOG, limit=document), events, key)
    if log_problem is not None:
        problems.append(Problem(layout.TLOG, log_problem))
    params = Params(the_seal.masked, the_seal.timezone, the_seal.coordinate_precision)
    try:
        record = fold(tree.name, events)
        rendered = layout.render_views(record, params)
    except (KeyError, TypeError, ValueError, AttributeError, LookupError):
        problems.append(Problem(layout.EVENTS, "events cannot be rendered into the views"))
        return report
    _check_evidence(tree, record, params, listed, report)
    for path, data in rendered.items():
        # A view of another size differs; it is never read past the size it must have.
        if path in tree.files and (
            tree.files[path] != len(data) or tree.read(path, limit=len(data)) != data
        ):
            problems.append(Problem(path, "differs from the view rendered from the ledger"))
    return report


def _lines(text: str) -> list[str]:
    """The file's LF-separated lines. Not `str.splitlines`: that also splits at U+2028, U+0085
    and the other separators JSON leaves raw inside strings, so stored text could split an event."""
    return text.removesuffix("\n").split("\n") if text else []


def _check_hashes(
    tree: Tree, the_seal: seal.Seal, problems: list[Problem], document: int
) -> dict[str, str]:
    """hashes.sha256 against the seal, every file against it; missing and added files."""
    raw = tree.read(layout.HASHES, limit=document)
    if hashlib.sha256(raw).hexdigest() != the_seal.hashes_sha256:
        problems.append(Problem(layout.HASHES, "does not match the digest the export seal signs"))
    listed: dict[str, str] = {}
    for number, line in enumerate(_lines(raw.decode("utf-8", errors="replace")), 1):
        match = _HASH_LINE.fullmatch(line)
        if match is None:
            problems.append(Problem(layout.HASHES, f"line {number} is not a sha256sum line"))
            continue
        listed[layout.from_relative(match.group(2))] = match.group(1)
    for path, digest in sorted(listed.items()):
        if path not in tree.files:
            if not any(p.path == path for p in problems):
                problems.append(Problem(path, "missing"))
        elif tree.digest(path) != digest:
            problems.append(Problem(path, "does not match its digest in hashes.sha256"))
    for path in sorted(set(tree.files) - set(listed) - set(layout.UNHASHED)):
        problems.append(Problem(path, "is not part of the export (not in hashes.sha256)"))
    return listed


def _check_chain(
    tree: Tree, the_seal: seal.Seal, problems: list[Problem], document: int
) -> list[chain.Event] | None:
    """Re-hash and re-link events.jsonl from genesis to the signed head."""
    where = layout.EVENTS
    try:
        lines = _lines(tree.read(where, limit=document).decode())
        parsed = [seal.parse_event_line(line, where=f"line {n}") for n, line in enumerate(lines, 1)]
    except IntegrityError as exc:
        problems.append(Problem(where, exc.message))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(where, "not UTF-8"))
        return None
    prev = chain.genesis(tree.name)
    erased_targets = {
        int(e.payload["target_seq"])
        for e, _m in parsed
        if e.kind == chain.ERASURE_KIND and e.payload is not None
    }
    for expected, (event, masked) in enumerate(parsed, 1):
        reason = _event_problem(event, masked, expected, prev, tree.name, erased_targets)
        if reason is not None:
            problems.append(Problem(where, f"event {expected}: {reason}"))
            return None
        prev = event.hash
    if (len(parsed), prev) != (the_seal.seq, the_seal.head):
        problems.append(
            Problem(where, f"ends at event {len(parsed)}, not at the signed head {the_seal.seq}")
        )
        return None
    return [event for event, _masked in parsed]


def _event_problem(
    event: chain.Event,
    masked: tuple[str, ...],
    seq: int,
    prev: str,
    incident_id: str,
    erased_targets: set[int],
) -> str | None:
    if event.seq != seq or event.incident_id != incident_id:
        return "out of place (seq or incident id)"
    if event.kind not in KNOWN_KINDS:
        return f"unknown event kind {event.kind!r}"
    if event.prev != prev:
        return "prev does not link to the event before it"
    if set(masked) - {"actor", "payload"}:
        return "names an unknown masked field"
    if event.payload is None:
        if seq not in erased_targets:
            return "payload removed without an erasure event"
    elif not masked:
        text = chain.canonical(event.payload)
        if chain.payload_digest(text, event.payload_salt) != event.payload_sha256:
            return "payload does not match its recorded digest"
    elif event.payload_salt is not None:
        return "masked event carries its payload salt"
    if event.payload_sha256 is None:
        # A masked actor: the header hash covers the unmasked actor and a digest withheld so
        # it cannot be guessed; the link to the next event and the signed seal vouch for it.
        return None if "actor" in masked else "payload digest missing"
    expected = hashlib.sha256(
        chain.preimage(
            incident_id=incident_id,
            seq=seq,
            ts=event.ts,
            actor=event.actor,
            kind=event.kind,
            payload_sha256=event.payload_sha256,
            policy=event.policy,
            prev=prev,
        )
    ).hexdigest()
    return None if expected == event.hash else "hash does not match the event's contents"


def _check_evidence(
    tree: Tree, record: Record, params: Params, listed: dict[str, str], report: ExportReport
) -> None:
    """Evidence files are the ones the ledger names, with the digests it recorded."""
    plan = layout.evidence_plan(record, masked=params.masked)
    items = {item.number: item for item in record.evidence}
    expected = {f"{layout.EVIDENCE}/{rel}": number for rel, number in _flip(plan).items()}
    actual = {p for p in listed if p.startswith(f"{layout.EVIDENCE}/") and p != layout.HASHES}
    for path in sorted(actual - set(expected)):
        report.problems.append(Problem(path, "is not evidence the ledger records"))
    for path, number in sorted(expected.items()):
        if path not in tree.files:
            if not any(p.path == path for p in report.problems):
                report.problems.append(Problem(path, "missing"))
            continue
        report.evidence_files += 1
        item = items[number]
        # Only a file redaction found PII in may differ from the ledger, and only when masked.
        if (not params.masked or not item.sensitive) and tree.digest(path) != item.sha256:
            report.problems.append(
                Problem(path, "does not match the digest the ledger recorded for it")
            )


def _flip(plan: dict[int, str]) -> dict[str, int]:
    return {path: number for number, path in plan.items()}
