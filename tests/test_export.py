"""Workspace export: the seed's layout exactly, determinism, masking, --unmasked, bad inputs."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from fireline.commands import (
    AddUser,
    AssignRole,
    CompleteActionItem,
    EraseEntry,
    LogEntry,
    PublishUpdate,
    RecordExport,
    ReleaseRole,
    ReviewGovernance,
    Transition,
)
from fireline.domain import ActorId, IncidentId
from fireline.errors import InvalidCommandError
from fireline.ledger import store as ledger
from fireline.ledger.chain import Event
from fireline.service import Context
from tests.conftest import Cli, Store
from tests.factories import make_incident, meet_gates, run, snapshot

EMAIL, PHONE, IP, COORDS = "ops.lead@example.org", "+1 415 555 0100", "10.20.30.40", "38.62712"
PLANTED = (EMAIL, PHONE, IP, COORDS, "-90.19940", "eve@example.net")

LAYOUT = {
    "00_meta/incident.yaml",
    "00_meta/timeline.md",
    "10_evidence/hashes.sha256",
    "20_actions/commands.md",
    "20_actions/rollback.md",
    "30_verification/checks.md",
    "30_verification/metrics.md",
    "90_postmortem/postmortem.md",
    "90_postmortem/postmortem.html",
    "90_postmortem/postmortem-external.md",
    "90_postmortem/postmortem-external.html",
    "90_postmortem/action_items.md",
    "ledger/events.jsonl",
    "ledger/checkpoints.jsonl",
    "ledger/public_key.pem",
    "ledger/tlog.json",
    "prov/prov.json",
}
FOLDERS = {
    "00_meta",
    "10_evidence",
    "10_evidence/logs",
    "10_evidence/screenshots",
    "10_evidence/queries",
    "10_evidence/other",
    "20_actions",
    "20_actions/diffs",
    "30_verification",
    "90_postmortem",
    "ledger",
    "prov",
}


def make_sensitive_incident(ctx: Context) -> IncidentId:
    """An incident whose entries plant PII and precise coordinates, and hold a correction."""
    inc = make_incident(ctx, impact=f"reported by {EMAIL}")
    run(ctx, AssignRole(incident_id=inc, role="comms", holder="eve@example.net"))
    run(ctx, AssignRole(incident_id=inc, role="governance_steward", holder="erin"))
    run(
        ctx,
        LogEntry(
            incident_id=inc,
            kind="fact",
            text=f"caller {PHONE} from {IP} saw the layer at {COORDS}, -90.19940",
            refs=("dashboard:api-5xx",),
        ),
    )
    run(ctx, LogEntry(incident_id=inc, kind="hypothesis", text="bad deploy 4f2c1e"))
    run(
        ctx,
        LogEntry(
            incident_id=inc,
            kind="decision",
            text="roll back 4f2c1e",
            why="correlates with onset",
            approver="alice",
        ),
    )
    run(ctx, Transition(incident_id=inc, status="mitigating"))
    run(ctx, LogEntry(incident_id=inc, kind="mitigation", text="rolled back to 9a1b7d"))
    run(
        ctx,
        PublishUpdate(
            incident_id=inc,
            status="mitigating",
            impact="search degraded",
            facts=(f"escalations go to {EMAIL}",),
        ),
        "eve@example.net",
    )
    return inc


def events_of(ctx: Context, inc: str) -> list[Event]:
    with ctx.engine.connect() as conn:
        return ledger.read_events(conn, inc)


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def folders(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


def test_export_writes_the_seed_layout_exactly(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_sensitive_incident(ctx)
    result = cli("export", inc, "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    root = tmp_path / "out" / inc
    assert set(tree_bytes(root)) == LAYOUT
    assert folders(root) == FOLDERS
    assert [p.name for p in (tmp_path / "out").iterdir()] == [inc]  # no staging left behind
    assert f"recorded as {inc} event" in result.output


def test_incident_yaml_has_the_seed_record_shape(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_sensitive_incident(ctx)
    assert cli("export", inc, "--out", str(tmp_path)).exit_code == 0
    record = yaml.safe_load((tmp_path / inc / "00_meta/incident.yaml").read_text())
    assert list(record) == [
        "incident_id",
        "opened_at_utc",
        "sev",
        "status",
        "ic",
        "tech_lead",
        "scribe",
        "comms",
        "governance_steward",
        "security_lead",
        "systems_affected",
        "datasets_affected",
        "policy_flags",
        "external_user_impact",
        "current_status",
        "hypotheses",
        "mitigations_applied",
        "evidence_refs",
        "timeline_utc",
        "next_steps",
        "notes_redaction",
    ]
    assert record["incident_id"] == inc
    assert record["ic"] == "alice"
    assert record["sev"] == "SEV1"
    assert record["hypotheses"] == ["bad deploy 4f2c1e"]
    assert record["mitigations_applied"][0]["action"] == "rolled back to 9a1b7d"
    assert record["opened_at_utc"].endswith("Z")
    assert "masked" in record["notes_redaction"]


def test_two_exports_are_byte_identical_trees_and_zips(
    ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    inc = make_sensitive_incident(ctx)
    for out in ("a", "b"):
        assert cli("export", inc, "--out", str(tmp_path / out)).exit_code == 0
        assert cli("export", inc, "--out", str(tmp_path / out), "--zip").exit_code == 0
    assert tree_bytes(tmp_path / "a" / inc) == tree_bytes(tmp_path / "b" / inc)
    zip_a = (tmp_path / "a" / f"{inc}.zip").read_bytes()
    assert zip_a == (tmp_path / "b" / f"{inc}.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(zip_a)) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names[0] == f"{inc}/"
        assert names == sorted(names, key=lambda n: n.rstrip("/"))
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        unzipped = {
            n.removeprefix(f"{inc}/"): archive.read(n) for n in names if not n.endswith("/")
        }
    assert unzipped == tree_bytes(tmp_path / "a" / inc)
    # Each export is on the ledger, yet none of them is in any export.
    kinds = [e.kind for e in events_of(ctx, inc)]
    assert kinds.count("export.created") == 4
    assert b"export.created" not in tree_bytes(tmp_path / "a" / inc)["ledger/events.jsonl"]


def test_a_new_change_changes_the_next_export(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_sensitive_incident(ctx)
    assert cli("export", inc, "--out", str(tmp_path / "a")).exit_code == 0
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="error rate back to baseline"))
    assert cli("export", inc, "--out", str(tmp_path / "b")).exit_code == 0
    b_events = (tmp_path / "b" / inc / "ledger/events.jsonl").read_text()
    assert "export.created" in b_events  # the first export is history now
    assert "error rate back to baseline" in b_events
    assert cli("verify", str(tmp_path / "b" / inc)).exit_code == 0


def test_sha256sum_checks_the_export(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_sensitive_incident(ctx)
    assert cli("export", inc, "--out", str(tmp_path)).exit_code == 0
    done = subprocess.run(
        ["sha256sum", "-c", "hashes.sha256"],
        cwd=tmp_path / inc / "10_evidence",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "../ledger/events.jsonl: OK" in done.stdout


def test_prov_json_loads_with_the_prov_package(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    from prov.model import ProvDocument

    inc = make_sensitive_incident(ctx)
    assert cli("export", inc, "--out", str(tmp_path)).exit_code == 0
    text = (tmp_path / inc / "prov/prov.json").read_text()
    document = ProvDocument.deserialize(content=text, format="json")
    records = document.get_records()
    kinds = {type(r).__name__ for r in records}
    assert {"ProvAgent", "ProvActivity", "ProvEntity", "ProvGeneration"} <= kinds
    assert {"ProvAssociation", "ProvAttribution", "ProvDelegation"} <= kinds
    labels = {str(label) for r in records for label in r.get_attribute("prov:label")}
    assert "roll back 4f2c1e" in labels
    assert "rolled back to 9a1b7d" in labels


def zip_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") + n for n in archive.namelist())


def test_a_plain_export_holds_no_pii_or_precise_coordinates(
    ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    inc = make_sensitive_incident(ctx)
    assert cli("export", inc, "--out", str(tmp_path)).exit_code == 0
    assert cli("export", inc, "--out", str(tmp_path), "--zip").exit_code == 0
    everything = "".join(b.decode("utf-8", "replace") for b in tree_bytes(tmp_path / inc).values())
    everything += zip_text(tmp_path / f"{inc}.zip")
    for planted in PLANTED:
        assert planted not in everything
    assert "[masked:email]" in everything
    assert "38.6" in everything
    # Masked, and still verifiable offline: the chain's header digests are kept.
    assert cli("verify", str(tmp_path / inc)).exit_code == 0
    assert cli("verify", str(tmp_path / f"{inc}.zip")).exit_code == 0


def test_unmasked_is_refused_without_the_clearance(
    ctx: Context, cli: Cli, store: Store, tmp_path: Path
) -> None:
    inc = make_sensitive_incident(ctx)
    before = snapshot(ctx.engine)
    result = cli("export", inc, "--out", str(tmp_path / "out"), "--unmasked", "--as", "alice")
    assert result.exit_code == 4
    assert result.output.strip().splitlines() == [
        "fireline: error: --unmasked needs the sensitive clearance, which alice does not hold "
        "(granted by `fireline user update --clearance sensitive` or sensitive_clearance)"
    ]
    assert not (tmp_path / "out").exists()
    assert snapshot(ctx.engine) == before


def test_unmasked_export_with_the_clearance_is_recorded(
    ctx: Context, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRELINE_SENSITIVE_CLEARANCE", "alice")
    inc = make_sensitive_incident(ctx)
    result = cli("export", inc, "--out", str(tmp_path), "--unmasked", "--as", "alice")
    assert result.exit_code == 0, result.output
    assert "UNMASKED" in result.output
    events_text = (tmp_path / inc / "ledger/events.jsonl").read_text()
    assert EMAIL in events_text
    assert COORDS in events_text
    last = events_of(ctx, inc)[-1]
    assert (last.kind, last.actor) == ("export.created", "alice")
    assert last.payload is not None
    assert last.payload["masked"] is False
    verified = cli("verify", str(tmp_path / inc))
    assert verified.exit_code == 0, verified.output
    assert "(unmasked)" in verified.output


def test_erased_entries_export_and_verify(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_sensitive_incident(ctx)
    target = run(ctx, LogEntry(incident_id=inc, kind="fact", text="wrong host noted"))[0].seq
    run(ctx, EraseEntry(incident_id=inc, target_seq=target, reason="privacy request"))
    assert cli("export", inc, "--out", str(tmp_path)).exit_code == 0
    record = (tmp_path / inc / "00_meta/incident.yaml").read_text()
    assert f"Event {target} was erased" in record
    assert "wrong host noted" not in "".join(
        b.decode() for b in tree_bytes(tmp_path / inc).values()
    )
    assert cli("verify", str(tmp_path / inc)).exit_code == 0


def test_verify_export_needs_no_store(
    ctx: Context, cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inc = make_sensitive_incident(ctx)
    assert cli("export", inc, "--out", str(tmp_path / "x"), "--zip").exit_code == 0
    assert cli("export", inc, "--out", str(tmp_path / "x")).exit_code == 0
    ctx.close()
    shutil.rmtree(store.settings.home)
    monkeypatch.setenv("FIRELINE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    for path in (tmp_path / "x" / inc, tmp_path / "x" / f"{inc}.zip"):
        result = cli("verify", str(path))
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"ok: export {inc} (masked): ")
    listed = cli("verify", str(tmp_path / "x" / inc), "--format", "json")
    assert json.loads(listed.output)["ok"] is True


def test_export_of_an_unknown_incident_writes_nothing(
    ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    before = snapshot(ctx.engine)
    result = cli("export", "INC-20261123-099", "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    assert result.output.strip() == "fireline: error: no incident INC-20261123-099"
    assert not (tmp_path / "out").exists()
    assert snapshot(ctx.engine) == before


def test_export_of_a_hidden_incident_is_not_found(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_incident(ctx, labels=("restricted",))
    result = cli("export", inc, "--out", str(tmp_path / "out"), "--as", "mallory")
    assert result.exit_code == 3
    assert result.output.strip() == f"fireline: error: no incident {inc}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["file", "taken", "taken-zip"])
def test_export_refuses_a_bad_out(ctx: Context, cli: Cli, tmp_path: Path, case: str) -> None:
    inc = make_incident(ctx)
    out = tmp_path / "out"
    if case == "file":
        out.write_text("not a folder")
        expected = f"fireline: error: --out {out} is a file; give a folder to export into"
    elif case == "taken":
        (out / inc).mkdir(parents=True)
        (out / inc / "notes.txt").write_text("mine")
        expected = (
            f"fireline: error: {out / inc} already exists and is not empty; choose another --out"
        )
    else:
        out.mkdir()
        (out / f"{inc}.zip").write_bytes(b"old")
        expected = f"fireline: error: {out / f'{inc}.zip'} already exists; choose another --out"
    before = snapshot(ctx.engine)
    listing = sorted(p.as_posix() for p in tmp_path.rglob("*"))
    result = cli("export", inc, "--out", str(out), *(["--zip"] if case == "taken-zip" else []))
    assert result.exit_code == 2
    assert result.output.strip() == expected
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == listing
    assert snapshot(ctx.engine) == before


def test_export_into_an_existing_empty_folder(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_incident(ctx)
    (tmp_path / inc).mkdir()
    assert cli("export", inc, "--out", str(tmp_path)).exit_code == 0
    assert set(tree_bytes(tmp_path / inc)) == LAYOUT


def test_reads_between_exports_do_not_change_them(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_incident(ctx, labels=("restricted",))
    assert cli("export", inc, "--out", str(tmp_path / "a"), "--as", "alice").exit_code == 0
    assert cli("show", inc, "--as", "alice").exit_code == 0  # appends access.read
    assert events_of(ctx, inc)[-1].kind == "access.read"
    assert cli("export", inc, "--out", str(tmp_path / "b"), "--as", "alice").exit_code == 0
    assert tree_bytes(tmp_path / "a" / inc) == tree_bytes(tmp_path / "b" / inc)


def test_a_registry_clearance_allows_unmasked_and_a_viewer_may_export_masked(
    ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    run(ctx, AddUser(name="alice", roles=("admin", "commander")))
    run(ctx, AddUser(name="sam", roles=("security",), clearances=("sensitive",)))
    run(ctx, AddUser(name="vic", roles=("viewer",)))
    inc = make_incident(ctx)
    masked = cli("export", inc, "--out", str(tmp_path / "v"), actor="vic")
    assert masked.exit_code == 0, masked.output
    refused = cli("export", inc, "--out", str(tmp_path / "v2"), "--unmasked", actor="vic")
    assert refused.exit_code == 4
    assert not (tmp_path / "v2").exists()
    cleared = cli("export", inc, "--out", str(tmp_path / "s"), "--unmasked", actor="sam")
    assert cleared.exit_code == 0, cleared.output
    last = events_of(ctx, inc)[-1]
    assert (last.kind, last.actor) == ("export.created", "sam")
    assert last.payload is not None
    assert last.payload["masked"] is False


def test_a_stale_export_is_refused_by_the_write_path(ctx: Context) -> None:
    inc = make_incident(ctx)
    head = events_of(ctx, inc)[-1]
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="a later change"))
    stale = RecordExport(
        incident_id=inc,
        masked=True,
        seq=head.seq,
        head=head.hash,
        seal_sha256="0" * 64,
        timezone="UTC",
        coordinate_precision=0.1,
    )
    with pytest.raises(InvalidCommandError, match="changed while it was being exported"):
        run(ctx, stale)


@pytest.mark.sqlite_only
def test_a_store_chain_that_does_not_verify_is_not_exported(
    ctx: Context, cli: Cli, store: Store, tmp_path: Path
) -> None:
    import sqlite3

    inc = make_sensitive_incident(ctx)
    db = sqlite3.connect(store.sqlite_file)
    with db:
        db.execute(
            "UPDATE events SET payload = replace(payload, 'bad deploy', 'good deploy') "
            "WHERE incident_id = ?",
            (inc,),
        )
    db.close()
    result = cli("export", inc, "--out", str(tmp_path / "out"))
    assert result.exit_code == 7
    assert result.output.startswith(
        "fireline: error: refusing to export a chain that does not verify: "
    )
    assert not (tmp_path / "out").exists()


def test_checks_md_shows_checklists_and_their_state(ctx: Context, cli: Cli, tmp_path: Path) -> None:
    inc = make_incident(ctx)
    declared = events_of(ctx, inc)[0].payload
    assert declared is not None
    first = declared["checklists"][0]
    assert cli("export", inc, "--out", str(tmp_path / "a")).exit_code == 0
    before = (tmp_path / "a" / inc / "30_verification/checks.md").read_text()
    assert f"built-in checklist {first['checklist']}: " in before
    item = f"{first['checklist']}:{first['items'][0]['number']}"
    assert cli("check", inc, item, "--as", "alice").exit_code == 0
    assert cli("export", inc, "--out", str(tmp_path / "b")).exit_code == 0
    after = (tmp_path / "b" / inc / "30_verification/checks.md").read_text()
    assert after.count("- [x] ") == before.count("- [x] ") + 1
    assert cli("verify", str(tmp_path / "b" / inc)).exit_code == 0


def test_a_whole_incident_renders_into_the_postmortem_and_action_items(
    ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    from fireline.scenario import play_sev1

    inc = play_sev1(ctx, declarer=ActorId("alice"))
    meet_gates(ctx, inc)
    run(
        ctx,
        CompleteActionItem(incident_id=inc, number=1, note="test merged", verification="ci"),
    )
    run(ctx, ReleaseRole(incident_id=inc, role="scribe"))
    run(ctx, ReviewGovernance(incident_id=inc, outcome="no sensitive data left the store"), "erin")
    result = cli("export", inc, "--out", str(tmp_path), "--as", "alice")
    assert result.exit_code == 0, result.output
    root = tmp_path / inc
    postmortem = (root / "90_postmortem/postmortem.md").read_text()
    assert postmortem.startswith(f"# Postmortem — {inc} — Catalog API 5xx spike\n")
    assert "- deploy 4f2c1e skipped the policy check" in postmortem  # the root cause
    assert "- Detection: alert api-5xx fired" in postmortem
    assert "| add policy regression test | carol | P1 |" in postmortem
    assert "signed off by erin: no sensitive data left the store" in postmortem
    items = (root / "90_postmortem/action_items.md").read_text()
    assert "- [x] #1 add policy regression test (Owner: carol, Due: " in items
    assert "Priority: P1, done " in items
    rollback = (root / "20_actions/rollback.md").read_text()
    assert "rolled back to 9a1b7d" in rollback
    assert "roll back 4f2c1e" in rollback
    record = yaml.safe_load((root / "00_meta/incident.yaml").read_text())
    assert record["scribe"] is None  # released
    assert record["sev"] == "SEV0"
    timeline = (root / "00_meta/timeline.md").read_text()
    assert "| corrects #" not in timeline
    assert "(corrects #" in timeline
    prov = json.loads((root / "prov/prov.json").read_text())
    assert "inc:update-1" in prov["entity"]
    assert cli("verify", str(root)).exit_code == 0


def test_export_of_a_malformed_id_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    result = cli("export", "INC-2026-1", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.output.strip() == (
        "fireline: error: malformed incident id 'INC-2026-1'; expected INC-YYYYMMDD-NNN"
    )
    assert not (tmp_path / "out").exists()


def test_verify_takes_one_export_path(cli: Cli, tmp_path: Path) -> None:
    result = cli("verify", str(tmp_path / "a.zip"), str(tmp_path / "b.zip"))
    assert result.exit_code == 2
    assert result.output.strip() == (
        "fireline: error: give one export path to verify, or incident ids"
    )
