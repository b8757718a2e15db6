"""The store is owner-only: the data dir 0700, the database and its -wal/-shm 0600, and a looser
store the current user owns is tightened when opened, saying so."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from fireline.permissions import PRIVATE_FILE, tighten
from tests.conftest import Cli, Store

pytestmark = pytest.mark.sqlite_only


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_an_owner_only_store_whatever_the_umask(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "fresh"
    monkeypatch.setenv("FIRELINE_HOME", str(home))
    previous = os.umask(0o022)
    try:
        result = cli("init")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert "tightened" not in result.output
    assert mode(home) == 0o700
    assert mode(home / "fireline.db") == 0o600
    assert mode(home / "keys") == 0o700


def test_the_write_ahead_log_and_shared_memory_files_are_owner_only(store: Store) -> None:
    connection = sqlite3.connect(store.sqlite_file)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE probe (x)")
        connection.commit()
        siblings = [store.sqlite_file.with_name(f"fireline.db{s}") for s in ("-wal", "-shm")]
        assert [mode(path) for path in siblings] == [0o600, 0o600]
    finally:
        connection.close()


def test_a_loose_store_is_tightened_on_open_and_says_so(cli: Cli, store: Store) -> None:
    home = store.settings.home
    home.chmod(0o755)
    store.sqlite_file.chmod(0o644)
    result = cli("list")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"fireline: note: tightened {home} from mode 0755 to 0700 (owner only)",
        f"fireline: note: tightened {store.sqlite_file} from mode 0644 to 0600 (owner only)",
    ]
    assert (mode(home), mode(store.sqlite_file)) == (0o700, 0o600)
    assert cli("list").stderr == ""  # said once: nothing left to tighten


def test_a_write_tightens_a_loose_database_too(cli: Cli, store: Store) -> None:
    store.sqlite_file.chmod(0o664)
    result = cli("declare", "Catalog API 5xx spike", "--sev", "SEV3")
    assert result.exit_code == 0, result.output
    assert "from mode 0664 to 0600" in result.stderr
    assert mode(store.sqlite_file) == 0o600


def test_init_reports_what_it_tightened(cli: Cli, store: Store) -> None:
    store.sqlite_file.chmod(0o644)
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert f"  tightened {store.sqlite_file} from mode 0644 to 0600 (owner only)" in result.stdout
    assert mode(store.sqlite_file) == 0o600


def test_a_file_someone_else_owns_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared.db"
    shared.write_bytes(b"")
    shared.chmod(0o644)
    monkeypatch.setattr(os, "getuid", lambda: shared.stat().st_uid + 1)
    assert tighten(shared, PRIVATE_FILE) is None
    assert mode(shared) == 0o644


def test_a_tighter_file_is_not_loosened(tmp_path: Path) -> None:
    private = tmp_path / "private.db"
    private.write_bytes(b"")
    private.chmod(0o400)
    assert tighten(private, PRIVATE_FILE) is None
    assert mode(private) == 0o400
