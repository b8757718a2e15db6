"""Payload digests are hiding commitments: an attacker who tries candidate texts learns nothing.

The attacker here knows fireline's canonical payload format, the entry's wording around the
value, and a candidate list that holds the true value (an IP address, a phone number). Against
an unsalted digest that finds the value in milliseconds; against a salted one it finds nothing.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fireline.commands import EraseEntry, LogEntry
from fireline.db import events
from fireline.domain import IncidentId
from fireline.ledger import chain
from fireline.ledger import store as ledger
from fireline.ledger.chain import canonical, preimage
from fireline.service import Context
from tests.conftest import Cli
from tests.factories import make_incident, run

IP = "10.20.30.40"
PHONE = "+44 20 7946 0958"
TEMPLATES = {IP: "blocked source {} at the edge", PHONE: "caller on {} reported the outage"}


def ip_candidates() -> Iterator[str]:
    """Every 10.20.x.y address: 65,536 candidates, the true one among them."""
    return (f"10.20.{a}.{b}" for a, b in itertools.product(range(256), repeat=2))


def phone_candidates() -> Iterator[str]:
    """London numbers 020 7946 0000–9999 (Ofcom's range for drama): the true one among them."""
    return (f"+44 20 7946 {n:04d}" for n in range(10_000))


CANDIDATES = {IP: ip_candidates, PHONE: phone_candidates}


def payload_guesses(value: str, candidate: str) -> list[str]:
    """The canonical payload texts an entry holding `candidate` could have been stored as."""
    text = TEMPLATES[value].format(candidate)
    return [canonical({"kind": "fact", "text": text, "refs": []}), canonical({"text": text})]


def attack_digest(
    value: str, digest: str, actor: str | None = None, header: dict[str, Any] | None = None
) -> list[str]:
    """Candidates whose payload digest (or, given the header, whose event hash) matches."""
    found = []
    for candidate in CANDIDATES[value]():
        for text in payload_guesses(value, candidate):
            guess = hashlib.sha256(text.encode()).hexdigest()
            if header is not None and actor is not None:
                sealed = preimage(actor=actor, payload_sha256=guess, **header)
                guess = hashlib.sha256(sealed).hexdigest()
            if guess == digest:
                found.append(candidate)
    return found


def test_the_attacker_finds_the_value_in_an_unsalted_digest() -> None:
    """The attack is sound: against a v1 (unsalted) digest of the real text it succeeds."""
    for value in (IP, PHONE):
        text = payload_guesses(value, value)[0]
        assert attack_digest(value, hashlib.sha256(text.encode()).hexdigest()) == [value]


def stored_payload(ctx: Context, inc: IncidentId, value: str) -> tuple[int, str]:
    events = run(ctx, LogEntry(incident_id=inc, kind="fact", text=TEMPLATES[value].format(value)))
    assert events[0].payload is not None
    return events[0].seq, canonical(events[0].payload)


def test_the_stored_digest_is_salted_and_the_true_text_opens_it(ctx: Context) -> None:
    inc = make_incident(ctx)
    seq, text = stored_payload(ctx, inc, IP)
    with ctx.engine.connect() as conn:
        event = ledger.read_events(conn, inc)[seq - 1]
    assert event.payload_salt is not None
    assert len(event.payload_salt) == 32
    assert event.payload_sha256 == hashlib.sha256((event.payload_salt + text).encode()).hexdigest()
    assert event.payload_sha256 != hashlib.sha256(text.encode()).hexdigest()


def test_an_erased_entry_keeps_no_salt_and_its_digest_confirms_no_guess(ctx: Context) -> None:
    inc = make_incident(ctx)
    targets = {value: stored_payload(ctx, inc, value)[0] for value in (IP, PHONE)}
    for seq in targets.values():
        run(ctx, EraseEntry(incident_id=inc, target_seq=seq, reason="privacy request"))
    with ctx.engine.connect() as conn:
        rows = {row[0]: row for row in ledger.iter_rows(conn, inc)}
    for value, seq in targets.items():
        _seq, _ts, _actor, _kind, text, digest, *_rest, salt = rows[seq]
        assert (text, salt) == (None, None)
        assert attack_digest(value, digest) == []


@pytest.mark.parametrize("mask_actor", [False, True])
def test_a_masked_export_gives_the_attacker_nothing(
    ctx: Context, cli: Cli, tmp_path: Path, mask_actor: bool
) -> None:
    """Neither the digest nor the header hash of a masked event confirms a candidate."""
    actor = "ops+oncall@example.com" if mask_actor else "alice"
    inc = make_incident(ctx)
    for value in (IP, PHONE):
        run(ctx, LogEntry(incident_id=inc, kind="fact", text=TEMPLATES[value].format(value)), actor)
    result = cli("export", inc, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "predate salted digests" not in result.output
    exported = (tmp_path / inc / "ledger/events.jsonl").read_text()
    lines = [json.loads(line) for line in exported.splitlines()]
    masked = [line for line in lines if line["masked"]]
    assert len(masked) >= 2
    for line in masked:
        assert line["payload_salt"] is None
        assert (line["payload_sha256"] is None) == ("actor" in line["masked"])
    for value in (IP, PHONE):
        (event,) = [line for line in masked if value in _original_text(value, line)]
        header = {k: event[k] for k in ("incident_id", "kind", "policy", "prev", "seq", "ts")}
        if event["payload_sha256"] is not None:
            assert attack_digest(value, event["payload_sha256"]) == []
        assert attack_digest(value, event["hash"], actor=actor, header=header) == []
    verified = cli("verify", str(tmp_path / inc))
    assert verified.exit_code == 0, verified.output


def _original_text(value: str, line: dict[str, Any]) -> str:
    """The masked line's text with the mask undone by the test (which knows the value)."""
    text = str((line["payload"] or {}).get("text", ""))
    prefix = TEMPLATES[value].split("{}")[0]
    return value if text.startswith(prefix) else ""


def test_a_v1_store_still_verifies_and_masked_exports_warn(
    ctx: Context, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events sealed before salts (salt NULL, digest of the bare text) verify as they did, and
    a masked export of them says their digests can still confirm a guess."""
    with monkeypatch.context() as patch:
        patch.setattr(chain, "new_salt", lambda: "")  # seal exactly as format v1 did
        inc = make_incident(ctx)
        stored_payload(ctx, inc, IP)
    with ctx.engine.begin() as conn:
        conn.execute(events.update().where(events.c.payload_salt == "").values(payload_salt=None))
    stored_payload(ctx, inc, PHONE)  # a v2 event on top of v1 ones
    with ctx.engine.connect() as conn:
        salts = [row[-1] for row in ledger.iter_rows(conn, inc)]
    assert salts[0] is None
    assert salts[-1] is not None
    checked = cli("verify", inc)
    assert checked.exit_code == 0, checked.output
    result = cli("export", inc, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "predate salted digests (event format v1)" in result.output
    verified = cli("verify", str(tmp_path / inc))
    assert verified.exit_code == 0, verified.output


def test_a_stripped_salt_is_a_break(ctx: Context, cli: Cli) -> None:
    """Dropping a v2 event's salt (a downgrade to v1) breaks its digest."""
    inc = make_incident(ctx)
    seq = stored_payload(ctx, inc, IP)[0]
    with ctx.engine.begin() as conn:
        conn.execute(
            events.update()
            .where(events.c.incident_id == inc, events.c.seq == seq)
            .values(payload_salt=None)
        )
    result = cli("verify", inc)
    assert result.exit_code != 0
    assert "payload does not match its recorded digest" in result.output
