"""Shared fixtures: a real store per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import typer.main
import typer.testing
from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner, Result

from fireline.accounts import verifiers
from fireline.cli import app
from fireline.config import Settings, load_settings
from fireline.schema import initialise
from fireline.service import Context, open_context

# typer's CliRunner builds the click command tree from the app on every invoke, about 0.1 s
# of introspection each time, where `fireline` builds it once per process: build it once here.
_BUILD = "_get_command"
assert callable(getattr(typer.testing, _BUILD)), "typer.testing no longer builds commands so"
setattr(typer.testing, _BUILD, functools.cache(typer.main.get_command))

settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# The browser fixtures (`chromium`): one Playwright driver for the whole session.
pytest_plugins = ("tests.browser",)
PG_URL = os.environ.get("FIRELINE_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


class Clock:
    """A test clock that moves one second per reading, so every event has its own instant."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"


@dataclass(frozen=True)
class Store:
    """Where a test's store lives: its settings (home, URL) and the environment that names it."""

    settings: Settings
    env: dict[str, str]
    backend: str

    @property
    def sqlite_file(self) -> Path:
        return self.settings.home / "fireline.db"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run store-backed tests on every backend, or on SQLite alone when marked `sqlite_only`
    (the test edits the SQLite file) or `adapter` (it tests a surface above `service.execute`
    and the read service, whose storage behaviour the tests below it check on both)."""
    if "store" in metafunc.fixturenames:
        marks = ("sqlite_only", "adapter")
        only_sqlite = any(metafunc.definition.get_closest_marker(mark) for mark in marks)
        metafunc.parametrize("store", ["sqlite"] if only_sqlite else BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def local_mode(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts in local mode: no FIRELINE_URL or FIRELINE_TOKEN from the caller's
    shell, and a config dir of its own, so a developer's stored login never steers a test."""
    for key in ("FIRELINE_URL", "FIRELINE_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))


class StoreTemplates:
    """One migrated store per backend per test process, copied into each test's store.

    Migrating costs about 0.2 s on SQLite and 0.3 s on PostgreSQL, run through Alembic for
    every test; a copy of a store migrated once costs a few milliseconds. The copy is the real
    migrated schema (tests/test_migrations.py migrates from scratch itself): on SQLite the
    data dir is copied file for file (modes kept), on PostgreSQL `pg_dump` of the template
    schema is replayed into the test's own schema. Without `pg_dump`, each store is migrated.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._homes: dict[str, Path] = {}
        self._pg_dump: str | None = None
        self._pg_schema = ""

    def home(self, backend: str) -> Path:
        """The template's data dir (database file on SQLite, signing key on both)."""
        if backend not in self._homes:
            base = self.root / backend
            env = {"FIRELINE_HOME": str(base / "data"), "FIRELINE_ACTOR": "tester"}
            if backend == "postgresql":
                schema = f"tpl_{uuid.uuid4().hex[:12]}"
                _create_schema(schema)
                env["FIRELINE_DATABASE_URL"] = pg_schema_url(schema)
            engine, _created = initialise(load_settings(env, cwd=base))
            engine.dispose()
            if backend == "postgresql":
                self._pg_dump, self._pg_schema = _dump_schema(schema), schema
                _drop_schema(schema)
            self._homes[backend] = base / "data"
        return self._homes[backend]

    def fill(self, backend: str, home: Path, schema: str | None) -> bool:
        """Copy the template into `home` (and `schema`); False when it must be migrated."""
        shutil.copytree(self.home(backend), home)
        if schema is None:
            return True
        if self._pg_dump is None:
            return False
        admin = sa.create_engine(PG_URL or "")
        with admin.begin() as conn:
            conn.exec_driver_sql(re.sub(rf"\b{self._pg_schema}\b", schema, self._pg_dump))
        admin.dispose()
        return True


def _create_schema(schema: str) -> None:
    admin = sa.create_engine(PG_URL or "")
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    admin.dispose()


def _drop_schema(schema: str) -> None:
    admin = sa.create_engine(PG_URL or "")
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _dump_schema(schema: str) -> str | None:
    """The template schema as SQL (its CREATE SCHEMA included); None without `pg_dump`."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    libpq_url = sa.make_url(PG_URL or "").set(drivername="postgresql").render_as_string(False)
    dumped = subprocess.run(
        [pg_dump, "--schema", schema, "--no-owner", "--no-privileges", "--inserts", libpq_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # psql's own commands (`\restrict` in newer dumps) are not SQL.
    return "\n".join(line for line in dumped.splitlines() if not line.startswith("\\"))


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory: pytest.TempPathFactory) -> StoreTemplates:
    return StoreTemplates(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    store_templates: StoreTemplates,
) -> Iterator[Store]:
    """An initialised store in a temp dir; on PostgreSQL, in a schema of its own."""
    monkeypatch.chdir(tmp_path)
    # No outbox worker in the servers a test starts (in-process or not) unless it asks: its
    # deadline tick would write into the store at moments of its own, against the tests' clocks.
    env = {
        "FIRELINE_HOME": str(tmp_path / "data"),
        "FIRELINE_ACTOR": "tester",
        "FIRELINE_NOTIFY_WORKER": "false",
    }
    schema = None
    if request.param == "postgresql":
        schema = f"t_{uuid.uuid4().hex[:12]}"
        env["FIRELINE_DATABASE_URL"] = pg_schema_url(schema)
    for key in ("FIRELINE_CONFIG", "FIRELINE_DATABASE_URL", "FIRELINE_LADDER", "FIRELINE_TIMEZONE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = load_settings(env, cwd=tmp_path)
    if not store_templates.fill(request.param, config.home, schema):
        assert schema is not None
        _create_schema(schema)
        engine, _created = initialise(config)
        engine.dispose()
    yield Store(config, env, request.param)
    if schema is not None:
        _drop_schema(schema)


# argon2id at its lowest cost (8 KiB, one pass): tests set and check hundreds of passwords, at
# about 0.2 s each on the production parameters. Tests marked `production_argon2` keep those;
# hashes record their parameters, so either kind verifies anywhere.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("production_argon2") is None:
        monkeypatch.setattr(verifiers, "_HASHER", _CHEAP_HASHER)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(store: Store, clock: Clock) -> Iterator[Context]:
    context = open_context(store.settings, clock=clock)
    yield context
    context.close()


@dataclass
class Cli:
    """Runs `fireline` in-process with the test store's environment.

    `actor` runs it as that local identity (FIRELINE_ACTOR), as a person at their own login
    would; `--as` is a registry admin acting for someone, recorded as such.
    """

    runner: CliRunner

    def __call__(self, *args: str, actor: str | None = None) -> Result:
        env = None if actor is None else {"FIRELINE_ACTOR": actor}
        return self.runner.invoke(app, list(args), env=env)


@pytest.fixture
def cli(store: Store) -> Cli:
    return Cli(CliRunner())
