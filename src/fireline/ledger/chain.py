"""Pure hash-chain rules: canonical bytes, event hashes, genesis and verification. No I/O.

An event's hash covers a digest of its payload rather than the payload itself, so an erasure
(legal or privacy) can drop a payload and the chain still verifies end to end. The digest is a
hiding commitment: it covers a random 128-bit salt kept beside the payload, so once the payload
and its salt are gone (erased, or withheld from a masked export) the digest confirms no guess.
Events sealed before salts (format v1, salt NULL) commit to the bare payload and still verify.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

import rfc8785

GENESIS_PREFIX = "fireline/genesis/v1:"
ERASURE_KIND = "entry.erased"
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
SALT_BYTES = 16  # 128 bits: far beyond any dictionary of candidate payloads


@dataclass(frozen=True)
class Event:
    """One sealed link of an incident's chain. `payload` and `payload_salt` are None once erased.

    `payload_salt` is None for v1 events (sealed before salts) and in a masked export, which
    withholds it; such an export also withholds `payload_sha256` (None) when it masks the actor,
    because the header hash over a known digest would confirm a guessed actor.
    """

    incident_id: str
    seq: int
    ts: str
    actor: str
    kind: str
    payload: Mapping[str, Any] | None
    payload_sha256: str | None
    policy: str | None  # digest of the policy bundle that authorised it
    prev: str
    hash: str
    payload_salt: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "kind": self.kind,
            "payload": None if self.payload is None else dict(self.payload),
            "payload_salt": self.payload_salt,
            "payload_sha256": self.payload_sha256,
            "policy": self.policy,
            "prev": self.prev,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Break:
    """The first event that fails verification and why."""

    incident_id: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"{self.incident_id} event {self.seq}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    """What verifying one chain found: how far it got and the first break, if any."""

    incident_id: str
    count: int
    head_seq: int
    head: str
    broken: Break | None


# (seq, ts, actor, kind, payload_text, payload_sha256, policy, prev, hash, payload_salt) — the
# stored columns.
StoredRow = tuple[int, str, str, str, str | None, str, str | None, str, str, str | None]


def new_salt() -> str:
    """A fresh payload salt, hex: one per event, from the OS's CSPRNG."""
    return secrets.token_hex(SALT_BYTES)


def payload_digest(text: str, salt: str | None) -> str:
    """The commitment to a payload's canonical text: sha256(salt ‖ text), or sha256(text) for v1.

    The salt is fixed-length hex, so the concatenation is unambiguous.
    """
    return hashlib.sha256(((salt or "") + text).encode()).hexdigest()


def genesis(incident_id: str) -> str:
    """The `prev` of an incident's first event: binds the chain to its incident id."""
    return hashlib.sha256((GENESIS_PREFIX + incident_id).encode()).hexdigest()


def canonical(value: Mapping[str, Any]) -> str:
    """RFC 8785 canonical JSON text.

    The payloads fireline writes (strings, safe integers, booleans, nulls, lists and objects
    with ASCII keys) go through the standard library's C encoder, whose output for exactly
    those values is RFC 8785's: keys sorted (ASCII code points order as UTF-16 units do), no
    whitespace, the same escapes (`"`, `\\`, `\\b \\f \\n \\r \\t`, other controls as
    lowercase `\\u00xx`), everything else as UTF-8. Anything outside that (floats, large
    integers, non-ASCII keys, subclasses, text the UTF-8 codec refuses) goes to `rfc8785`.
    The pure-Python `rfc8785` cost a tenth of a durable append; a property test holds the two
    equal.
    """
    if _is_plain(value):
        try:
            text = _dumps(value)
            text.encode()  # lone surrogates: let rfc8785 refuse them the way it does
        except (TypeError, ValueError):
            pass
        else:
            return text
    return str(rfc8785.dumps(value).decode())


_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_SAFE_INT = 2**53 - 1


