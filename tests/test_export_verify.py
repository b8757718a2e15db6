"""Offline verification of exports: every tampering fails, naming the path it is in."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from fireline.commands import LogEntry
from fireline.domain import IncidentId
from fireline.ledger.chain import canonical
from fireline.service import Context
from tests.conftest import Cli
from tests.factories import make_incident, run


@pytest.fixture
def exported(ctx: Context, cli: Cli, tmp_path: Path) -> Path:
    inc = make_incident(ctx)
    run(ctx, LogEntry(incident_id=IncidentId(inc), kind="fact", text="5xx rate 38% since 14:02Z"))
    run(ctx, LogEntry(incident_id=IncidentId(inc), kind="mitigation", text="rolled back to 9a1b7d"))
    result = cli("export", inc, "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / inc


def flip_byte(path: Path, needle: bytes) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(needle)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def refused(cli: Cli, target: Path, path: str) -> str:
    result = cli("verify", str(target))
    assert result.exit_code == 7, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith(f"fireline: error: {target}: {path}: "), lines
    assert any(line.startswith(f"BROKEN {path}: ") for line in lines)
    return result.output


def test_untouched_export_verifies(cli: Cli, exported: Path) -> None:
    result = cli("verify", str(exported))
    assert result.exit_code == 0, result.output
    assert "verified offline" in result.output


def test_a_changed_byte_in_events_jsonl_is_named(cli: Cli, exported: Path) -> None:
    flip_byte(exported / "ledger/events.jsonl", b"38%")
    output = refused(cli, exported, "ledger/events.jsonl")
    assert "event 3: payload does not match its recorded digest" in output


def test_a_changed_byte_in_incident_yaml_is_named(cli: Cli, exported: Path) -> None:
    flip_byte(exported / "00_meta/incident.yaml", b"rolled back")
    output = refused(cli, exported, "00_meta/incident.yaml")
    assert "differs from the view rendered from the ledger" in output


def test_a_consistently_rehashed_view_edit_is_still_caught(cli: Cli, exported: Path) -> None:
    """Fixing hashes.sha256 after an edit breaks the signed seal instead."""
    import hashlib

    view = exported / "90_postmortem/action_items.md"
    view.write_bytes(view.read_bytes() + b"- [x] nothing to see\n")
    hashes = exported / "10_evidence/hashes.sha256"
    digest = hashlib.sha256(view.read_bytes()).hexdigest()
    lines = [
        f"{digest}  ../90_postmortem/action_items.md" if "action_items" in line else line
        for line in hashes.read_text().splitlines()
    ]
    hashes.write_text("\n".join(lines) + "\n")
    output = refused(cli, exported, "10_evidence/hashes.sha256")
    assert "90_postmortem/action_items.md: differs from the view rendered" in output


def test_a_deleted_file_is_named(cli: Cli, exported: Path) -> None:
    (exported / "30_verification/metrics.md").unlink()
    assert "missing" in refused(cli, exported, "30_verification/metrics.md")


def test_an_added_file_is_named(cli: Cli, exported: Path) -> None:
    (exported / "10_evidence/logs/extra.log").write_text("planted later\n")
    output = refused(cli, exported, "10_evidence/logs/extra.log")
    assert "is not part of the export" in output


def test_a_forged_seal_is_named(cli: Cli, exported: Path) -> None:
    path = exported / "ledger/checkpoints.jsonl"
    first, second = path.read_text().splitlines()
    seal = json.loads(second)
    seal["masked"] = False
    path.write_text(first + "\n" + canonical(seal) + "\n")
    assert "export seal signature does not verify" in refused(
        cli, exported, "ledger/checkpoints.jsonl"
    )


def test_a_replaced_public_key_is_named(cli: Cli, exported: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fireline.ledger.checkpoints import public_pem

    (exported / "ledger/public_key.pem").write_bytes(
        public_pem(Ed25519PrivateKey.generate().public_key())
    )
    refused(cli, exported, "ledger/checkpoints.jsonl")


def test_a_cut_ledger_tail_is_named(cli: Cli, exported: Path) -> None:
    path = exported / "ledger/events.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    output = refused(cli, exported, "ledger/events.jsonl")
    assert "not at the signed head" in output


def test_a_tampered_zip_is_named(cli: Cli, ctx: Context, tmp_path: Path) -> None:
    inc = make_incident(ctx)
    assert cli("export", inc, "--out", str(tmp_path), "--zip").exit_code == 0
    original = tmp_path / f"{inc}.zip"
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(forged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("timeline.md"):
                data = data.replace(b"Declared", b"Declares")
            dst.writestr(info, data)
    refused(cli, forged, "00_meta/timeline.md")


def test_verify_takes_the_out_folder_of_an_export(cli: Cli, exported: Path) -> None:
    result = cli("verify", str(exported.parent))
    assert result.exit_code == 0, result.output
    assert "verified offline" in result.output


def test_verify_of_an_out_folder_holding_two_exports_is_refused(cli: Cli, exported: Path) -> None:
    (exported.parent / "INC-20261123-999").mkdir()
    result = cli("verify", str(exported.parent))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"fireline: error: {exported.parent} is not a fireline export "
        "(expected a folder INC-… or a folder holding one)"
    )


def test_verify_of_a_missing_path(cli: Cli, tmp_path: Path) -> None:
    result = cli("verify", str(tmp_path / "nowhere.zip"))
    assert result.exit_code == 3
    assert result.output.strip() == f"fireline: error: no export at {tmp_path / 'nowhere.zip'}"


def test_verify_of_a_zip_that_is_not_an_export(cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("holiday/beach.jpg", b"\xff\xd8")
    result = cli("verify", str(other))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"fireline: error: {other} is not a fireline export (no single INC-… folder)"
    )


def test_verify_of_a_file_that_is_not_a_zip(cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    result = cli("verify", str(other))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"fireline: error: {other} is not a fireline export (not a folder or zip)"
    )


def test_verify_of_a_folder_that_is_not_an_export(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    result = cli("verify", str(tmp_path / "stuff"))
    assert result.exit_code == 2
    assert "is not a fireline export" in result.output


def test_verify_of_an_empty_export_folder_names_what_is_missing(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "INC-20261123-001"
    folder.mkdir()
    output = refused(cli, folder, "ledger/events.jsonl")
    assert "more problem" in output


def test_an_unreadable_public_key_is_named(cli: Cli, exported: Path) -> None:
    (exported / "ledger/public_key.pem").write_text("not a key\n")
    assert "cannot load public key" in refused(cli, exported, "ledger/public_key.pem")


def test_a_garbled_event_line_is_named(cli: Cli, exported: Path) -> None:
    path = exported / "ledger/events.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([lines[0], "{not json\n", *lines[2:]]))
    assert "line 2: not a fireline event line" in refused(cli, exported, "ledger/events.jsonl")


def test_any_single_byte_change_anywhere_fails(cli: Cli, exported: Path, tmp_path: Path) -> None:
    """First, middle and last byte of every file of the export, one at a time."""
    import shutil

    from fireline.export.verify import verify_export

    files = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file())
    assert len(files) == 17  # with 20_actions/ and 30_verification/
    for name in files:
        size = (exported / name).stat().st_size
        for at in sorted({0, size // 2, size - 1}):
            copy = tmp_path / "flip" / exported.name
            shutil.rmtree(copy.parent, ignore_errors=True)
            shutil.copytree(exported, copy)
            data = bytearray((copy / name).read_bytes())
            data[at] ^= 0x01
            (copy / name).write_bytes(bytes(data))
            report = verify_export(copy)
            assert not report.ok, (name, at)
            assert any(p.path == name for p in report.problems), (name, at, report.problems)
