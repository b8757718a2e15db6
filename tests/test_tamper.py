"""Tampering behind fireline's back: edit the SQLite file directly, then `fireline verify`.

Every case builds the same realistic incident (8 events, checkpoint at seq 8) beside a small
bystander incident, changes rows with the stdlib `sqlite3` module, and checks that verify exits
7 naming the incident and the exact first broken event on stderr and in a BROKEN line.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from fireline import integrity
from fireline.commands import AssignRole, Declare, LogEntry, Transition
from fireline.domain import parse_actor, parse_incident_id
from fireline.ledger.chain import seal
from fireline.service import Context, execute
from tests.conftest import Cli, Store

pytestmark = pytest.mark.sqlite_only  # these tests edit the database file itself

ROW_COLUMNS = "seq, ts, actor, kind, payload, payload_sha256, policy, prev, hash, payload_salt"
LAST = 8  # events in the main incident, and the seq of its signed checkpoint


@dataclass(frozen=True)
class Scene:
    """The store under attack: one 8-event incident and an untouched bystander."""

    db: Path
    incident_id: str
    bystander_id: str


@dataclass(frozen=True)
class Row:
    seq: int
    ts: str
    actor: str
    kind: str
    payload: str | None
    payload_sha256: str
    policy: str | None
    prev: str
    hash: str
    payload_salt: str | None = None


@pytest.fixture(autouse=True, params=["one process", "split across processes"])
def verifying_processes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case is verified by one process, and again with the chains split across two."""
    if request.param != "one process":
        monkeypatch.setattr(integrity, "PARALLEL_MIN_EVENTS", 0)
        monkeypatch.setattr(integrity, "_idle_cpus", lambda: 2)


@pytest.fixture
def scene(store: Store, ctx: Context) -> Scene:
    """declare (+IC) → assign scribe → fact → hypothesis → investigating → decision → mitigation."""
    alice, bob = parse_actor("alice"), parse_actor("bob")
    declared = execute(
        Declare(
            title="Checkout 500s for EU users",
            severity="SEV1",
            impact="EU shoppers cannot pay",
            systems=("checkout-api",),
            ic="alice",
        ),
        alice,
        ctx=ctx,
    )
    inc = parse_incident_id(declared[0].incident_id)
    for command, actor in (
        (AssignRole(incident_id=inc, role="scribe", holder="bob"), alice),
        (LogEntry(incident_id=inc, kind="fact", text="Error rate is 12% on checkout-api"), bob),
        (LogEntry(incident_id=inc, kind="hypothesis", text="Deploy 9a1b7d broke TLS"), bob),
        (Transition(incident_id=inc, status="investigating", reason="paged"), alice),
        (
            LogEntry(
                incident_id=inc,
                kind="decision",
                text="Roll back deploy 9a1b7d",
                why="fastest path to recovery",
                refs=("deploy:9a1b7d",),
            ),
            alice,
        ),
        (LogEntry(incident_id=inc, kind="mitigation", text="Rolled back 9a1b7d"), bob),
    ):
        execute(command, actor, ctx=ctx)
    other = execute(Declare(title="Slow search", severity="SEV3"), bob, ctx=ctx)
    bystander = parse_incident_id(other[0].incident_id)
    execute(LogEntry(incident_id=bystander, kind="fact", text="p99 is 4s"), bob, ctx=ctx)
    ctx.close()  # nothing of fireline's stays open while the file is edited
    scene = Scene(store.sqlite_file, inc, bystander)
    assert [row.seq for row in read_rows(scene)] == list(range(1, LAST + 1))
    return scene


@contextmanager
def tampering(db: Path) -> Iterator[sqlite3.Connection]:
    """A raw connection to the store file; commits if the block returns, always closes."""
    conn = sqlite3.connect(db)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def read_rows(scene: Scene, incident_id: str | None = None) -> list[Row]:
    with tampering(scene.db) as conn:
        found = conn.execute(
            f"SELECT {ROW_COLUMNS} FROM events WHERE incident_id = ? ORDER BY seq",
            (incident_id or scene.incident_id,),
        ).fetchall()
    return [Row(*values) for values in found]