def _is_plain(value: Any) -> bool:
    """True when the C encoder's output for `value` is exactly RFC 8785's (see `canonical`)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_SAFE_INT <= value <= _SAFE_INT)
    if kind is dict:
        return all(
            type(key) is str and key.isascii() and _is_plain(member)
            for key, member in value.items()
        )
    if kind is list or kind is tuple:
        return all(_is_plain(member) for member in value)
    return False


def preimage(
    *,
    incident_id: str,
    seq: int,
    ts: str,
    actor: str,
    kind: str,
    payload_sha256: str,
    policy: str | None,
    prev: str,
) -> bytes:
    """The canonical JSON of an event without its hash, built directly for speed.

    Equal to `canonical()` of the same dict (`policy` left out when None, as events written
    before policies were recorded have it): keys in RFC 8785 order, strings escaped the way
    RFC 8785 escapes them (tests hold the two equal).
    """
    q = encode_basestring
    policy_part = "" if policy is None else f',"policy":{q(policy)}'
    return (
        f'{{"actor":{q(actor)},"incident_id":{q(incident_id)},"kind":{q(kind)},'
        f'"payload_sha256":{q(payload_sha256)}{policy_part},"prev":{q(prev)},"seq":{seq},'
        f'"ts":{q(ts)}}}'
    ).encode()


def seal(
    *,
    incident_id: str,
    seq: int,
    ts: str,
    actor: str,
    kind: str,
    payload: Mapping[str, Any],
    policy: str | None,
    prev: str,
    salt: str | None = None,
) -> tuple[Event, str]:
    """Hash a new event onto `prev`; return it with its canonical payload text for storage.

    `salt` defaults to a fresh one; tests pass their own to get reproducible digests.
    """
    text = canonical(payload)
    salt = new_salt() if salt is None else salt
    digest = payload_digest(text, salt)
    event_hash = hashlib.sha256(
        preimage(
            incident_id=incident_id,
            seq=seq,
            ts=ts,
            actor=actor,
            kind=kind,
            payload_sha256=digest,
            policy=policy,
            prev=prev,
        )
    ).hexdigest()
    event = Event(
        incident_id, seq, ts, actor, kind, payload, digest, policy, prev, event_hash, salt
    )
    return event, text


def verify(
    incident_id: str, rows: Iterable[StoredRow], *, known_kinds: frozenset[str]
) -> ChainReport:
    """Walk stored rows in seq order and report the first event that does not verify.

    Catches changed bytes (payload, salt or header), deleted, inserted and reordered events,
    unknown kinds, and payloads removed without a signed-in-chain erasure naming them.
    """
    walk = _walk(incident_id, rows, expected=1, prev=genesis(incident_id), known_kinds=known_kinds)
    if walk.broken is None:
        for seq in walk.emptied:
            if seq not in walk.erased_targets:
                reason = "payload removed without an erasure event"
                return _report(
                    incident_id, walk.next_seq, walk.head, Break(incident_id, seq, reason)
                )
    return _report(incident_id, walk.next_seq, walk.head, walk.broken)


@dataclass(frozen=True)
class Span:
    """One run of a chain's rows, verified on its own: joined to its neighbours by the caller.

    Every check of `verify` is made inside the span except the link of its first row, whose
    stored `prev` is reported (`first_prev`) for the caller to compare with the hash the span
    before it ended on (`head`); erasures are checked once all spans of a chain are in.
    """

    incident_id: str
    first_seq: int
    next_seq: int  # one past the last row that verified
    first_prev: str | None  # None when the span has no rows
    head: str | None
    erased_targets: frozenset[int]
    emptied: tuple[int, ...]
    broken: bool


def verify_span(
    incident_id: str, rows: Iterable[StoredRow], *, first_seq: int, known_kinds: frozenset[str]
) -> Span:
    """Verify rows `first_seq`… of a chain without the rows before them (see `Span`)."""
    remaining = iter(rows)
    first = next(remaining, None)
    if first is None:
        return Span(incident_id, first_seq, first_seq, None, None, frozenset(), (), False)
    first_prev = first[7] if first_seq > 1 else genesis(incident_id)
    walk = _walk(
        incident_id,
        itertools.chain((first,), remaining),
        expected=first_seq,
        prev=first_prev,
        known_kinds=known_kinds,
    )
    return Span(
        incident_id,
        first_seq,
        walk.next_seq,
        first_prev,
        walk.head,
        frozenset(walk.erased_targets),
        tuple(walk.emptied),
        walk.broken is not None,
    )


@dataclass
class _Walk:
    next_seq: int
    head: str
    erased_targets: set[int]
    emptied: list[int]
    broken: Break | None


def _walk(
    incident_id: str,
    rows: Iterable[StoredRow],
    *,
    expected: int,
    prev: str,
    known_kinds: frozenset[str],
) -> _Walk:
    """Check rows from seq `expected` on, linked to `prev`, up to the first that fails."""
    sha256 = hashlib.sha256
    q = encode_basestring
    # The same bytes as `preimage`, with the constant parts escaped once: digests and prev are
    # hex this function computed or checked itself, so they need no escaping.
    quoted_kinds = {kind: q(kind) for kind in known_kinds}
    quoted_incident = q(incident_id)
    erased_targets: set[int] = set()
    emptied: list[int] = []
    quoted_policies: dict[str, str] = {}
    for seq, ts, actor, kind, text, stored_digest, policy, stored_prev, stored_hash, salt in rows:
        if seq != expected:
            broken = Break(incident_id, expected, _gap(seq, expected))
            return _Walk(expected, prev, erased_targets, emptied, broken)
        broken_reason = None
        try:
            quoted_kind = quoted_kinds.get(kind)
            if quoted_kind is None:
                broken_reason = f"unknown event kind {kind!r}"
            elif text is None:
                emptied.append(seq)
                digest = stored_digest
                if not _HEX_DIGEST.fullmatch(digest):
                    broken_reason = "erased event's recorded digest is malformed"
            else:
                digest = sha256((text if salt is None else salt + text).encode()).hexdigest()
                if digest != stored_digest:
                    broken_reason = "payload does not match its recorded digest"
                elif kind == ERASURE_KIND:
                    erased_targets.add(_erasure_target(text))
            if broken_reason is None:
                policy_part = "" if policy is None else quoted_policies.get(policy, "")
                if policy is not None and not policy_part:
                    policy_part = quoted_policies[policy] = f',"policy":{q(policy)}'
                if stored_prev != prev:
                    broken_reason = "prev does not link to the event before it"
                elif (
                    stored_hash
                    != sha256(
                        f'{{"actor":{q(actor)},"incident_id":{quoted_incident},"kind":{quoted_kind},'
                        f'"payload_sha256":"{digest}"{policy_part},"prev":"{prev}","seq":{seq},'
                        f'"ts":{q(ts)}}}'.encode()
                    ).hexdigest()
                ):
                    broken_reason = "hash does not match the event's contents"
        except (TypeError, AttributeError, ValueError):
            broken_reason = "stored values have the wrong types"
        if broken_reason is not None:
            broken = Break(incident_id, seq, broken_reason)
            return _Walk(expected, prev, erased_targets, emptied, broken)
        prev = stored_hash
        expected += 1
    return _Walk(expected, prev, erased_targets, emptied, None)


def _report(incident_id: str, next_seq: int, head: str, broken: Break | None) -> ChainReport:
    """What verify found: the chain is intact up to `next_seq - 1`, ending in `head`."""
    return ChainReport(incident_id, next_seq - 1, next_seq - 1, head, broken)


def _gap(found: object, expected: int) -> str:
    if isinstance(found, int) and not isinstance(found, bool):
        return (
            f"missing (found seq {found} next)" if found > expected else f"out of order ({found})"
        )
    return f"malformed seq {found!r}"


def _erasure_target(text: str) -> int:
    try:
        target = json.loads(text)["target_seq"]
    except (ValueError, KeyError, TypeError):
        return 0
    return target if isinstance(target, int) else 0


def checkpoint_message(*, incident_id: str, seq: int, head: str, ts: str) -> bytes:
    """The bytes a checkpoint signature covers: RFC 8785 JSON, built directly like `preimage`."""
    q = encode_basestring
    return f'{{"head":{q(head)},"incident_id":{q(incident_id)},"seq":{seq},"ts":{q(ts)}}}'.encode()
