"""Which open incidents freeze deploys, and what `freeze check` may say about each to its asker.

Read straight through the database driver, without SQLAlchemy, so `fireline freeze check`
starts and answers fast enough for every CI run; the queries are plain SQL that SQLite and
PostgreSQL both run. While nothing is frozen the policy is not even loaded. Once something is,
need-to-know comes from the policy (`data.fireline.visibility.access`, view `freeze check`),
on the same input `governance.visibility_input` builds (a test holds the two equal): an
incident the asker may not see still freezes deploys, but is named only as "a restricted
incident" — no id, severity or status. A policy that cannot decide fails the check (exit 5).

What it reads is bound to the store key: every incident that freezes deploys has an entry in
the signed freeze record (`ledger/freeze_record.py` keeps it on each write), a digest of the
very columns read here. The check recomputes each digest, the record's root and its Ed25519
signature, and fails closed (IntegrityError, exit 7) naming the first incident whose rows do
not match — an `update incidents set status = 'resolved'` never turns a freeze into "no deploy
freeze". One signature is verified however many incidents the store holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fireline.domain import REGISTRY_CHAIN
from fireline.errors import IntegrityError, StoreError

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
_RECORD = "SELECT version, root, ts, key_id, signature FROM freeze_record WHERE id = 1"
_ENTRIES = "SELECT incident_id, digest FROM freeze_entries"
RECORD_FORMAT = "fireline-freeze-record/v1"
UNBOUND = "cannot tell whether deploys are frozen"
# Started at its first `user.added` (notification channels share the chain but start nothing).
_REGISTRY_STARTED = (
    "SELECT seq FROM events WHERE incident_id = {param} AND kind = 'user.added' "
    "ORDER BY seq LIMIT 1"
)

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


def is_freezing(freeze: Any, lifted_at: Any, status: Any) -> bool:
    """The rule `_FREEZING` states in SQL, for the writer of the freeze record."""
    return bool(freeze) and lifted_at is None and status not in ("resolved", "closed")


def entry_digest(
    incident_id: str,
    *,
    severity: str,
    status: str,
    labels: Any,
    declared_by: str,
    holders: Mapping[str, list[str]],
) -> str:
    """The digest of what freeze check reads of one freezing incident (holders in seq order)."""
    document = [incident_id, severity, status, labels, declared_by, holders]
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def record_root(entries: Mapping[str, str]) -> str:
    """The root the freeze record signs: one line per freezing incident, sorted by id."""
    text = "".join(f"{incident_id} {digest}\n" for incident_id, digest in sorted(entries.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def record_message(*, version: int, root: str, ts: str) -> bytes:
    """The bytes the freeze record's Ed25519 signature covers."""
    return f"{RECORD_FORMAT}\nversion {version}\nroot {root}\nts {ts}\n".encode()


def check_as_configured() -> FreezeStatus:
    """`check` for the configured actor (FIRELINE_ACTOR or the config's, else the OS user: the
    order `service.resolve_actor` follows when no `--as` is given) and the configured store."""
    import getpass

    from fireline.config import load_settings
    from fireline.domain import parse_actor

    settings = load_settings()
    actor = parse_actor(settings.actor or getpass.getuser())
    return check(
        settings.database_url,
        actor=actor,
        policy_dir=settings.policy_dir,
        public_key_path=settings.public_key_path,
    )


def check(
    database_url: str,
    *,
    actor: str,
    policy_dir: Path | None,
    public_key_path: Path,
    engine: Any = None,
) -> FreezeStatus:
    """The freeze as `actor` may see it; PolicyUndecidableError if the policy cannot say,
    IntegrityError if what the store holds does not match its signed freeze record.

    `engine` is a loaded PolicyEngine to ask (a server's, already compiled); without one the
    bundle at `policy_dir` is loaded, only while something is frozen."""
    with connection(database_url) as run:
        found = run(FROZEN, ())
        held = _holders(run, found)
        require_signed(run, found, held, public_key_path)
        if not found:
            return FreezeStatus([], restricted=False)
        if engine is None:
            from fireline.policy import PolicyEngine

            engine = PolicyEngine.load(policy_dir)
        access = engine.visibility(visibility_input(run, found, actor, held))
    readable = access.visible - access.recorded  # this view cannot write the access trail
    shown = [(row[0], row[1], row[2]) for row in found if row[0] in readable]
    return FreezeStatus(shown, restricted=len(shown) < len(found))


def _holders(run: Run, frozen: list[Row]) -> dict[str, dict[str, list[str]]]:
    """Each frozen incident's current role holders, role by role in seq order."""
    held: dict[str, dict[str, list[str]]] = {row[0]: {} for row in frozen}
    if frozen:
        for incident_id, role, holder in run(_HOLDERS, ()):
            held[incident_id].setdefault(role, []).append(holder)
    return held


def require_signed(
    run: Run, frozen: list[Row], held: Mapping[str, Mapping[str, list[str]]], public_key: Path
) -> None:
    """IntegrityError unless the freezing rows are exactly those the signed record holds."""
    entries = {str(incident_id): str(digest) for incident_id, digest in run(_ENTRIES, ())}
    record = run(_RECORD, ())
    if not record:
        raise IntegrityError(
            f"{UNBOUND}: the store has no signed freeze record; run `fireline init`"
        )
    version, root, ts, key_id, signature = record[0]
    if not _signed(
        public_key, key_id, record_message(version=version, root=root, ts=ts), signature
    ):
        raise IntegrityError(
            f"{UNBOUND}: the freeze record's signature does not verify with {public_key}; "
            "run `fireline verify`"
        )
    if record_root(entries) != root:
        raise IntegrityError(
            f"{UNBOUND}: the freeze entries do not match their signed record; run `fireline verify`"
        )
    seen = {
        str(row[0]): entry_digest(
            row[0],
            severity=row[1],
            status=row[2],
            labels=_json(row[3]),
            declared_by=row[4],
            holders=held[row[0]],
        )
        for row in frozen
    }
    for incident_id in sorted(set(seen) | set(entries)):
        if seen.get(incident_id) != entries.get(incident_id):
            raise IntegrityError(
                f"{UNBOUND}: {incident_id}'s state does not match the signed freeze record "
                "(changed outside fireline); treat deploys as frozen and run `fireline verify`"
            )


def _signed(path: Path, key_id: Any, message: bytes, signature: Any) -> bool:
    """Whether the store's public key (PEM at `path`, id `key_id`) signed `message`."""
    import base64

    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        pem = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise IntegrityError(f"{UNBOUND}: cannot read the store's public key {path}") from None
    body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
    try:
        der = base64.b64decode(body, validate=True)
    except ValueError:
        raise IntegrityError(f"{UNBOUND}: the public key {path} is not PEM") from None
    # An Ed25519 SubjectPublicKeyInfo is this fixed 12-byte prefix and the 32-byte key.
    if len(der) != 44 or der[:12] != bytes.fromhex("302a300506032b6570032100"):
        raise IntegrityError(f"{UNBOUND}: the public key {path} is not an Ed25519 key")
    raw = der[12:]
    if key_id != hashlib.sha256(raw).hexdigest()[:16]:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def visibility_input(
    run: Run, frozen: list[Row], actor: str, held: Mapping[str, Mapping[str, list[str]]]
) -> dict[str, Any]:
    """input for data.fireline.visibility.access over the frozen incidents, as
    `governance.visibility_input` builds it from the projections."""
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
def connection(database_url: str) -> Iterator[Run]:
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
