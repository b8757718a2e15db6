"""The store-wide transparency log: leaves on every append, checkpoints, proofs, publishing, and
tampering with the database directly (raw SQL on SQLite and PostgreSQL) detected and named."""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fireline.commands import AssignRole, Declare, LogEntry
from fireline.db import make_engine, read_only
from fireline.domain import REGISTRY_CHAIN, parse_actor, parse_incident_id
from fireline.errors import IntegrityError
from fireline.ledger import merkle, notes, tlog
from fireline.ledger.checkpoints import Signer, public_pem
from fireline.service import Context, execute
from fireline.transparency import origin_for, prove
from tests.conftest import Cli, Store

ALICE = parse_actor("alice")


@dataclass(frozen=True)
class Scene:
    victim: str  # the incident the attacks delete or roll back
    bystander: str
    published: Path  # a witness folder holding the checkpoint published before the attack


def _declare(ctx: Context, title: str, facts: int) -> str:
    incident = execute(Declare(title=title, severity="SEV2"), ALICE, ctx=ctx)
    inc = parse_incident_id(incident[0].incident_id)
    for n in range(facts):
        execute(LogEntry(incident_id=inc, kind="fact", text=f"fact {n}"), ALICE, ctx=ctx)
    return inc


@pytest.fixture
def scene(ctx: Context, cli: Cli, tmp_path: Path) -> Scene:
    victim = _declare(ctx, "victim", 3)
    bystander = _declare(ctx, "bystander", 2)
    execute(
        AssignRole(incident_id=parse_incident_id(victim), role="scribe", holder="bob"),
        ALICE,
        ctx=ctx,
    )
    published = tmp_path / "witness"
    assert cli("checkpoint", "publish", "--to", str(published)).exit_code == 0
    return Scene(victim, bystander, published)


def _raw(store: Store) -> sa.Engine:
    return sa.create_engine(store.settings.database_url)


def _sql(store: Store, *statements: str) -> None:
    """Change the database behind fireline's back, as anyone with write access could."""
    engine = _raw(store)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _broken(result: object, *names: str) -> str:
    output = f"{getattr(result, 'stdout', '')}{getattr(result, 'stderr', '')}"
    assert getattr(result, "exit_code", None) == 7, output
    for name in names:
        assert name in output, output
    return output


def test_every_event_of_every_chain_is_one_leaf_in_commit_order(
    store: Store, scene: Scene, ctx: Context
) -> None:
    with read_only(ctx.engine) as conn:
        leaves = list(tlog.iter_leaves(conn))
        events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
        head = tlog.get_head(conn)
    assert [leaf.index for leaf in leaves] == list(range(len(leaves)))
    assert len(leaves) == events
    victim = [leaf.seq for leaf in leaves if leaf.chain_id == scene.victim]
    assert victim == sorted(victim) == list(range(1, len(victim) + 1))
    assert head.size == len(leaves)
    assert head.root == merkle.root_of([leaf.hash for leaf in leaves])


def test_registry_writes_are_logged_too(store: Store, ctx: Context, cli: Cli) -> None:
    assert cli("user", "add", "pat", "--role", "admin").exit_code == 0
    with read_only(ctx.engine) as conn:
        chains = {leaf.chain_id for leaf in tlog.iter_leaves(conn)}
    assert REGISTRY_CHAIN in chains


