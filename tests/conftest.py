"""Shared fixtures: a real store per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner, Result

from fireline.cli import app
from fireline.config import Settings, load_settings
from fireline.schema import initialise
from fireline.service import Context, open_context

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
    """Run store-backed tests on every backend, or on SQLite alone when marked `sqlite_only`."""
    if "store" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("store", ["sqlite"] if only_sqlite else BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def local_mode(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts in local mode: no FIRELINE_URL or FIRELINE_TOKEN from the caller's
    shell, and a config dir of its own, so a developer's stored login never steers a test."""
    for key in ("FIRELINE_URL", "FIRELINE_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))


@pytest.fixture
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
        admin = sa.create_engine(PG_URL or "")
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        env["FIRELINE_DATABASE_URL"] = pg_schema_url(schema)
    for key in ("FIRELINE_CONFIG", "FIRELINE_DATABASE_URL", "FIRELINE_LADDER", "FIRELINE_TIMEZONE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = load_settings(env, cwd=tmp_path)
    engine, _created = initialise(config)
    engine.dispose()
    yield Store(config, env, request.param)
    if schema is not None:
        admin = sa.create_engine(PG_URL or "")
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


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