def read_head(scene: Scene) -> dict[str, Any]:
    with tampering(scene.db) as conn:
        conn.row_factory = sqlite3.Row
        found = conn.execute(
            "SELECT * FROM heads WHERE incident_id = ?", (scene.incident_id,)
        ).fetchone()
    assert found is not None
    return dict(found)


def update_event(scene: Scene, seq: int, /, **values: object) -> None:
    assignments = ", ".join(f"{column} = ?" for column in values)
    with tampering(scene.db) as conn:
        changed = conn.execute(
            f"UPDATE events SET {assignments} WHERE incident_id = ? AND seq = ?",
            (*values.values(), scene.incident_id, seq),
        ).rowcount
    assert changed == 1


def insert_event(scene: Scene, row: Row) -> None:
    with tampering(scene.db) as conn:
        conn.execute(
            f"INSERT INTO events (incident_id, {ROW_COLUMNS}) VALUES ({', '.join('?' * 11)})",
            (
                scene.incident_id,
                row.seq,
                row.ts,
                row.actor,
                row.kind,
                row.payload,
                row.payload_sha256,
                row.policy,
                row.prev,
                row.hash,
                row.payload_salt,
            ),
        )


def forge(
    *,
    incident_id: str,
    seq: int,
    ts: str,
    actor: str,
    kind: str,
    payload: dict[str, Any],
    prev: str,
    policy: str | None = None,
) -> Row:
    """A row sealed exactly as fireline would seal it (a consistent hash, no signature)."""
    event, text = seal(
        incident_id=incident_id,
        seq=seq,
        ts=ts,
        actor=actor,
        kind=kind,
        payload=payload,
        policy=policy,
        prev=prev,
    )
    digest = event.payload_sha256
    assert digest is not None
    return Row(seq, ts, actor, kind, text, digest, policy, prev, event.hash, event.payload_salt)


def change_one_byte(text: str, old: str, new: str) -> str:
    assert len(old.encode()) == len(new.encode())
    assert old in text
    changed = text.replace(old, new, 1)
    assert sum(a != b for a, b in zip(text.encode(), changed.encode(), strict=True)) == 1
    return changed


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith("ok: "), result.stdout


def assert_broken(result: Result, incident_id: str, seq: int, reason: str) -> None:
    """Exit 7; one stderr line and one BROKEN line naming the incident and exactly `seq`."""
    assert result.exit_code == 7, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"fireline: error: {incident_id} event {seq}: "), line
    assert reason in line
    broken = [text for text in result.stdout.splitlines() if text.startswith("BROKEN ")]
    assert broken == [line.replace("fireline: error: ", "BROKEN ", 1)]
    assert "ok:" not in result.stdout


# ── the untouched store and the official erasure path ────────────────────────────────────────


def test_untouched_store_verifies(scene: Scene, cli: Cli) -> None:
    result = cli("verify")
    assert_ok(result)
    assert result.stdout.startswith(f"ok: {LAST + 2} events in 2 incident chains verified")


