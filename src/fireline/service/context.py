"""What a write needs: the store's engine and write connection, settings, signing key, policy,
redactor, clock, and the evidence blob store.

Built once per process (or thread) by `open_context`; `Context.close()` releases it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from fireline.config import Settings
from fireline.db import UnitOfWork, check_schema, make_engine, sqlite_path
from fireline.domain import Ladder
from fireline.errors import ConfigError
from fireline.evidence import BlobStore
from fireline.ledger.checkpoints import Signer, load_signer
from fireline.permissions import secure_store
from fireline.policy import PolicyEngine
from fireline.redaction import Redactor

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    """What every write needs, built once per process (or thread) by `open_context`."""

    engine: Engine
    settings: Settings
    signer: Signer
    policy: PolicyEngine
    clock: Clock = utc_now
    redactor: Redactor = field(default_factory=Redactor)
    # Store files found looser than owner-only and tightened on opening, for adapters to report.
    tightened: tuple[str, ...] = ()
    work: UnitOfWork = field(init=False, repr=False, compare=False)
    blobs: BlobStore = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.work = UnitOfWork(self.engine)
        self.blobs = BlobStore(self.settings.home)

    def close(self) -> None:
        """Release the write connection and the engine's pool."""
        self.work.close()
        self.engine.dispose()

    def ladder(self, name: str) -> Ladder:
        """The ladder an incident was declared on; fail closed if configuration lost it."""
        ladder = self.settings.ladders.get(name)
        if ladder is None:
            raise ConfigError(f"incident uses ladder {name!r}, which is no longer configured")
        return ladder


def open_context(settings: Settings, *, clock: Clock = utc_now) -> Context:
    """Open the store for writing: initialised, its signing key usable, its policy compiled.

    A policy bundle that cannot be read or compiled, or a redaction rule file that cannot, stops
    here (ConfigError): no write starts on a policy that cannot decide or a redactor that
    cannot run.
    """
    redactor = Redactor.from_settings(settings)
    engine = make_engine(settings.database_url)
    tightened = tuple(secure_store(settings, sqlite_path(settings.database_url)))
    try:
        check_schema(engine)
        signer = load_signer(settings.key_path)
        policy = PolicyEngine.load(settings.policy_dir)
    except BaseException:
        engine.dispose()
        raise
    return Context(engine, settings, signer, policy, clock, redactor, tightened)
