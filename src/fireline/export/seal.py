"""The export's ledger files: events.jsonl lines, the chain checkpoint and the export seal.

`ledger/checkpoints.jsonl` holds two signed statements, both by the store key:
the chain checkpoint `{incident_id, seq, head, ts}` of the exported head (the same message the
store signs), and the export seal, which signs the digest of `10_evidence/hashes.sha256` — and
through it every file of the export — together with how the export was rendered (masked or not,
time zone, coordinate grid). Ed25519 signatures are deterministic, so the same export signs to
the same bytes. Pure: no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fireline.errors import IntegrityError
from fireline.ledger.chain import Event, canonical
from fireline.ledger.checkpoints import Checkpoint

SEAL_TYPE = "fireline/export-seal/v1"


@dataclass(frozen=True)
class Seal:
    """What an export's signature vouches for."""

    incident_id: str
    seq: int
    head: str
    masked: bool
    timezone: str
    coordinate_precision: float
    hashes_sha256: str

    def fields(self) -> dict[str, Any]:
        return {
            "type": SEAL_TYPE,
            "incident_id": self.incident_id,
            "seq": self.seq,
            "head": self.head,
            "masked": self.masked,
            "timezone": self.timezone,
            "coordinate_precision": self.coordinate_precision,
            "hashes_sha256": self.hashes_sha256,
        }

    def message(self) -> bytes:
        """The bytes the seal's signature covers (RFC 8785 JSON)."""
        return canonical(self.fields()).encode()


def event_line(event: Event, masked: tuple[str, ...]) -> bytes:
    """One events.jsonl line: the sealed event and which of its fields the export masked."""
    return (canonical({**event.as_dict(), "masked": list(masked)}) + "\n").encode()


def parse_event_line(line: str, *, where: str) -> tuple[Event, tuple[str, ...]]:
    """Read an events.jsonl line back; IntegrityError naming the line if it is malformed."""
    try:
        data = json.loads(line)
        masked = tuple(str(m) for m in data.pop("masked", []))
        payload = data["payload"]
        event = Event(
            incident_id=str(data["incident_id"]),
            seq=data["seq"],
            ts=str(data["ts"]),
            actor=str(data["actor"]),
            kind=str(data["kind"]),
            payload=payload if payload is None else dict(payload),
            payload_sha256=_optional_text(data["payload_sha256"]),
            policy=data.get("policy"),
            prev=str(data["prev"]),
            hash=str(data["hash"]),
            payload_salt=_optional_text(data.get("payload_salt")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise IntegrityError(f"{where}: not a fireline event line") from None
    return event, masked


def _optional_text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("expected text or null")
    return value


def checkpoints_file(checkpoint: Checkpoint, seal: Seal, seal_signature: str) -> bytes:
    first = {
        "type": "checkpoint",
        "incident_id": checkpoint.incident_id,
        "seq": checkpoint.seq,
        "head": checkpoint.head,
        "ts": checkpoint.ts,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }
    second = {**seal.fields(), "key_id": checkpoint.key_id, "signature": seal_signature}
    return (canonical(first) + "\n" + canonical(second) + "\n").encode()


def parse_checkpoints(text: str) -> tuple[Checkpoint, Seal, str]:
    """The checkpoint, the seal and the seal's signature; IntegrityError if malformed."""
    try:
        first, second = (json.loads(line) for line in text.splitlines())
        if first.get("type") != "checkpoint" or second.get("type") != SEAL_TYPE:
            raise ValueError
        checkpoint = Checkpoint(
            str(first["incident_id"]),
            int(first["seq"]),
            str(first["head"]),
            str(first["ts"]),
            str(first["key_id"]),
            str(first["signature"]),
        )
        seal = Seal(
            incident_id=str(second["incident_id"]),
            seq=int(second["seq"]),
            head=str(second["head"]),
            masked=bool(second["masked"]),
            timezone=str(second["timezone"]),
            coordinate_precision=float(second["coordinate_precision"]),
            hashes_sha256=str(second["hashes_sha256"]),
        )
        if second["key_id"] != checkpoint.key_id or not isinstance(second["masked"], bool):
            raise ValueError
        signature = str(second["signature"])
        # Byte for byte as written: nothing in this file may change unnoticed, even whitespace.
        if checkpoints_file(checkpoint, seal, signature) != text.encode():
            raise ValueError
        return checkpoint, seal, signature
    except (ValueError, KeyError, TypeError, AttributeError):
        raise IntegrityError(
            "expected a checkpoint line and an export seal line, byte for byte as written"
        ) from None