def test_official_erasure_still_verifies_and_survives_rebuild(scene: Scene, cli: Cli) -> None:
    erased = cli(
        "erase", scene.incident_id, "4", "--reason", "GDPR request 2026-117", "--as", "alice"
    )
    assert erased.exit_code == 0, erased.output
    assert erased.stdout.strip() == f"{scene.incident_id} event {LAST + 1}: entry.erased"
    rows = read_rows(scene)
    assert rows[3].payload is None  # content gone …
    assert rows[3].payload_sha256  # … digest kept
    assert (rows[-1].seq, rows[-1].kind) == (LAST + 1, "entry.erased")
    assert_ok(cli("verify"))
    assert_ok(cli("verify", scene.incident_id))
    rebuilt = cli("rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert rebuilt.stdout.strip() == f"rebuilt projections from {LAST + 3} events"
    assert_ok(cli("verify"))


# ── changed bytes ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("seq", "old", "new"),
    [
        pytest.param(1, "500s", "501s", id="declaration-title"),
        pytest.param(4, "12%", "13%", id="fact-text"),
        pytest.param(7, "9a1b7d", "9a1b7e", id="decision-ref"),
        pytest.param(LAST, "Rolled", "Rolles", id="last-event-text"),
    ],
)
def test_one_changed_payload_byte_is_named(
    scene: Scene, cli: Cli, seq: int, old: str, new: str
) -> None:
    text = read_rows(scene)[seq - 1].payload
    assert text is not None
    update_event(scene, seq, payload=change_one_byte(text, old, new))
    assert_broken(
        cli("verify"), scene.incident_id, seq, "payload does not match its recorded digest"
    )


def _later_ts(row: Row) -> str:
    return row.ts.replace(".000000Z", ".000001Z")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        pytest.param("actor", lambda row: "mallory", "hash does not match", id="actor"),
        pytest.param("ts", _later_ts, "hash does not match", id="ts-by-one-microsecond"),
        pytest.param("kind", lambda row: "entry.fact", "hash does not match", id="kind"),
        pytest.param("prev", lambda row: "0" * 64, "prev does not link", id="prev"),
        pytest.param("hash", lambda row: "f" * 64, "hash does not match", id="hash"),
        pytest.param(
            "payload_sha256", lambda row: "0" * 64, "payload does not match", id="payload-digest"
        ),
    ],
)
def test_changed_header_field_is_named(
    scene: Scene, cli: Cli, column: str, value: Any, reason: str
) -> None:
    row = read_rows(scene)[4]  # seq 5, the hypothesis
    assert row.kind == "entry.hypothesis"
    assert row.ts.endswith(".000000Z")
    new = value(row)
    assert new != getattr(row, column)
    update_event(scene, 5, **{column: new})
    assert_broken(cli("verify"), scene.incident_id, 5, reason)


# ── removed, added and reordered events ─────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("seq", "reason"),
    [
        pytest.param(4, "missing (found seq 5 next)", id="middle"),
        pytest.param(1, "missing (found seq 2 next)", id="first"),
    ],
)
def test_deleted_event_is_named(scene: Scene, cli: Cli, seq: int, reason: str) -> None:
    with tampering(scene.db) as conn:
        conn.execute(
            "DELETE FROM events WHERE incident_id = ? AND seq = ?", (scene.incident_id, seq)
        )
    assert_broken(cli("verify"), scene.incident_id, seq, reason)


@pytest.mark.parametrize(
    "keep",
    [
        pytest.param(LAST - 1, id="last-event"),
        pytest.param(LAST - 3, id="last-three-events"),
        pytest.param(0, id="every-event"),
    ],
)
def test_tail_truncation_is_caught_by_the_signed_checkpoint(
    scene: Scene, cli: Cli, keep: int
) -> None:
    with tampering(scene.db) as conn:
        conn.execute(
            "DELETE FROM events WHERE incident_id = ? AND seq > ?", (scene.incident_id, keep)
        )
    assert_broken(
        cli("verify"),
        scene.incident_id,
        keep + 1,
        f"missing: the signed checkpoint covers {LAST} events, only {keep} remain",
    )


@pytest.mark.parametrize("count", [pytest.param(1, id="one-event"), pytest.param(3, id="three")])
def test_forged_append_beyond_the_checkpoint_is_named(scene: Scene, cli: Cli, count: int) -> None:
    last = read_rows(scene)[-1]
    prev = last.hash
    for seq in range(LAST + 1, LAST + 1 + count):
        row = forge(
            incident_id=scene.incident_id,
            seq=seq,
            ts=last.ts,
            actor="mallory",
            kind="entry.fact",
            payload={"text": f"all clear ({seq})", "refs": [], "at": None},
            prev=prev,
        )
        insert_event(scene, row)
        prev = row.hash
    assert_broken(
        cli("verify"),
        scene.incident_id,
        LAST + 1,
        f"appended after the last signed checkpoint (seq {LAST})",
    )