def test_checkpoint_is_a_signed_note_existing_tooling_reads(
    store: Store, scene: Scene, ctx: Context, cli: Cli
) -> None:
    result = cli("checkpoint", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    text = data["note"]
    lines = text.split("\n")
    assert lines[0] == origin_for(ctx.settings, ctx.signer.public_key) == data["origin"]
    assert lines[1] == str(data["tree_size"])
    assert lines[3] == ""
    assert lines[4].startswith("\u2014 " + data["origin"] + " ")
    checkpoint = notes.signed_by(text, ctx.signer.public_key, source="test")
    with read_only(ctx.engine) as conn:
        assert checkpoint.root == tlog.get_head(conn).root
    name, key_hash, key = data["verifier_key"].split("+", 2)
    assert name == data["origin"]
    assert len(bytes.fromhex(key_hash)) == 4
    # Asked again with nothing new, the same note (no new signature row).
    assert json.loads(cli("checkpoint", "--format", "json").stdout)["note"] == text
    other = Signer(Ed25519PrivateKey.generate())
    with pytest.raises(IntegrityError, match="not signed by key"):
        notes.signed_by(text, other.public_key, source="test")


def test_log_origin_setting_names_the_log(
    store: Store, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRELINE_LOG_ORIGIN", "fireline.example.com/incidents")
    result = cli("checkpoint")
    assert result.exit_code == 0
    assert result.stdout.startswith("fireline.example.com/incidents\n0\n")
    monkeypatch.setenv("FIRELINE_LOG_ORIGIN", "has space")
    bad = cli("checkpoint")
    assert bad.exit_code != 0
    assert "log_origin" in bad.stderr


def test_prove_gives_an_audit_path_that_verifies(
    store: Store, scene: Scene, ctx: Context, cli: Cli
) -> None:
    result = cli("prove", scene.victim, "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    checkpoint = notes.signed_by(data["checkpoint"], ctx.signer.public_key, source="test")
    path = [base64.b64decode(h) for h in data["audit_path"]]
    leaf = tlog.leaf_of(data["event_hash"])
    assert data["tree_size"] == checkpoint.size
    assert merkle.verify_inclusion(data["leaf_index"], checkpoint.size, leaf, path, checkpoint.root)
    text = cli("prove", scene.victim, "2")
    assert text.exit_code == 0
    assert f"leaf {data['leaf_index']} of a tree of" in text.stdout


def test_prove_answers_a_hidden_incident_like_a_missing_one(
    store: Store, ctx: Context, cli: Cli
) -> None:
    hidden = execute(
        Declare(title="secret", severity="SEV2", labels=("restricted",)), ALICE, ctx=ctx
    )[0].incident_id
    assert cli("user", "add", "alice", "--role", "admin").exit_code == 0
    assert cli("user", "add", "mallory", "--role", "responder", actor="alice").exit_code == 0
    as_hidden = cli("prove", hidden, "1", actor="mallory")
    as_missing = cli("prove", "INC-20200101-001", "1", actor="mallory")
    assert as_hidden.exit_code == as_missing.exit_code != 0
    assert as_hidden.stderr.replace(hidden, "X") == as_missing.stderr.replace(
        "INC-20200101-001", "X"
    )


def test_prove_refuses_bad_input_in_one_line(
    store: Store, scene: Scene, ctx: Context, cli: Cli
) -> None:
    _declare(ctx, "grown since the last checkpoint", 0)
    with read_only(ctx.engine) as conn:
        before = tlog.list_checkpoints(conn)
    for args in ((scene.victim, "0"), (scene.victim, "99"), ("not-an-id", "1")):
        result = cli("prove", *args)
        assert result.exit_code != 0
        assert len(result.stderr.strip().splitlines()) == 1
    with read_only(ctx.engine) as conn:
        assert tlog.list_checkpoints(conn) == before  # nothing signed for a refusal


def test_untouched_store_verifies_whole_and_since_the_published_checkpoint(
    store: Store, scene: Scene, ctx: Context, cli: Cli
) -> None:
    _declare(ctx, "after publishing", 2)
    whole = cli("verify")
    assert whole.exit_code == 0, whole.stdout + whole.stderr
    assert "transparency log of" in whole.stdout
    since = cli("verify", "--since", str(scene.published / "latest"))
    assert since.exit_code == 0, since.stdout + since.stderr
    assert "3 new events verified" in since.stdout


def test_publish_to_a_git_repository_commits_each_checkpoint(
    store: Store, scene: Scene, ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert cli("checkpoint", "publish", "--to", str(repo)).exit_code == 0
    _declare(ctx, "more", 1)
    assert cli("checkpoint", "publish", "--to", str(repo)).exit_code == 0
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(log) == 2
    assert all(line.startswith("fireline checkpoint ") for line in log)
    assert (repo / "latest").read_text() == (repo / log[0].rsplit(" ", 1)[1]).read_text()


def test_publish_refuses_a_folder_holding_another_logs_checkpoint(
    store: Store, scene: Scene, ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    _declare(ctx, "grown since the last checkpoint", 0)
    with read_only(ctx.engine) as conn:
        before = tlog.list_checkpoints(conn)
    other = tmp_path / "other"
    other.mkdir()
    forged = notes.sign(Signer(Ed25519PrivateKey.generate()), origin="x", size=1, root=bytes(32))
    (other / "latest").write_text(forged)
    result = cli("checkpoint", "publish", "--to", str(other))
    assert result.exit_code == 7
    assert "not signed by key" in result.stderr
    assert sorted(p.name for p in other.iterdir()) == ["latest"]
    with read_only(ctx.engine) as conn:
        assert tlog.list_checkpoints(conn) == before  # nothing kept for a refusal
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert cli("checkpoint", "publish", "--to", str(a_file)).exit_code == 2


# --- tampering -------------------------------------------------------------------------------


def test_deleting_an_incident_is_detected_and_named(store: Store, scene: Scene, cli: Cli) -> None:
    _sql(
        store,
        f"DELETE FROM events WHERE incident_id = '{scene.victim}'",
        f"DELETE FROM heads WHERE incident_id = '{scene.victim}'",
    )
    _broken(cli("verify"), scene.victim, "leaf 0", "deleted")
    _broken(cli("verify", "--since", str(scene.published / "latest")), scene.victim, "deleted")


def test_deleting_an_incident_with_its_leaves_breaks_consistency(
    store: Store, scene: Scene, cli: Cli
) -> None:
    _sql(
        store,
        f"DELETE FROM events WHERE incident_id = '{scene.victim}'",
        f"DELETE FROM heads WHERE incident_id = '{scene.victim}'",
        f"DELETE FROM tlog_leaves WHERE chain_id = '{scene.victim}'",
    )
    _broken(cli("verify"), "leaf 0 is missing")
    _broken(cli("verify", "--since", str(scene.published / "latest")), "transparency log")


def test_rolling_an_incident_back_is_detected_and_named(
    store: Store, scene: Scene, ctx: Context, cli: Cli
) -> None:
    engine = _raw(store)
    with engine.begin() as conn:
        old_head = conn.exec_driver_sql(
            "SELECT seq, head, ts, key_id, signature FROM heads "
            f"WHERE incident_id = '{scene.victim}'"
        ).one()
    engine.dispose()
    victim = parse_incident_id(scene.victim)
    execute(LogEntry(incident_id=victim, kind="fact", text="the inconvenient one"), ALICE, ctx=ctx)
    execute(LogEntry(incident_id=victim, kind="fact", text="and another"), ALICE, ctx=ctx)
    seq, head, ts, key_id, signature = old_head
    # Back to the older copy: events after it gone, its older signed head put back.
    _sql(
        store,
        f"DELETE FROM events WHERE incident_id = '{scene.victim}' AND seq > {seq}",
        f"UPDATE heads SET seq = {seq}, head = '{head}', ts = '{ts}', key_id = '{key_id}', "
        f"signature = '{signature}' WHERE incident_id = '{scene.victim}'",
    )
    _broken(cli("verify"), scene.victim, f"event {seq + 1}", "rolled back")
    _broken(
        cli("verify", "--since", str(scene.published / "latest")),
        scene.victim,
        f"event {seq + 1}",
    )


def test_dropping_the_last_events_of_the_store_is_detected(
    store: Store, scene: Scene, ctx: Context, cli: Cli
) -> None:
    """The thorough attacker: events, leaves, subtrees, tree head and stored checkpoints all put
    back to an older state. Only a checkpoint published outside the store remembers."""
    engine = _raw(store)
    with engine.begin() as conn:
        saved = {
            "tlog_head": conn.exec_driver_sql("SELECT size, frontier FROM tlog_head").one(),
            "heads": conn.exec_driver_sql(
                "SELECT incident_id, seq, head, ts, key_id, signature FROM heads"
            ).all(),
        }
    engine.dispose()
    size = saved["tlog_head"][0]
    _declare(ctx, "late", 1)
    assert cli("checkpoint", "publish", "--to", str(scene.published)).exit_code == 0
    late_published = scene.published / "latest"
    kept = late_published.read_text()
    statements = [
        f"DELETE FROM events WHERE incident_id NOT IN "
        f"({', '.join(repr(h[0]) for h in saved['heads'])})",
        f"DELETE FROM heads WHERE incident_id NOT IN "
        f"({', '.join(repr(h[0]) for h in saved['heads'])})",
        f"DELETE FROM tlog_leaves WHERE idx >= {size}",
        f"DELETE FROM tlog_nodes WHERE (idx + 1) * (1 << level) > {size}",
        f"DELETE FROM tlog_checkpoints WHERE size > {size}",
        f"UPDATE tlog_head SET size = {size}, frontier = '{saved['tlog_head'][1]}'",
    ]
    _sql(store, *[s.replace('"', "'") for s in statements])
    leftover = cli("verify")  # the projections still hold the dropped incident's rows …
    assert leftover.exit_code == 7
    assert "no event produces this row" in leftover.stderr
    # … and nothing else inside the store remembers the dropped tail
    assert cli("verify", "--no-projections").exit_code == 0
    result = _broken(cli("verify", "--since", str(late_published)), "were dropped")
    assert f"leaves {size}…" in result
    assert late_published.read_text() == kept


def _rewrite_leaf(store: Store, index: int) -> None:
    """Forge one leaf and rebuild the whole tree around it, head included (raw SQL)."""
    engine = _raw(store)
    try:
        with engine.begin() as conn:
            leaves = list(tlog.iter_leaves(conn))
            for table in ("tlog_leaves", "tlog_nodes", "tlog_checkpoints"):
                conn.exec_driver_sql(f"DELETE FROM {table}")
            conn.exec_driver_sql("UPDATE tlog_head SET size = 0, frontier = ''")
            for leaf in leaves:
                forged = "ab" * 32 if leaf.index == index else leaf.event_hash
                tlog.append(conn, leaf.chain_id, [(leaf.seq, forged)])
    finally:
        engine.dispose()


def test_rewriting_history_breaks_consistency_with_the_published_checkpoint(
    store: Store, scene: Scene, cli: Cli
) -> None:
    """The attacker rewrites leaf 1 and rebuilds the whole tree around it, head included."""
    _rewrite_leaf(store, 1)
    _broken(cli("verify"), "leaf 1", "rewritten")
    _broken(cli("verify", "--since", str(scene.published / "latest")), "rewritten or removed")


def test_publish_refuses_a_rewritten_log(store: Store, scene: Scene, cli: Cli) -> None:
    kept = (scene.published / "latest").read_text()
    _rewrite_leaf(store, 2)
    result = cli("checkpoint", "publish", "--to", str(scene.published))
    assert result.exit_code == 7
    assert "not consistent" in result.stderr
    assert (scene.published / "latest").read_text() == kept


def test_a_swapped_signing_key_is_detected(store: Store, scene: Scene, cli: Cli) -> None:
    other = Ed25519PrivateKey.generate()
    store.settings.key_path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    store.settings.public_key_path.write_bytes(public_pem(other.public_key()))
    _broken(cli("verify"), "signature does not verify")
    result = cli("verify", "--since", str(scene.published / "latest"))
    assert result.exit_code == 7
    assert "not signed by key" in result.stderr


def test_verify_since_refuses_bad_input_in_one_line(
    store: Store, scene: Scene, cli: Cli, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage"
    garbage.write_text("not a note\n")
    for args in (
        ("--since", str(tmp_path / "missing")),
        ("--since", str(garbage)),
        (scene.victim, "--since", str(scene.published / "latest")),
        ("--key-id", "abc"),
    ):
        result = cli("verify", *args)
        assert result.exit_code != 0, args
        assert len(result.stderr.strip().splitlines()) == 1, args


# --- exports ---------------------------------------------------------------------------------


def _export(cli: Cli, incident_id: str, out: Path) -> Path:
    result = cli("export", incident_id, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return out / incident_id


def test_an_export_carries_inclusion_proofs_and_verifies_offline(
    store: Store, scene: Scene, ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    folder = _export(cli, scene.victim, tmp_path / "out")
    data = json.loads((folder / "ledger" / "tlog.json").read_text())
    checkpoint = notes.signed_by(data["checkpoint"], ctx.signer.public_key, source="test")
    with read_only(ctx.engine) as conn:
        first = prove(conn, scene.victim, 1, size=checkpoint.size)
    assert data["proofs"][0] == first.as_dict()
    result = cli("verify", str(folder))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "NOT PINNED" in result.stdout
    assert "warning" in result.stderr
    pinned = cli("verify", str(folder), "--key", str(store.settings.public_key_path))
    assert pinned.exit_code == 0
    assert "(pinned)" in pinned.stdout
    assert not pinned.stderr
    assert cli("verify", str(folder), "--key-id", ctx.signer.key_id).exit_code == 0


def test_an_export_signed_by_another_key_fails_when_pinned(
    store: Store, scene: Scene, cli: Cli, tmp_path: Path
) -> None:
    folder = _export(cli, scene.victim, tmp_path / "out")
    result = cli("verify", str(folder), "--key-id", "0123456789abcdef")
    _broken(result, "ledger/public_key.pem", "not the pinned key 0123456789abcdef")


def test_an_export_whose_proofs_were_edited_is_named(
    store: Store, scene: Scene, cli: Cli, tmp_path: Path
) -> None:
    folder = _export(cli, scene.victim, tmp_path / "out")
    path = folder / "ledger" / "tlog.json"
    data = json.loads(path.read_text())
    data["proofs"][1]["leaf_index"] += 1
    path.write_text(json.dumps(data))
    _broken(cli("verify", str(folder)), "ledger/tlog.json", "event 2")


def test_exports_of_an_unchanged_incident_stay_byte_identical(
    store: Store, scene: Scene, ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    first = _export(cli, scene.victim, tmp_path / "a")
    _declare(ctx, "unrelated", 1)
    assert cli("checkpoint").exit_code == 0
    second = _export(cli, scene.victim, tmp_path / "b")
    name = Path("ledger") / "tlog.json"
    assert (first / name).read_bytes() == (second / name).read_bytes()


def test_rebuild_keeps_the_log(store: Store, scene: Scene, ctx: Context, cli: Cli) -> None:
    with read_only(ctx.engine) as conn:
        before = list(tlog.iter_leaves(conn)), tlog.get_head(conn)
    assert cli("rebuild").exit_code == 0
    with read_only(ctx.engine) as conn:
        assert (list(tlog.iter_leaves(conn)), tlog.get_head(conn)) == before
    assert cli("verify", "--since", str(scene.published / "latest")).exit_code == 0


def test_an_upgraded_store_logs_its_existing_events(
    store: Store, scene: Scene, ctx: Context
) -> None:
    """Migration 0007 logs what a 0006 store holds, in write order, through the append code."""
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    from fireline.schema import migrate

    with read_only(ctx.engine) as conn:
        before = tlog.get_head(conn)
    engine = make_engine(store.settings.database_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(resources.files("fireline") / "migrations"))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        migrate(engine)
        with read_only(engine) as conn:
            after = tlog.get_head(conn)
    finally:
        engine.dispose()
    assert after == before
    assert before.size > 0
