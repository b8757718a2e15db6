"""Which open incidents freeze deploys, and what `freeze check` may say about each to its asker.

Read straight through the database driver, without SQLAlchemy, so `fireline freeze check`
starts and answers fast enough for every CI run; the queries are plain SQL that SQLite and
PostgreSQL both run. While nothing is frozen the policy is not even loaded. Once something is,
need-to-know comes from the policy (`data.fireline.visibility.access`, view `freeze check`),
on the same input `governance.visibility_input` builds (a test holds the two equal): an
incident the asker may not see still freezes deploys, but is named only as "a restricted
incident" — no id, severity or status. A policy that cannot decide fails the check (exit 5).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fireline.domain import REGISTRY_CHAIN
from fireline.errors import StoreError

VIEW = "freeze check"
RESTRICTED_LINE = "FROZEN by a restricted incident"
# "freeze" is quoted: PostgreSQL reserves the word.
_FREEZING = (
    "\"freeze\" = {true} AND freeze_lifted_at IS NULL AND status NOT IN ('resolved', 'closed')"
)
FROZEN = (
    f"SELECT id, severity, status, labels, declared_by FROM incidents WHERE {_FREEZING} ORDER BY id"
)
_HOLDERS = (
    "SELECT incident_id, role, holder FROM role_assignments WHERE released_at IS NULL "
    f"AND incident_id IN (SELECT id FROM incidents WHERE {_FREEZING}) ORDER BY seq"
)
_ACTOR = "SELECT roles, clearances FROM users WHERE name = {param}"
_REGISTRY_STARTED = "SELECT seq FROM heads WHERE incident_id = {param}"

Row = tuple[Any, ...]
# Runs one statement (placeholders already in the driver's style) with its parameters.
Run = Callable[[str, Sequence[Any]], list[Row]]


@dataclass(frozen=True)
class FreezeStatus:
    """What `freeze check` tells one asker: the freezing incidents they may see, and whether
    any they may not see freezes deploys too."""

    shown: list[tuple[str, str, str]]  # (id, severity, status)
    restricted: bool

    @property
    def frozen(self) -> bool:
        return bool(self.shown) or self.restricted


def check_as_configured() -> FreezeStatus:
    """`check` for the configured actor (FIRELINE_ACTOR or the config's, else the OS user: the
    order `service.resolve_actor` follows when no `--as` is given) and the configured store."""
    import getpass

    from fireline.config import load_settings
    from fireline.domain import parse_actor

    settings = load_settings()
    actor = parse_actor(settings.actor or getpass.getuser())
    return check(settings.database_url, actor=actor, policy_dir=settings.policy_dir)


def check(database_url: str, *, actor: str, policy_dir: Path | None) -> FreezeStatus:
    """The freeze as `actor` may see it; PolicyUndecidableError if the policy cannot say."""
    with _connection(database_url) as run:
        found = run(FROZEN, ())
        if not found:
            return FreezeStatus([], restricted=False)
        from fireline.policy import PolicyEngine

        engine = PolicyEngine.load(policy_dir)
        access = engine.visibility(visibility_input(run, found, actor))
    readable = access.visible - access.recorded  # this view cannot write the access trail
    shown = [(row[0], row[1], row[2]) for row in found if row[0] in readable]
    return FreezeStatus(shown, restricted=len(shown) < len(found))


def visibility_input(run: Run, frozen: list[Row], actor: str) -> dict[str, Any]:
    """input for data.fireline.visibility.access over the frozen incidents, as
    `governance.visibility_input` builds it from the projections."""
    held: dict[str, dict[str, list[str]]] = {row[0]: {} for row in frozen}
    for incident_id, role, holder in run(_HOLDERS, ()):
        held[incident_id].setdefault(role, []).append(holder)
    user = run(_ACTOR, (actor,))
    empty = not user and not run(_REGISTRY_STARTED, (REGISTRY_CHAIN,))
    return {
        "actor": {
            "id": actor,
            "registered": bool(user),
            "roles": _json(user[0][0]) if user else [],
            "clearances": _json(user[0][1]) if user else [],
        },
        "registry": {"empty": empty},
        "view": VIEW,
        "incidents": [
            {
                "id": incident_id,
                "labels": _json(labels),
                "roles": held[incident_id],
                "acting_ic": held[incident_id].get("ic") or [declared_by],
            }
            for incident_id, _severity, _status, labels, declared_by in frozen
        ],
    }


def report(status: FreezeStatus) -> tuple[int, list[str]]:
    """`freeze check`'s exit code (1 while anything freezes deploys) and the lines it prints."""
    if not status.frozen:
        return 0, ["no deploy freeze"]
    lines = [
        f"FROZEN by {incident_id} ({severity}, {state})"
        for incident_id, severity, state in status.shown
    ]
    if status.restricted:
        lines.append(RESTRICTED_LINE)
    lines.append("deploys are frozen until these resolve or their IC runs `fireline freeze lift`")
    return 1, lines


def _json(value: Any) -> Any:
    """A JSON column: text through sqlite3, already decoded through psycopg."""
    return json.loads(value) if isinstance(value, str) else value


@contextmanager
def _connection(database_url: str) -> Iterator[Run]:
    """One read-only connection to the store, as a `Run` (StoreError if it cannot be read)."""
    scheme = urlsplit(database_url).scheme.split("+", 1)[0]
    if scheme == "sqlite":
        import sqlite3

        path = Path(database_url.split(":///", 1)[1]) if ":///" in database_url else None
        if path is None or not path.exists():
            raise StoreError(f"no fireline store at {path}; run `fireline init`")
        try:
            conn: Any = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the fireline store: {exc}") from None
        failure: type[Exception] = sqlite3.Error
        style = {"true": 1, "param": "?"}
    elif scheme in ("postgresql", "postgres"):
        import psycopg

        parts = urlsplit(database_url)
        plain = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))
        try:
            conn = psycopg.connect(plain)
        except psycopg.Error as exc:
            message = str(exc).splitlines()[0]
            raise StoreError(f"cannot read the fireline store: {message}") from None
        failure = psycopg.Error
        style = {"true": "true", "param": "%s"}
    else:
        raise StoreError(f"freeze check cannot read database URL scheme {scheme!r}")

    def run(sql: str, params: Sequence[Any]) -> list[Row]:
        try:
            return [tuple(row) for row in conn.execute(sql.format(**style), tuple(params))]
        except failure as exc:
            message = str(exc).splitlines()[0]
            raise StoreError(f"cannot read the fireline store: {message}") from None

    try:
        yield run
    finally:
        conn.close()