@pytest.mark.parametrize(
    ("first", "second", "what"),
    [
        pytest.param(4, 5, "seq", id="adjacent-seq-values"),
        pytest.param(4, 5, "contents", id="adjacent-contents"),
        pytest.param(3, 7, "seq", id="distant-seq-values"),
        pytest.param(3, 7, "contents", id="distant-contents"),
    ],
)
def test_swapped_events_are_named(
    scene: Scene, cli: Cli, first: int, second: int, what: str
) -> None:
    if what == "seq":
        with tampering(scene.db) as conn:
            for old, new in ((first, -1), (second, first), (-1, second)):
                conn.execute(
                    "UPDATE events SET seq = ? WHERE incident_id = ? AND seq = ?",
                    (new, scene.incident_id, old),
                )
    else:
        rows = read_rows(scene)
        for target, source in ((first, rows[second - 1]), (second, rows[first - 1])):
            update_event(
                scene,
                target,
                ts=source.ts,
                actor=source.actor,
                kind=source.kind,
                payload=source.payload,
                payload_sha256=source.payload_sha256,
                payload_salt=source.payload_salt,
                prev=source.prev,
                hash=source.hash,
            )
    assert_broken(cli("verify"), scene.incident_id, first, "prev does not link")


def test_full_rechain_forgery_fails_on_the_signed_head(scene: Scene, cli: Cli) -> None:
    rows = read_rows(scene)
    prev = rows[2].hash
    for row in rows[3:]:
        assert row.payload is not None
        payload = json.loads(row.payload)
        if row.seq == 4:
            payload["text"] = "Error rate is 0% on checkout-api"
        forged = forge(
            incident_id=scene.incident_id,
            seq=row.seq,
            ts=row.ts,
            actor=row.actor,
            kind=row.kind,
            payload=payload,
            prev=prev,
            policy=row.policy,
        )
        update_event(
            scene,
            row.seq,
            payload=forged.payload,
            payload_sha256=forged.payload_sha256,
            payload_salt=forged.payload_salt,
            prev=forged.prev,
            hash=forged.hash,
        )
        prev = forged.hash
    assert read_rows(scene)[3].payload != rows[3].payload
    assert_broken(cli("verify"), scene.incident_id, LAST, "head differs from the signed checkpoint")


# ── the signed checkpoint itself ────────────────────────────────────────────────────────────


def _flip_hex(text: str) -> str:
    return ("1" if text[0] == "0" else "0") + text[1:]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        pytest.param("signature", lambda head: _flip_hex(head["signature"]), id="signature-bit"),
        pytest.param("signature", lambda head: "not hex at all", id="signature-garbage"),
        pytest.param("head", lambda head: _flip_hex(head["head"]), id="head-hash"),
        pytest.param("ts", lambda head: "2030-01-01T00:00:00.000000Z", id="checkpoint-ts"),
        pytest.param("key_id", lambda head: "0123456789abcdef", id="key-id"),
        pytest.param("seq", lambda head: LAST - 1, id="seq-lowered"),
        pytest.param("seq", lambda head: LAST + 1, id="seq-raised"),
    ],
)
def test_tampered_checkpoint_is_named(scene: Scene, cli: Cli, column: str, value: Any) -> None:
    """An unverifiable checkpoint is reported at the chain's tip, never at a seq it made up."""
    new = value(read_head(scene))
    with tampering(scene.db) as conn:
        conn.execute(
            f"UPDATE heads SET {column} = ? WHERE incident_id = ?", (new, scene.incident_id)
        )
    assert_broken(cli("verify"), scene.incident_id, LAST, "checkpoint signature does not verify")


