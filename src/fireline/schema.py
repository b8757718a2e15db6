"""Create or migrate a store: the database schema (Alembic) and the signing key. Used by init."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from fireline.config import Settings
from fireline.db import make_engine, sqlite_path, store_errors
from fireline.ledger.checkpoints import create_key, load_signer
from fireline.permissions import create_private_dir, create_private_file


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("fireline") / "migrations"))
    with store_errors(), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def initialise(settings: Settings) -> tuple[Engine, bool]:
    """Create the data dir, database and key as needed; return the engine and if a key was made.

    The data dir is made 0700 and a SQLite file 0600 before SQLite opens it, so its -wal and
    -shm files are owner-only too (see fireline.permissions).
    """
    create_private_dir(settings.home)
    database = sqlite_path(settings.database_url)
    if database is not None:
        create_private_dir(database.parent)
        create_private_file(database)
    engine = make_engine(settings.database_url, create=True)
    migrate(engine)
    created = create_key(settings.key_path, settings.public_key_path)
    _sign_freeze_record(engine, settings)
    return engine, created


def _sign_freeze_record(engine: Engine, settings: Settings) -> None:
    """Sign the first freeze record (a new store, or one migrated from before 0008).

    It is signed from a replay of the ledger, never from the state tables, so a migrated store
    whose rows were edited does not get them vouched for.
    """
    from datetime import UTC, datetime

    from fireline.domain import iso_utc
    from fireline.ledger import freeze_record
    from fireline.projections.audit import replayed_freeze_entries

    with store_errors(), engine.begin() as conn:
        if freeze_record.is_signed_record(conn):
            return
        entries = replayed_freeze_entries(conn)
        signer = load_signer(settings.key_path)
        freeze_record.sign(conn, entries, signer=signer, ts=iso_utc(datetime.now(UTC)))
