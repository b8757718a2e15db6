"""Evidence in exports: files under 10_evidence/, digests, masking, withheld binaries, tampering."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml

from fireline.domain import IncidentId
from fireline.service import Context
from tests.conftest import Cli
from tests.factories import make_incident

LOG = (
    "2026-11-23T14:02:11Z ERROR api 5xx upstream=10.20.30.40 user=ops.lead@example.org\n"
    "2026-11-23T14:02:12Z WARN layer request at 38.62712, -90.19940 from +1 415 555 0100\n"
)
PLANTED = ("10.20.30.40", "ops.lead@example.org", "38.62712", "-90.19940", "+1 415 555 0100")
QUERY = "SELECT count(*) FROM requests WHERE status >= 500;\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


@pytest.fixture
def incident(ctx: Context, cli: Cli, tmp_path: Path) -> IncidentId:
    inc = make_incident(ctx)
    files = tmp_path / "files"
    files.mkdir()
    (files / "api errors.log").write_text(LOG)
    (files / "count.sql").write_text(QUERY)
    (files / "dash.png").write_bytes(PNG)
    (files / "host-10.20.30.40.txt").write_text("disk full\n")
    for args in (
        (str(files / "api errors.log"), "--kind", "logs", "--note", "from the gateway"),
        (str(files / "count.sql"), "--kind", "query"),
        (str(files / "dash.png"), "--kind", "screenshot", "--unscanned"),
        ("--ref", "trace:abc123", "--kind", "trace"),
        (str(files / "host-10.20.30.40.txt"), "--kind", "other"),
    ):
        result = cli("evidence", "add", inc, *args, "--as", "alice")
        assert result.exit_code == 0, result.output
    return inc


def export(cli: Cli, inc: str, out: Path, *extra: str) -> Path:
    result = cli("export", inc, "--out", str(out), "--as", "alice", *extra)
    assert result.exit_code == 0, result.output
    return out / inc


def test_masked_export_places_masks_and_withholds_evidence(
    cli: Cli, incident: IncidentId, tmp_path: Path
) -> None:
    root = export(cli, incident, tmp_path / "out")
    files = sorted(
        p.relative_to(root / "10_evidence").as_posix()
        for p in (root / "10_evidence").rglob("*")
        if p.is_file()
    )
    assert files == [
        "hashes.sha256",
        "logs/001-api_errors.log",
        "other/005-host-_masked_ip_.txt",
        "queries/002-count.sql",
    ]
    log = (root / "10_evidence/logs/001-api_errors.log").read_text()
    assert "[masked:ip]" in log
    assert "[masked:email]" in log
    for planted in PLANTED:
        for path in root.rglob("*"):
            assert planted not in path.relative_to(root).as_posix()
            if path.is_file():
                assert planted not in path.read_text(errors="replace"), path
    # A file with nothing to mask is copied as the ledger recorded it.
    query = (root / "10_evidence/queries/002-count.sql").read_bytes()
    assert query == QUERY.encode()
    record = yaml.safe_load((root / "00_meta/incident.yaml").read_text())
    refs = {r["kind"]: r for r in record["evidence_refs"]}
    assert refs["logs"]["ref"] == "10_evidence/logs/001-api_errors.log"
    assert refs["query"]["sha256"] == hashlib.sha256(query).hexdigest()
    assert refs["screenshot"]["ref"].startswith("withheld from this masked export (sha256 ")
    assert refs["trace"]["ref"] == "trace:abc123"
    done = subprocess.run(
        ["sha256sum", "-c", "hashes.sha256"],
        cwd=root / "10_evidence",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "logs/001-api_errors.log: OK" in done.stdout
    verified = cli("verify", str(root))
    assert verified.exit_code == 0, verified.output
    assert "(3 evidence files)" in verified.output


def test_unmasked_export_carries_the_stored_bytes(
    cli: Cli, incident: IncidentId, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRELINE_SENSITIVE_CLEARANCE", "alice")
    root = export(cli, incident, tmp_path / "out", "--unmasked")
    assert (root / "10_evidence/logs/001-api_errors.log").read_text() == LOG
    assert (root / "10_evidence/screenshots/003-dash.png").read_bytes() == PNG
    verified = cli("verify", str(root))
    assert verified.exit_code == 0, verified.output
    assert "(4 evidence files)" in verified.output


def test_exports_with_evidence_are_deterministic(
    cli: Cli, incident: IncidentId, tmp_path: Path
) -> None:
    a = export(cli, incident, tmp_path / "a", "--zip").parent / f"{incident}.zip"
    b = export(cli, incident, tmp_path / "b", "--zip").parent / f"{incident}.zip"
    assert a.read_bytes() == b.read_bytes()


def test_a_changed_evidence_byte_is_named(cli: Cli, incident: IncidentId, tmp_path: Path) -> None:
    root = export(cli, incident, tmp_path / "out")
    path = root / "10_evidence/queries/002-count.sql"
    path.write_bytes(path.read_bytes().replace(b"500", b"400"))
    result = cli("verify", str(root))
    assert result.exit_code == 7
    assert "BROKEN 10_evidence/queries/002-count.sql: does not match its digest" in result.output
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith(f"fireline: error: {root}: 10_evidence/queries/002-count.sql: ")
    )


def test_a_rehashed_evidence_edit_is_caught_against_the_ledger(
    cli: Cli, incident: IncidentId, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with hashes.sha256 fixed up, the ledger's digest (and the seal) disagree."""
    monkeypatch.setenv("FIRELINE_SENSITIVE_CLEARANCE", "alice")
    root = export(cli, incident, tmp_path / "out", "--unmasked")
    path = root / "10_evidence/screenshots/003-dash.png"
    path.write_bytes(PNG + b"\x00")
    hashes = root / "10_evidence/hashes.sha256"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    hashes.write_text(
        "".join(
            f"{digest}  screenshots/003-dash.png\n" if "003-dash" in line else line + "\n"
            for line in hashes.read_text().splitlines()
        )
    )
    result = cli("verify", str(root))
    assert result.exit_code == 7
    assert (
        "BROKEN 10_evidence/screenshots/003-dash.png: does not match the digest the ledger "
        "recorded for it"
    ) in result.output