def test_deleted_checkpoint_is_named(scene: Scene, cli: Cli) -> None:
    with tampering(scene.db) as conn:
        conn.execute("DELETE FROM heads WHERE incident_id = ?", (scene.incident_id,))
    assert_broken(cli("verify"), scene.incident_id, 1, "no signed checkpoint for this chain")


def test_replayed_older_checkpoint_is_named(scene: Scene, cli: Cli, ctx: Context) -> None:
    """A genuinely signed but stale checkpoint (seq 7) no longer covers event 8."""
    rows = read_rows(scene)
    old = ctx.signer.checkpoint(
        incident_id=scene.incident_id, seq=LAST - 1, head=rows[-2].hash, ts=rows[-2].ts
    )
    with tampering(scene.db) as conn:
        conn.execute(
            "UPDATE heads SET seq = ?, head = ?, ts = ?, signature = ? WHERE incident_id = ?",
            (old.seq, old.head, old.ts, old.signature, scene.incident_id),
        )
    assert_broken(
        cli("verify"),
        scene.incident_id,
        LAST,
        f"appended after the last signed checkpoint (seq {LAST - 1})",
    )


# ── kinds, erasures and incidents ───────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("seq", "kind"),
    [
        pytest.param(6, "status.hacked", id="invented-kind"),
        pytest.param(1, "", id="empty-kind"),
        pytest.param(4, "ENTRY.FACT", id="wrong-case"),
    ],
)
def test_unknown_event_kind_is_named(scene: Scene, cli: Cli, seq: int, kind: str) -> None:
    update_event(scene, seq, kind=kind)
    assert_broken(cli("verify"), scene.incident_id, seq, f"unknown event kind {kind!r}")


@pytest.mark.parametrize(
    "seq",
    [
        pytest.param(1, id="declaration"),
        pytest.param(4, id="log-entry"),
        pytest.param(6, id="status-change"),
        pytest.param(LAST, id="last-event"),
    ],
)
def test_payload_nulled_without_an_erasure_is_named(scene: Scene, cli: Cli, seq: int) -> None:
    update_event(scene, seq, payload=None)
    assert_broken(cli("verify"), scene.incident_id, seq, "payload removed without an erasure")


def test_an_erasure_licenses_only_its_own_target(scene: Scene, cli: Cli) -> None:
    erased = cli(
        "erase", scene.incident_id, "4", "--reason", "GDPR request 2026-117", "--as", "alice"
    )
    assert erased.exit_code == 0, erased.output
    update_event(scene, 5, payload=None)
    assert_broken(cli("verify"), scene.incident_id, 5, "payload removed without an erasure")


def test_event_moved_to_another_incident_breaks_both(scene: Scene, cli: Cli) -> None:
    update_event(scene, LAST, incident_id=scene.bystander_id, seq=3)
    result = cli("verify")
    assert result.exit_code == 7, result.output
    main = f"{scene.incident_id} event {LAST}: missing: the signed checkpoint covers {LAST} events"
    moved = f"{scene.bystander_id} event 3: prev does not link to the event before it"
    broken = [text for text in result.stdout.splitlines() if text.startswith("BROKEN ")]
    assert len(broken) == 2
    assert broken[0].startswith(f"BROKEN {main}")
    assert broken[1] == f"BROKEN {moved}"
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"fireline: error: {main}")
    assert line.endswith("(and 1 more broken chain)")


def test_verify_named_incident_ignores_a_broken_bystander(scene: Scene, cli: Cli) -> None:
    with tampering(scene.db) as conn:
        conn.execute(
            "UPDATE events SET actor = 'mallory' WHERE incident_id = ?", (scene.bystander_id,)
        )
    assert_ok(cli("verify", scene.incident_id))
    assert_broken(cli("verify", scene.bystander_id), scene.bystander_id, 1, "hash does not match")


# ── a store file that is not a database any more ────────────────────────────────────────────


def _garbage(data: bytes) -> bytes:
    return bytes((i * 151 + 7) % 256 for i in range(len(data)))


