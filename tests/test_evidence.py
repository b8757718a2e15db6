"""Evidence through the CLI and the service: add, list, show, get; every refusal writes nothing
(no event, no blob); the stored blob is the redacted one; rebuild reproduces the index."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from fireline.cli import app
from fireline.commands import AddEvidence, AddUser, Transition
from fireline.db import events
from fireline.domain import ActorId, IncidentId
from fireline.errors import InvalidCommandError, NotFoundError, PolicyDeniedError
from fireline.evidence import open_regular
from fireline.service import Context, open_context, rebuild
from fireline.service.evidence import check_target, staged_file
from tests.conftest import Cli, Store
from tests.factories import make_incident, meet_gates, projection_state, run, snapshot

LOG = (
    "2026-11-23T14:02:11Z api-1 GET /search 500 upstream timeout\n"
    "2026-11-23T14:02:12Z api-1 deploy creds password=hunter2-prod\n"
    "2026-11-23T14:02:13Z api-1 aws key AKIAIOSFODNN7EXAMPL3 used\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def ok(cli: Cli, *args: str, input: bytes | None = None) -> str:
    result = cli.runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.stdout


def blob_files(store: Store) -> list[Path]:
    root = store.settings.home / "blobs"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def incident(cli: Cli) -> str:
    return ok(cli, "declare", "Catalog API 5xx spike", "--sev", "SEV1", "--ic", "tester").strip()


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "api.log"
    path.write_text(LOG)
    return path


def test_add_stores_the_redacted_file_and_records_its_digest(
    cli: Cli, store: Store, incident: str, log_file: Path
) -> None:
    out = ok(
        cli,
        "evidence",
        "add",
        incident,
        str(log_file),
        "--kind",
        "logs",
        "--note",
        "the 5xx burst",
        "--source",
        "api-1:/var/log/api.log",
        "--captured-at",
        "2026-11-23T14:05Z",
    )
    assert out == f"{incident} event 3: evidence.added\n"
    [blob] = blob_files(store)
    stored = blob.read_bytes()
    assert b"hunter2" not in stored
    assert b"AKIAIOSFODNN7EXAMPL3" not in stored
    assert b"GET /search 500 upstream timeout" in stored
    digest = hashlib.sha256(stored).hexdigest()
    assert blob.name == digest
    item = json.loads(ok(cli, "evidence", "show", incident, "E1", "--format", "json"))
    assert item["sha256"] == digest
    assert item["size"] == len(stored)
    assert item["media_type"] == "text/plain"
    assert item["name"] == "api.log"
    assert item["scanned"] is True
    assert item["captured_at"] == "2026-11-23T14:05:00.000000Z"
    assert item["added_by"] == "tester"
    assert item["redacted"] == {"aws-access-key": 1, "password": 1}
    engine = sa.create_engine(store.settings.database_url)
    with engine.connect() as conn:
        payload = conn.execute(
            sa.select(events.c.payload).where(events.c.kind == "evidence.added")
        ).scalar_one()
    engine.dispose()
    assert "hunter2" not in payload
    assert "AKIAIOSFODNN7EXAMPL3" not in payload
    assert json.loads(payload)["sha256"] == digest
    assert ok(cli, "evidence", "get", incident, "E1").encode() == stored


def test_list_and_show_render_every_kind_of_evidence(
    cli: Cli, incident: str, log_file: Path, tmp_path: Path
) -> None:
    (tmp_path / "shot.png").write_bytes(PNG)
    ok(cli, "evidence", "add", incident, str(log_file), "--kind", "logs")
    ok(cli, "evidence", "add", incident, str(tmp_path / "shot.png"), "--kind", "screenshot",
       "--unscanned")  # fmt: skip
    ok(cli, "evidence", "add", incident, "--ref", "trace:abc123", "--note", "slow span")
    listing = ok(cli, "evidence", "list", incident)
    lines = listing.splitlines()
    assert lines[0].startswith("E1   logs ")
    assert "api.log" in lines[0]
    assert "image/png UNSCANNED" in lines[1]
    assert lines[2].startswith("E3   trace ")
    assert "trace:abc123" in lines[2]
    shown = ok(cli, "evidence", "show", incident, "E2")
    assert "Scanned:     NO" in shown
    assert "Media type:  image/png" in shown
    ref = json.loads(ok(cli, "evidence", "show", incident, "3", "--format", "json"))
    assert (ref["kind"], ref["ref"], ref["sha256"], ref["note"]) == (
        "trace",
        "trace:abc123",
        None,
        "slow span",
    )
    assert [
        e["id"] for e in json.loads(ok(cli, "evidence", "list", incident, "--format", "json"))
    ] == [
        "E1",
        "E2",
        "E3",
    ]
    assert ok(cli, "evidence", "list", ok(cli, "declare", "Other", "--sev", "SEV3").strip()) == (
        "no evidence\n"
    )


def test_get_writes_a_file_and_standard_input_can_be_added(
    cli: Cli, store: Store, incident: str, tmp_path: Path
) -> None:
    ok(cli, "evidence", "add", incident, "-", "--kind", "query", input=b"select 1;\n")
    target = tmp_path / "out.sql"
    result = cli("evidence", "get", incident, "E1", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == b"select 1;\n"
    item = json.loads(ok(cli, "evidence", "show", incident, "E1", "--format", "json"))
    assert item["name"] is None


def test_the_same_file_is_stored_once_across_incidents(
    cli: Cli, store: Store, incident: str, log_file: Path
) -> None:
    other = ok(cli, "declare", "Second incident", "--sev", "SEV3").strip()
    ok(cli, "evidence", "add", incident, str(log_file), "--kind", "logs")
    ok(cli, "evidence", "add", other, str(log_file), "--kind", "logs")
    assert len(blob_files(store)) == 1
    first = json.loads(ok(cli, "evidence", "show", incident, "E1", "--format", "json"))
    second = json.loads(ok(cli, "evidence", "show", other, "E1", "--format", "json"))
    assert first["sha256"] == second["sha256"]


def test_get_refuses_a_blob_changed_behind_firelines_back(
    cli: Cli, store: Store, incident: str, log_file: Path, tmp_path: Path
) -> None:
    ok(cli, "evidence", "add", incident, str(log_file), "--kind", "logs")
    [blob] = blob_files(store)
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes().replace(b"500", b"200"))
    target = tmp_path / "copy.log"
    for args in (
        ("evidence", "get", incident, "E1"),
        ("evidence", "get", incident, "E1", "-o", str(target)),
    ):
        result = cli(*args)
        assert result.exit_code == 7
        assert result.stdout == ""
        assert result.stderr == (
            f"fireline: error: blob {blob.name} no longer matches its digest (content now "
            f"hashes to {hashlib.sha256(blob.read_bytes()).hexdigest()[:12]}…); it was changed "
            "outside fireline\n"
        )
    assert not target.exists()
    assert list(tmp_path.glob(".copy.log*")) == []


def test_binary_that_turns_up_late_is_refused_or_stored_unscanned(
    cli: Cli, store: Store, incident: str, tmp_path: Path
) -> None:
    late = tmp_path / "mixed.log"
    late.write_bytes(LOG.encode() * 400 + b"\x00\x01 core dump")
    result = cli("evidence", "add", incident, str(late), "--kind", "logs")
    assert result.exit_code == 2
    assert "not text (a NUL byte at byte" in result.stderr
    assert blob_files(store) == []
    ok(cli, "evidence", "add", incident, str(late), "--kind", "logs", "--unscanned")
    [blob] = blob_files(store)
    assert blob.read_bytes() == late.read_bytes()  # stored as it is: unscanned means unscanned
    item = json.loads(ok(cli, "evidence", "show", incident, "E1", "--format", "json"))
    assert (item["scanned"], item["media_type"], item["redacted"]) == (
        False,
        "application/octet-stream",
        {},
    )


def test_text_is_scanned_even_with_unscanned(
    cli: Cli, store: Store, incident: str, log_file: Path
) -> None:
    ok(cli, "evidence", "add", incident, str(log_file), "--kind", "logs", "--unscanned")
    [blob] = blob_files(store)
    assert b"AKIAIOSFODNN7EXAMPL3" not in blob.read_bytes()


BAD = [
    (("INC-20991231-001", "{log}", "--kind", "logs"), 3, "no incident INC-20991231-001"),
    (("{i}", "{missing}", "--kind", "logs"), 2, "cannot read"),
    (("{i}", "{dir}", "--kind", "logs"), 2, "folder is a folder, not a regular file; give a"),
    (("{i}", "{link}", "--kind", "logs"), 2, "shadow.log is a symbolic link (to /etc/shadow);"),
    (("{i}", "{fifo}", "--kind", "logs"), 2, "feed is a named pipe (FIFO), not a regular file"),
    (("{i}", "/dev/zero", "--kind", "other", "--unscanned"), 2, "/dev/zero is a character device"),
    (("{i}", "/proc/self/status", "--kind", "logs"), 2, "status changed while it was read (it"),
    (("{i}", "{log}", "--kind", "photo"), 2, "unknown evidence kind 'photo'; allowed: logs,"),
    (("{i}", "{log}"), 2, "a file needs --kind"),
    (
        ("{i}", "{log}", "--kind", "logs", "--captured-at", "yesterday"),
        2,
        "malformed --captured-at",
    ),
    (("{i}", "{log}", "--kind", "logs", "--captured-at", "2099-01-01T00:00Z"), 2, "in the future"),
    (("{i}", "{png}", "--kind", "screenshot"), 2, "not text"),
    (("{i}", "{log}", "--kind", "logs", "--ref", "trace:abc"), 2, "not both"),
    (("{i}", "--kind", "logs"), 2, "give a PATH"),
    (("{i}", "--ref", "abc123"), 2, "malformed ref 'abc123'"),
    (("INC-1", "{log}", "--kind", "logs"), 2, "malformed incident id"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD)
def test_every_bad_input_is_one_line_and_writes_nothing(
    cli: Cli,
    store: Store,
    incident: str,
    log_file: Path,
    tmp_path: Path,
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    (tmp_path / "shot.png").write_bytes(PNG)
    (tmp_path / "folder").mkdir()
    (tmp_path / "shadow.log").symlink_to("/etc/shadow")
    os.mkfifo(tmp_path / "feed")  # no writer: opening it would block
    names = {
        "i": incident,
        "log": str(log_file),
        "png": str(tmp_path / "shot.png"),
        "missing": str(tmp_path / "nope.log"),
        "dir": str(tmp_path / "folder"),
        "link": str(tmp_path / "shadow.log"),
        "fifo": str(tmp_path / "feed"),
    }
    engine = sa.create_engine(store.settings.database_url)
    before = snapshot(engine)
    result = cli("evidence", "add", *(a.format(**names) for a in args))
    after = snapshot(engine)
    engine.dispose()
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("fireline: error: ")
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert after == before
    assert blob_files(store) == []


def test_a_closed_or_policy_refused_add_leaves_no_blob(ctx: Context, store: Store) -> None:
    run(ctx, AddUser(name="root", roles=("admin",)), "root")
    run(ctx, AddUser(name="vic", roles=("viewer",)), "root")
    run(ctx, AddUser(name="alice", roles=("commander",)), "root")
    incident = make_incident(ctx)
    with (
        open(__file__, "rb") as src,
        staged_file(ctx, src, name="test_evidence.py") as file,
        pytest.raises(PolicyDeniedError, match="vic is a viewer"),
    ):
        run(ctx, AddEvidence(incident_id=incident, kind="other", file=file), "vic")
    assert blob_files(store) == []


def test_rebuild_reproduces_the_evidence_projection(ctx: Context, store: Store) -> None:
    incident = make_incident(ctx)
    with open(__file__, "rb") as src, staged_file(ctx, src, name="test_evidence.py") as file:
        run(ctx, AddEvidence(incident_id=incident, kind="other", file=file, note="this test"))
    run(ctx, AddEvidence(incident_id=incident, kind="dashboard", ref="grafana:api-5xx"))
    live = projection_state(ctx.engine)
    assert any(rows for name, rows in live.items() if name == "evidence")
    rebuild(ctx, actor=ActorId("tester"))
    assert projection_state(ctx.engine) == live


def test_a_closed_incident_takes_no_evidence_and_keeps_no_blob(ctx: Context, store: Store) -> None:
    incident = make_incident(ctx)
    meet_gates(ctx, incident)
    for status in ("investigating", "mitigating", "mitigated", "resolved", "closed"):
        run(ctx, Transition(incident_id=incident, status=status))
    before = snapshot(ctx.engine)
    with (
        open(__file__, "rb") as src,
        staged_file(ctx, src, name="test_evidence.py") as file,
        pytest.raises(InvalidCommandError, match="is closed"),
    ):
        run(ctx, AddEvidence(incident_id=incident, kind="other", file=file))
    assert snapshot(ctx.engine) == before
    assert blob_files(store) == []


def test_verify_rehashes_every_blob_the_ledger_names(
    cli: Cli, store: Store, incident: str, log_file: Path
) -> None:
    ok(cli, "evidence", "add", incident, "--ref", "trace:abc123")
    ok(cli, "evidence", "add", incident, str(log_file), "--kind", "logs")
    assert "1 evidence blob re-hashed" in ok(cli, "verify")
    [blob] = blob_files(store)
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes() + b"appended later\n")
    result = cli("verify")
    assert result.exit_code == 7
    assert result.stdout.startswith(f"BROKEN {incident} event 4: blob {blob.name} no longer")
    assert result.stderr.startswith(f"fireline: error: {incident} event 4: blob {blob.name}")
    assert "re-hashed" not in ok(cli, "verify", "--no-blobs")
    blob.unlink()
    result = cli("verify", "--format", "json")
    assert result.exit_code == 7
    [broken] = json.loads(result.stdout)["breaks"]
    assert broken["seq"] == 4
    assert broken["reason"].startswith(f"blob {blob.name} is missing")


def test_get_masks_pii_unless_the_viewer_holds_the_sensitive_clearance(
    cli: Cli, store: Store, incident: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pii = tmp_path / "access.log"
    pii.write_text("GET /export by jane.doe@example.com from 203.0.113.42\nplain line\n")
    ok(cli, "evidence", "add", incident, str(pii), "--kind", "logs", "--note", "ops@example.com")
    [blob] = blob_files(store)
    assert b"jane.doe@example.com" in blob.read_bytes()  # PII is kept in the store
    masked = ok(cli, "evidence", "get", incident, "E1")
    assert masked == "GET /export by [masked:email] from [masked:ip]\nplain line\n"
    shown = json.loads(ok(cli, "evidence", "show", incident, "E1", "--format", "json"))
    assert shown["sensitive"] == ["email", "ip"]
    assert shown["note"] == "[masked:email]"
    target = tmp_path / "copy.log"
    result = cli("evidence", "get", incident, "E1", "-o", str(target))
    assert result.stdout == f"E1: with email, ip masked written to {target}\n"
    assert target.read_text() == masked
    monkeypatch.setenv("FIRELINE_SENSITIVE_CLEARANCE", "tester")
    assert ok(cli, "evidence", "get", incident, "E1").encode() == blob.read_bytes()
    assert "ops@example.com" in ok(cli, "evidence", "show", incident, "E1")


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like a pipe on standard input."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._data.readinto(buffer)


def test_a_pipe_that_turns_binary_late_is_refused_even_with_unscanned(
    ctx: Context, store: Store
) -> None:
    late = LOG.encode() * 400 + b"\x00 core dump"
    with (
        pytest.raises(InvalidCommandError, match="cannot be re-read; save it to a file"),
        staged_file(ctx, io.BufferedReader(_Pipe(late)), name=None, unscanned=True),
    ):
        pass
    assert blob_files(store) == []


def test_the_target_is_checked_before_a_file_is_read(ctx: Context, store: Store) -> None:
    run(ctx, AddUser(name="root", roles=("admin",)), "root")
    run(ctx, AddUser(name="alice", roles=("commander",)), "root")
    run(ctx, AddUser(name="bob", roles=("responder",)), "root")
    hidden = make_incident(ctx, labels=("restricted",))
    with pytest.raises(NotFoundError, match=f"no incident {hidden}"):
        check_target(ctx, hidden, ActorId("bob"))
    check_target(ctx, hidden, ActorId("alice"))
    with pytest.raises(NotFoundError, match="no incident INC-20991231-001"):
        check_target(ctx, "INC-20991231-001", ActorId("alice"))
    meet_gates(ctx, hidden)
    for status in ("investigating", "mitigating", "mitigated", "resolved", "closed"):
        run(ctx, Transition(incident_id=hidden, status=status))
    with pytest.raises(InvalidCommandError, match="is closed"):
        check_target(ctx, hidden, ActorId("alice"))


def test_unscanned_files_are_got_only_with_the_sensitive_clearance(
    cli: Cli, store: Store, incident: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shot.png").write_bytes(PNG)
    ok(cli, "evidence", "add", incident, str(tmp_path / "shot.png"), "--kind", "screenshot",
       "--unscanned")  # fmt: skip
    result = cli("evidence", "get", incident, "E1")
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (
        f"fireline: error: E1 on {incident} was stored unscanned (not text), so PII in it cannot "
        "be masked; only holders of the sensitive clearance may get it\n"
    )
    monkeypatch.setenv("FIRELINE_SENSITIVE_CLEARANCE", "tester")
    target = tmp_path / "copy.png"
    assert ok(cli, "evidence", "get", incident, "E1", "-o", str(target)) == (
        f"E1: {len(PNG)} bytes written to {target}\n"
    )
    assert target.read_bytes() == PNG


def test_gitleaks_rules_from_the_configuration_redact_evidence_too(
    cli: Cli, store: Store, incident: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "gitleaks.toml"
    rules.write_text(
        "[[rules]]\nid = \"acme-token\"\nregex = '''acme_[a-z0-9]{16}'''\nkeywords = [\"acme_\"]\n"
    )
    monkeypatch.setenv("FIRELINE_REDACTION_RULES", str(rules))
    log = tmp_path / "acme.log"
    log.write_text("called partner API with acme_0123456789abcdef\n")
    ok(cli, "evidence", "add", incident, str(log), "--kind", "logs")
    [blob] = blob_files(store)
    assert blob.read_bytes() == b"called partner API with [REDACTED:acme-token#1]\n"
    item = json.loads(ok(cli, "evidence", "show", incident, "E1", "--format", "json"))
    assert item["redacted"] == {"acme-token": 1}


@pytest.mark.sqlite_only
def test_verify_names_a_forged_evidence_payload_instead_of_reading_it(
    cli: Cli, store: Store, incident: str, log_file: Path
) -> None:
    """A payload changed behind fireline's back breaks its chain; verify reports that break and
    does not parse the forged payload to look for a blob."""
    import sqlite3

    ok(cli, "evidence", "add", incident, str(log_file), "--kind", "logs")
    with sqlite3.connect(store.sqlite_file) as db:
        db.execute("UPDATE events SET payload = 'not json' WHERE kind = 'evidence.added'")
    result = cli("verify")
    assert result.exit_code == 7
    assert result.stdout.startswith(f"BROKEN {incident} event ")
    assert "payload does not match its recorded digest" in result.stdout
    assert "Traceback" not in result.output


def test_the_service_records_what_staging_found_not_what_an_adapter_claims(
    ctx: Context, store: Store
) -> None:
    """An adapter that calls an unscanned binary scanned and clean would let it be shown
    unmasked; the handler compares the claim with the staged file and refuses."""
    incident = IncidentId(make_incident(ctx))
    before = snapshot(ctx.engine)
    with staged_file(ctx, io.BytesIO(PNG), name="shot.png", unscanned=True) as file:
        assert not file.scanned
        forged = dataclasses.replace(file, scanned=True, media_type="text/plain")
        with pytest.raises(InvalidCommandError, match="does not match what was staged"):
            run(ctx, AddEvidence(incident_id=incident, kind="screenshot", file=forged))
    assert snapshot(ctx.engine) == before
    assert blob_files(store) == []


def evidence_events(store: Store) -> int:
    engine = sa.create_engine(store.settings.database_url)
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).where(events.c.kind == "evidence.added")
        ).scalar_one()
    engine.dispose()
    return int(count)


@pytest.mark.parametrize("unscanned", [False, True])
def test_the_size_limit_bounds_files_and_standard_input_alike(
    cli: Cli,
    store: Store,
    incident: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    unscanned: bool,
) -> None:
    body = (PNG if unscanned else LOG.encode()) * 100
    monkeypatch.setenv("FIRELINE_EVIDENCE_MAX_SIZE", str(len(body)))
    flags = ["--unscanned"] if unscanned else []
    exact, over = tmp_path / "exact.log", tmp_path / "over.log"
    exact.write_bytes(body)
    over.write_bytes(body + b"\n")
    limit = f"larger than the evidence size limit of {len(body):,} bytes; raise evidence_max_size"
    for args, data in (((str(over),), None), (("-",), body + b"\n")):
        result = cli.runner.invoke(
            app, ["evidence", "add", incident, *args, "--kind", "other", *flags], input=data
        )
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1
        assert limit in result.stderr
    assert (evidence_events(store), blob_files(store)) == (0, [])
    ok(cli, "evidence", "add", incident, str(exact), "--kind", "other", *flags)
    ok(cli, "evidence", "add", incident, "-", "--kind", "other", *flags, input=body)
    assert evidence_events(store) == 2


def test_a_malformed_size_limit_stops_the_command(
    cli: Cli, store: Store, incident: str, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRELINE_EVIDENCE_MAX_SIZE", "1GB")
    result = cli("evidence", "add", incident, str(log_file), "--kind", "logs")
    assert result.exit_code == 5
    assert result.stderr == (
        "fireline: error: setting 'evidence_max_size' must be a size above 0 like 1GiB, 512MiB "
        "or 1048576 (bytes), got '1GB'\n"
    )


class _Truncating(io.RawIOBase):
    """Reads a file and, after the first read, cuts it short: a log rotated by copytruncate."""

    def __init__(self, inner: io.RawIOBase, path: Path) -> None:
        self._inner = inner
        self._path = path

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._inner.readinto(buffer) or 0
        if self._path.stat().st_size > 10_000:
            os.truncate(self._path, 10_000)
        return n


def test_a_file_cut_short_while_staged_is_refused_and_leaves_nothing(
    ctx: Context, store: Store, tmp_path: Path
) -> None:
    make_incident(ctx)
    path = tmp_path / "api.log"
    path.write_bytes(LOG.encode() * 200)  # far more than the first read
    before = snapshot(ctx.engine)
    with (
        open_regular(str(path), limit=1 << 20) as regular,
        staged_file(ctx, io.BufferedReader(_Truncating(regular, path)), name="api.log"),
        pytest.raises(InvalidCommandError, match=r"api.log changed while it was read \(it shrank"),
    ):
        regular.check_unchanged()  # as `evidence add` does before the write
    assert snapshot(ctx.engine) == before
    assert blob_files(store) == []


def test_staging_refuses_a_stream_past_the_configured_limit(store: Store) -> None:
    small = open_context(dataclasses.replace(store.settings, evidence_max_bytes=len(PNG) * 3))
    try:
        with (
            pytest.raises(InvalidCommandError, match="standard input is larger than"),
            staged_file(small, io.BufferedReader(_Pipe(PNG * 4)), name=None, unscanned=True),
        ):
            pass
    finally:
        small.close()
    assert blob_files(store) == []
