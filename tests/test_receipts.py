"""Integrity receipts: manifests parsed strictly (sha256sum text and binary markers, escaped
names, the JSON form), artifacts hashed without leaving --root, the manifest check recorded
with the manifest's own digest, rebuild receipts and steps, bad input refused with nothing
written, and the export's 20_actions/ and 30_verification/ files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fireline.errors import InvalidCommandError
from fireline.receipts import manifest
from fireline.receipts.hashing import hash_under
from fireline.service import Context
from tests.conftest import Cli, Store
from tests.factories import make_incident, snapshot

A = hashlib.sha256(b"hello\n").hexdigest()
B = hashlib.sha256(b"world\n").hexdigest()


def test_sha256sum_lines_in_text_and_binary_mode_with_escaped_names() -> None:
    text = f"{A}  a.bin\n{B} *dir/b.txt\n\\{A}  new\\nline\\\\x\n".encode()
    fmt, entries = manifest.parse(text, name="SHA256SUMS")
    assert fmt == "sha256sum"
    assert entries == {"a.bin": A, "dir/b.txt": B, "new\nline\\x": A}


def test_the_json_forms() -> None:
    listed = json.dumps({"files": [{"path": "./a.bin", "sha256": A.upper()}]}).encode()
    assert manifest.parse(listed, name="m.json") == ("json", {"a.bin": A})
    assert manifest.parse(json.dumps({"b": B}).encode(), name="m.json") == ("json", {"b": B})


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"not a manifest\n", "line 1: malformed; expected 'SHA256  PATH'"),
        (f"{A[:-1]}  a\n".encode(), "line 1: digest has 63 hex digits; a sha256 digest has 64"),
        (f"{A}0  a\n".encode(), "digest has 65 hex digits"),
        (f"{A}  ../etc/passwd\n".encode(), "'../etc/passwd' escapes --root"),
        (f"{A}  /etc/passwd\n".encode(), "is absolute"),
        (f"{A}  a\n{B}  ./a\n".encode(), "line 2: 'a' is listed twice"),
        (b"\n\n", "lists no files"),
        (b"\xff\xfe", "is not UTF-8 text"),
        (b'{"files": [{"path": "a"}]}', "files[0]: expected an object with path and sha256"),
        (b"[1]", "expected"),
        (b'{"a": "xyz"}', "digest has non-hex hex digits"),
    ],
)
def test_malformed_manifests_are_one_line(data: bytes, line: str) -> None:
    with pytest.raises(InvalidCommandError, match=line.replace("[", r"\[").replace("(", r"\(")):
        manifest.parse(data, name="m")


def test_hashing_never_leaves_the_root(tmp_path: Path) -> None:
    root = tmp_path / "art"
    root.mkdir()
    (root / "a.bin").write_bytes(b"hello\n")
    (tmp_path / "secret").write_bytes(b"s")
    (root / "link").symlink_to(tmp_path / "secret")
    assert hash_under(root, ["a.bin", "gone"]) == ({"a.bin": A}, ["gone"])
    with pytest.raises(InvalidCommandError, match="resolves outside --root"):
        hash_under(root, ["link"])


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    root = tmp_path / "artifacts"
    (root / "dir").mkdir(parents=True)
    (root / "a.bin").write_bytes(b"hello\n")
    (root / "dir" / "b.txt").write_bytes(b"changed\n")
    (tmp_path / "SHA256SUMS").write_text(f"{A} *a.bin\n{B}  dir/b.txt\n{A}  c.txt\n")
    return root


def test_a_manifest_check_records_matches_mismatches_and_the_manifests_digest(
    ctx: Context, cli: Cli, artifacts: Path
) -> None:
    incident = make_incident(ctx)
    sums = artifacts.parent / "SHA256SUMS"
    result = cli(
        "evidence",
        "manifest-check",
        incident,
        "--manifest",
        str(sums),
        "--root",
        str(artifacts),
        actor="alice",
    )
    assert result.exit_code == 1, result.stderr
    assert "1 matched, 1 mismatched, 1 missing" in result.stdout
    assert f"MISMATCH dir/b.txt: expected {B}" in result.stdout
    shown = cli("timeline", incident, "--format", "json", actor="alice")
    checked = [e for e in json.loads(shown.stdout) if e["kind"] == "manifest.checked"]
    assert len(checked) == 1
    assert hashlib.sha256(sums.read_bytes()).hexdigest()[:12] in checked[0]["summary"]


def test_bad_manifest_input_writes_nothing(ctx: Context, cli: Cli, artifacts: Path) -> None:
    incident = make_incident(ctx)
    escaping = artifacts.parent / "escaping"
    escaping.write_text(f"{A}  ../SHA256SUMS\n")
    short = artifacts.parent / "short"
    short.write_text(f"{A[:40]}  a.bin\n")
    before = snapshot(ctx.engine)
    for path, line in (
        (escaping, "escapes --root"),
        (short, "digest has 40 hex digits"),
        (artifacts.parent / "nothere", "cannot read --manifest"),
    ):
        result = cli(
            "evidence",
            "manifest-check",
            incident,
            "--manifest",
            str(path),
            "--root",
            str(artifacts),
            actor="alice",
        )
        assert result.exit_code == 2
        assert line in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(ctx.engine) == before


def test_receipts_and_steps_record_and_refuse_bad_input(
    ctx: Context, cli: Cli, tmp_path: Path
) -> None:
    incident = make_incident(ctx)
    ok = cli(
        "receipt",
        incident,
        "rebuild",
        "--input",
        f"cat-2026:v11@sha256:{A}",
        "--output",
        f"cat-2026:v13@sha256:{B}",
        "--check",
        "counts=ok",
        "--ref",
        "run:4711",
        actor="alice",
    )
    assert ok.exit_code == 0, ok.stderr
    assert "receipt.recorded" in ok.stdout
    diff = tmp_path / "ingest.diff"
    diff.write_text("-lag_limit = 40m\n+lag_limit = 5m\n")
    step = cli(
        "step",
        incident,
        "restart ingest",
        "--command",
        "systemctl restart ingest",
        "--pre",
        "lag 40m",
        "--post",
        "lag 2m",
        "--diff",
        str(diff),
        "--rollback",
        "systemctl stop ingest",
        actor="alice",
    )
    assert step.exit_code == 0, step.stderr
    before = snapshot(ctx.engine)
    for args, line in (
        (
            (
                "receipt",
                incident,
                "rebuild",
                "--input",
                "x@sha256:abc",
                "--output",
                f"y@sha256:{A}",
            ),
            "--input x: digest has 3 hex digits",
        ),
        (
            ("receipt", incident, "rebuild", "--input", f"x@{A}", "--output", f"y@sha256:{A}"),
            "expected NAME@sha256:HEX",
        ),
        (
            ("receipt", incident, "rebuild", "--output", f"y@sha256:{A}"),
            "give at least one --input",
        ),
        (
            (
                "receipt",
                incident,
                "restore",
                "--input",
                f"x@sha256:{A}",
                "--output",
                f"y@sha256:{A}",
            ),
            "unknown receipt kind 'restore'",
        ),
        (
            (
                "receipt",
                incident,
                "rebuild",
                "--input",
                f"x@sha256:{A}",
                "--output",
                f"y@sha256:{A}",
                "--check",
                "counts",
            ),
            "malformed --check 'counts'",
        ),
        (("step", incident, "x"), "give exactly one of --command or --pr"),
        (("step", incident, "x", "--command", "a", "--pr", "https://x/1"), "exactly one"),
        (("step", incident, "x", "--pr", "javascript:alert(1)"), "--pr must be an http(s) URL"),
    ):
        result = cli(*args, actor="alice")
        assert result.exit_code == 2, (args, result.stdout)
        assert line in result.stderr
    assert snapshot(ctx.engine) == before


def test_the_export_writes_steps_diffs_rollbacks_and_checks(
    ctx: Context, cli: Cli, tmp_path: Path, artifacts: Path
) -> None:
    incident = make_incident(ctx)
    diff = tmp_path / "ingest.diff"
    diff.write_text("-lag_limit = 40m\n+lag_limit = 5m\n")
    for args in (
        (
            "step",
            incident,
            "restart ingest",
            "--command",
            "systemctl restart ingest",
            "--pre",
            "lag 40m",
            "--post",
            "lag 2m",
            "--diff",
            str(diff),
            "--rollback",
            "systemctl stop ingest",
        ),
        ("step", incident, "raise limit", "--pr", "https://git.example/kfm/pull/88"),
        ("switch", "set", "global-readonly", "on", "--incident", incident, "--reason", "corrupt"),
        ("switch", "set", "global-readonly", "off", "--incident", incident, "--reason", "fixed"),
        (
            "receipt",
            incident,
            "rebuild",
            "--input",
            f"cat-2026:v11@sha256:{A}",
            "--output",
            f"cat-2026:v13@sha256:{B}",
            "--check",
            "counts=ok",
            "--ref",
            "run:4711",
        ),
        (
            "evidence",
            "manifest-check",
            incident,
            "--manifest",
            str(artifacts.parent / "SHA256SUMS"),
            "--root",
            str(artifacts),
        ),
    ):
        cli(*args, actor="alice")
    out = tmp_path / "export"
    result = cli("export", incident, "--out", str(out), actor="alice")
    assert result.exit_code == 0, result.stderr
    root = out / incident
    commands = (root / "20_actions/commands.md").read_text()
    assert "### #3 restart ingest" in commands
    assert "- command `systemctl restart ingest`" in commands
    assert "- pre: lag 40m" in commands
    assert "PR https://git.example/kfm/pull/88" in commands
    assert "Switch global-readonly off → on: corrupt" in commands
    assert (root / "20_actions/diffs/0003-ingest.diff").read_text() == diff.read_text()
    rollback = (root / "20_actions/rollback.md").read_text()
    assert "restart ingest: systemctl stop ingest" in rollback
    assert "Switch global-readonly on → off: fixed" in rollback
    checks = (root / "30_verification/checks.md").read_text()
    assert "- #3 restart ingest: pre lag 40m; post lag 2m" in checks
    assert f"- input cat-2026:v11 sha256:{A}" in checks
    assert "- MISSING c.txt" in checks
    assert cli("verify", str(root)).exit_code == 0


def test_switch_check_answers_without_the_cli_and_fails_closed(store: Store, ctx: Context) -> None:
    """The console entry point's own answer: 0 normal, 1 flipped, another code (and the
    safe state to assume) when the store cannot be read."""
    from fireline.commands import SetSwitch
    from tests.factories import run

    def check(name: str, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, **store.env, **env}
        environ["PYTHONPATH"] = os.pathsep.join(sys.path)
        code = "import sys; from fireline.launcher import main; sys.argv[0] = 'fireline'; main()"
        return subprocess.run(
            [sys.executable, "-c", code, "switch", "check", name],
            env=environ,
            capture_output=True,
            text=True,
            check=False,
        )

    assert check("global-readonly").returncode == 0
    incident = make_incident(ctx)
    run(ctx, SetSwitch(incident_id=incident, name="global-readonly", state="on", reason="x"))
    flipped = check("global-readonly")
    assert flipped.returncode == 1
    assert flipped.stdout.startswith("global-readonly: on (flipped since")
    assert check("deploy-freeze").returncode == 1
    assert check("quarantine:cat-2026:v12").returncode == 0
    unknown = check("nope")
    assert unknown.returncode == 2
    assert "unknown switch 'nope'" in unknown.stderr
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from fireline.launcher import main; "
            "sys.argv = ['fireline', 'switch', 'check', 'global-readonly']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] if not m.startswith('fireline') else m "
            "for m in sys.modules if m.startswith(('sqlalchemy', 'typer', 'pydantic', "
            "'fireline.policy', 'fireline.cli.', 'fireline.service', 'regopy'))}))",
        ],
        env={**os.environ, **store.env, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert heavy.stdout.strip().splitlines()[-1] == "[]"  # no ORM, CLI framework or policy
    gone = store.settings.home.parent / "elsewhere"
    for name, safe in (
        ("global-readonly", "on"),
        ("promotions", "paused"),
        ("deploy-freeze", "frozen"),
        ("quarantine:cat-2026:v12", "quarantined"),
    ):
        lost = check(name, FIRELINE_HOME=str(gone), FIRELINE_DATABASE_URL="")
        assert lost.returncode not in (0, 1)
        assert f"treat {name} as {safe} (its safe state)" in lost.stderr
