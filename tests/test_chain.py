"""The pure hash chain: canonical bytes, sealing, and verification of stored rows."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from fireline.events import KNOWN_KINDS
from fireline.ledger.chain import StoredRow, canonical, genesis, preimage, seal, verify

INC = "INC-20261123-001"
POLICY = "a" * 64
texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)


@given(
    actor=texts,
    incident_id=texts,
    kind=texts,
    digest=texts,
    prev=texts,
    ts=texts,
    seq=st.integers(min_value=0, max_value=2**53 - 1),
    policy=st.none() | texts,
)
def test_preimage_is_rfc8785_canonical_json(
    actor: str,
    incident_id: str,
    kind: str,
    digest: str,
    prev: str,
    ts: str,
    seq: int,
    policy: str | None,
) -> None:
    fields: dict[str, Any] = {
        "actor": actor,
        "incident_id": incident_id,
        "kind": kind,
        "payload_sha256": digest,
        "prev": prev,
        "seq": seq,
        "ts": ts,
    }
    if policy is not None:  # events from before policies were recorded have no such key
        fields["policy"] = policy
    assert preimage(**{**fields, "policy": policy}) == rfc8785.dumps(fields)


# JSON values as fireline's payloads hold them, and the shapes the fast path hands to rfc8785:
# any text (surrogates included), integers past the safe range, floats, non-ASCII keys.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(payload=st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_canonical_is_rfc8785_or_refuses_as_it_does(payload: dict[str, Any]) -> None:
    try:
        expected = rfc8785.dumps(payload).decode()
    except rfc8785.CanonicalizationError as exc:
        with pytest.raises(type(exc)):
            canonical(payload)
    else:
        assert canonical(payload) == expected


@given(text=st.text(st.characters(max_codepoint=0x7F)) | texts, refs=st.lists(texts))
def test_canonical_of_an_entry_payload_is_rfc8785(text: str, refs: list[str]) -> None:
    payload = {"text": text, "refs": refs, "at": None, "partial": False, "seq": 2**53 - 1}
    assert canonical(payload) == rfc8785.dumps(payload).decode()


def make_chain(payloads: list[dict[str, Any]], *, kind: str = "entry.fact") -> list[StoredRow]:
    rows: list[StoredRow] = []
    prev = genesis(INC)
    for seq, payload in enumerate(payloads, start=1):
        event, text = seal(
            incident_id=INC,
            seq=seq,
            ts=f"2026-11-23T14:00:{seq:02d}.000000Z",
            actor="alice",
            kind=kind,
            payload=payload,
            policy=POLICY,
            prev=prev,
        )
        rows.append(
            (
                seq,
                event.ts,
                event.actor,
                kind,
                text,
                str(event.payload_sha256),
                POLICY,
                prev,
                event.hash,
                event.payload_salt,
            )
        )
        prev = event.hash
    return rows


payload_lists = st.lists(
    st.fixed_dictionaries(
        {"text": st.text(min_size=1, max_size=30), "refs": st.lists(texts, max_size=2)}
    ),
    min_size=1,
    max_size=8,
)


@given(payload_lists)
def test_untouched_chain_verifies(payloads: list[dict[str, Any]]) -> None:
    rows = make_chain(payloads)
    report = verify(INC, rows, known_kinds=KNOWN_KINDS)
    assert report.broken is None
    assert report.head_seq == len(payloads)
    assert report.head == rows[-1][8]


@given(payload_lists, st.data())
def test_any_single_byte_change_is_caught_at_that_event(
    payloads: list[dict[str, Any]], data: st.DataObject
) -> None:
    rows = make_chain(payloads)
    index = data.draw(st.integers(0, len(rows) - 1))
    # ts, actor, payload, digest, policy, prev, hash
    field = data.draw(st.sampled_from([1, 2, 4, 5, 6, 7, 8]))
    row = list(rows[index])
    value = str(row[field])
    position = data.draw(st.integers(0, len(value) - 1))
    replacement = "0" if value[position] != "0" else "1"
    row[field] = value[:position] + replacement + value[position + 1 :]
    rows[index] = tuple(row)  # type: ignore[assignment]
    report = verify(INC, rows, known_kinds=KNOWN_KINDS)
    assert report.broken is not None
    assert report.broken.seq == index + 1


def test_genesis_binds_the_incident_id() -> None:
    assert genesis(INC) != genesis("INC-20261123-002")
    rows = make_chain([{"text": "a"}])
    assert verify("INC-20261123-002", rows, known_kinds=KNOWN_KINDS).broken is not None


def test_deleted_event_is_named_by_its_seq() -> None:
    rows = make_chain([{"text": str(i)} for i in range(5)])
    del rows[2]
    broken = verify(INC, rows, known_kinds=KNOWN_KINDS).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (3, "missing (found seq 4 next)")


def test_unknown_kind_fails() -> None:
    rows = make_chain([{"text": "a"}], kind="entry.gossip")
    broken = verify(INC, rows, known_kinds=KNOWN_KINDS).broken
    assert broken is not None
    assert broken.reason == "unknown event kind 'entry.gossip'"


def test_erased_payload_verifies_only_with_an_erasure_event() -> None:
    rows = make_chain([{"text": "secret"}, {"text": "b"}])
    seq, ts, actor, kind, _text, digest, policy, prev, event_hash, _salt = rows[0]
    rows[0] = (seq, ts, actor, kind, None, digest, policy, prev, event_hash, None)
    broken = verify(INC, rows, known_kinds=KNOWN_KINDS).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (1, "payload removed without an erasure event")
    erasure, text = seal(
        incident_id=INC,
        seq=3,
        ts="2026-11-23T14:00:03.000000Z",
        actor="alice",
        kind="entry.erased",
        payload={"target_seq": 1, "reason": "GDPR"},
        policy=POLICY,
        prev=rows[1][8],
    )
    rows.append(
        (
            3,
            erasure.ts,
            "alice",
            "entry.erased",
            text,
            str(erasure.payload_sha256),
            POLICY,
            erasure.prev,
            erasure.hash,
            erasure.payload_salt,
        )
    )
    assert verify(INC, rows, known_kinds=KNOWN_KINDS).broken is None


def test_seal_digest_is_over_canonical_payload() -> None:
    event, text = seal(
        incident_id=INC,
        seq=1,
        ts="t",
        actor="a",
        kind="entry.fact",
        payload={"b": 1, "a": "é"},
        policy=None,
        prev=genesis(INC),
    )
    assert text == canonical({"a": "é", "b": 1}) == '{"a":"é","b":1}'
    assert event.payload_salt is not None
    assert len(event.payload_salt) == 32
    salted = (event.payload_salt + text).encode()
    assert event.payload_sha256 == hashlib.sha256(salted).hexdigest()


@pytest.mark.parametrize("text", ["not json", '{"target_seq": "1"}', "[]"])
def test_malformed_erasure_payload_erases_nothing(text: str) -> None:
    from fireline.ledger.chain import _erasure_target

    assert _erasure_target(text) == 0


@given(head=texts, incident_id=texts, ts=texts, seq=st.integers(min_value=0, max_value=2**53 - 1))
def test_checkpoint_message_is_rfc8785_canonical_json(
    head: str, incident_id: str, ts: str, seq: int
) -> None:
    from fireline.ledger.chain import checkpoint_message

    fields: dict[str, Any] = {"head": head, "incident_id": incident_id, "seq": seq, "ts": ts}
    assert checkpoint_message(head=head, incident_id=incident_id, seq=seq, ts=ts) == rfc8785.dumps(
        fields
    )
