"""The Alembic migrations build exactly the schema the code declares, on every backend."""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from fireline.db import SCHEMA_REVISION, is_backend_search_table, metadata
from fireline.schema import migrate
from tests.conftest import Store


def test_schema_revision_is_the_migration_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("fireline") / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_migrated_schema_matches_the_table_definitions(store: Store) -> None:
    engine = sa.create_engine(store.settings.database_url)
    with engine.connect() as conn:
        # The full-text tables are per backend (FTS5 / tsvector) and outside the metadata.
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": lambda name, _kind, _parent: not is_backend_search_table(name or "")
            },
        )
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_migrate_is_idempotent(store: Store) -> None:
    engine = sa.create_engine(store.settings.database_url)
    migrate(engine)
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            == SCHEMA_REVISION
        )
    engine.dispose()