def _scribbled(data: bytes) -> bytes:
    return data[:100] + _garbage(data[100:])


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(_garbage, id="garbage-bytes"),
        pytest.param(_scribbled, id="header-kept-pages-garbage"),
        pytest.param(_truncated, id="truncated-to-half"),
    ],
)
@pytest.mark.parametrize("command", ["verify", "list"])
def test_corrupted_store_file_fails_with_one_clear_line(
    scene: Scene, cli: Cli, corrupt: Any, command: str
) -> None:
    for suffix in ("-wal", "-shm"):
        assert not scene.db.with_name(scene.db.name + suffix).exists()
    scene.db.write_bytes(corrupt(scene.db.read_bytes()))
    result = cli(command)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    (line,) = result.stderr.splitlines()
    assert line.startswith("fireline: error: "), line
    assert "Traceback" not in result.output
    assert "ok:" not in result.stdout


def test_corrupted_events_page_fails_verify_with_one_clear_line(scene: Scene, cli: Cli) -> None:
    """The schema still opens, but the ledger's own page is garbage: verify must say so cleanly."""
    with tampering(scene.db) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(scene.db.read_bytes())
    start = (root[0] - 1) * page_size + 8  # keep the b-tree page header's first bytes
    end = root[0] * page_size
    data[start:end] = _garbage(bytes(end - start))
    scene.db.write_bytes(bytes(data))
    result = cli("verify")
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    (line,) = result.stderr.splitlines()
    assert line.startswith("fireline: error: "), line
    assert "ok:" not in result.stdout


@pytest.mark.parametrize(
    ("table", "column", "value", "seq"),
    [
        pytest.param("events", "payload", b'{"text":"x"}', 5, id="payload-as-blob"),
        pytest.param("events", "actor", b"bob", 5, id="actor-as-blob"),
        pytest.param("events", "ts", b"2026-11-23", 5, id="ts-as-blob"),
        pytest.param("events", "kind", b"entry.hypothesis", 5, id="kind-as-blob"),
        pytest.param("events", "seq", "five", 5, id="seq-as-text"),
        pytest.param("heads", "signature", b"\x00" * 64, LAST, id="signature-as-blob"),
        pytest.param("heads", "seq", "eight", LAST, id="checkpoint-seq-as-text"),
    ],
)
def test_wrongly_typed_value_is_named_not_crashed(
    scene: Scene, cli: Cli, table: str, column: str, value: object, seq: int
) -> None:
    """SQLite stores whatever it is given; verify must report it, not die on a TypeError."""
    where = " AND seq = 5" if table == "events" else ""
    with tampering(scene.db) as conn:
        changed = conn.execute(
            f"UPDATE {table} SET {column} = ? WHERE incident_id = ?{where}",
            (value, scene.incident_id),
        ).rowcount
    assert changed == 1
    assert_broken(cli("verify"), scene.incident_id, seq, "")


def test_a_write_onto_a_forged_tail_is_refused(scene: Scene, cli: Cli) -> None:
    last = read_rows(scene)[-1]
    insert_event(
        scene,
        forge(
            incident_id=scene.incident_id,
            seq=LAST + 1,
            ts=last.ts,
            actor="mallory",
            kind="entry.fact",
            payload={"text": "all clear", "refs": [], "at": None},
            prev=last.hash,
        ),
    )
    result = cli("log", scene.incident_id, "fact", "real entry")
    assert result.exit_code == 7, result.output
    assert result.stderr.startswith("fireline: error: the store already holds an event")


def test_verify_json_lists_the_break(scene: Scene, cli: Cli) -> None:
    update_event(scene, 4, actor="mallory")
    result = cli("verify", "--format", "json")
    assert result.exit_code == 7
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["breaks"][0]["incident_id"] == scene.incident_id
    assert report["breaks"][0]["seq"] == 4
    assert result.stderr.startswith(f"fireline: error: {scene.incident_id} event 4: ")
