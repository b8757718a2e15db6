"""The only code that writes the signed freeze record (`freeze_record`, `freeze_entries`).

`freeze check` must not be fooled by a state table edited behind fireline's back, and must
answer with one signature check however large the store is: verifying every incident's
checkpoint (an Ed25519 verify is about 0.1 ms here) would cost a second at 10,000 incidents.
So the state it reads is bound by one store-wide signed record: a digest per incident that
freezes deploys (`freeze.entry_digest`), and one row signing the root of those digests.

Each write keeps it in its own transaction: the incident's entry as its rows now stand is
compared with the recorded one (`note`), and only a change re-signs the record (`seal`, once
per transaction, a group commit's included), under a row lock so concurrent writers on
PostgreSQL queue. Before a change is signed, the record's
signature and the incident's rows *before* the write are checked against it, so a write never
launders rows edited behind fireline's back into a fresh signature: it refuses instead.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from fireline.db import DriverStatement, freeze_entries, freeze_record, incidents, role_assignments
from fireline.errors import IntegrityError
from fireline.freeze import entry_digest, is_freezing, record_message, record_root
from fireline.ledger.checkpoints import Signer, is_signed, key_id_of

_RECORDED = DriverStatement(
    sa.select(freeze_entries.c.digest).where(
        freeze_entries.c.incident_id == sa.bindparam("incident_id")
    )
)
_STATE = DriverStatement(
    sa.select(
        incidents.c.severity,
        incidents.c.status,
        incidents.c.labels,
        incidents.c.declared_by,
        incidents.c.freeze,
        incidents.c.freeze_lifted_at,
    ).where(incidents.c.id == sa.bindparam("incident_id"))
)
_HOLDERS = DriverStatement(
    sa.select(role_assignments.c.role, role_assignments.c.holder)
    .where(
        role_assignments.c.incident_id == sa.bindparam("incident_id"),
        role_assignments.c.released_at.is_(None),
    )
    .order_by(role_assignments.c.seq)
)


def recorded(conn: Connection, incident_id: str) -> str | None:
    """The incident's digest in the freeze record (None: the record says it does not freeze)."""
    row = _RECORDED.execute(conn, {"incident_id": incident_id}).fetchone()
    return None if row is None else str(row[0])


def entry(conn: Connection, incident_id: str) -> str | None:
    """The digest of the incident's rows as `freeze check` reads them; None if not freezing."""
    row = _STATE.execute(conn, {"incident_id": incident_id}).fetchone()
    if row is None:
        return None
    severity, status, labels, declared_by, freeze, lifted_at = row
    if not is_freezing(freeze, lifted_at, status):
        return None
    holders: dict[str, list[str]] = {}
    for role, holder in _HOLDERS.execute(conn, {"incident_id": incident_id}):
        holders.setdefault(role, []).append(holder)
    return entry_digest(
        incident_id,
        severity=severity,
        status=status,
        labels=_decoded(labels),
        declared_by=declared_by,
        holders=holders,
    )


def current_entries(conn: Connection) -> dict[str, str]:
    """Every freezing incident's digest, from the state tables as they stand."""
    ids = conn.execute(sa.select(incidents.c.id).order_by(incidents.c.id)).scalars().all()
    found = {incident_id: entry(conn, incident_id) for incident_id in ids}
    return {incident_id: digest for incident_id, digest in found.items() if digest is not None}


Pending = dict[str, tuple[str | None, str]]  # incident → (its new entry or None, at ts)


def sealed_entry(conn: Connection, incident_id: str, pending: Pending) -> str | None:
    """The incident's entry as last signed, or as an earlier command of this batch left it."""
    if incident_id in pending:
        return pending[incident_id][0]
    return recorded(conn, incident_id)


def note(
    conn: Connection,
    incident_id: str,
    *,
    sealed: str | None,
    before: str | None,
    pending: Pending,
    ts: str,
) -> None:
    """After a write's projections: note the incident's new entry if it changed.

    `sealed` is its entry as signed (`sealed_entry`) and `before` the entry computed before the
    projections were applied, both read by the caller in this transaction. IntegrityError when
    the rows before the write did not match the record: nothing is re-signed over them.
    """
    after = entry(conn, incident_id)
    if after == sealed:
        return
    if before != sealed:
        raise IntegrityError(
            f"{incident_id}'s state does not match the signed freeze record (changed outside "
            "fireline); nothing written — run `fireline verify`, then `fireline rebuild`"
        )
    pending[incident_id] = (after, ts)


def seal(conn: Connection, pending: Pending, *, signer: Signer) -> None:
    """Sign the record once for every change a transaction noted, as its last write.

    The record's row lock is the last lock the transaction takes (after every chain's head),
    so transactions that lock heads in the same order never deadlock over it.
    """
    if not pending:
        return
    entries = _locked_entries(conn, signer.public_key)
    for incident_id, (after, _ts) in pending.items():
        if after is None:
            entries.pop(incident_id, None)
        else:
            entries[incident_id] = after
    _write(conn, entries, signer, max(ts for _after, ts in pending.values()))


def sign(conn: Connection, entries: Mapping[str, str], *, signer: Signer, ts: str) -> None:
    """Replace the whole record with `entries` (init and rebuild: state just replayed)."""
    conn.execute(freeze_record.select().where(freeze_record.c.id == 1).with_for_update())
    _write(conn, dict(entries), signer, ts)


def is_signed_record(conn: Connection) -> bool:
    return conn.execute(sa.select(freeze_record.c.id)).first() is not None


def _locked_entries(conn: Connection, public_key: Ed25519PublicKey) -> dict[str, str]:
    """The record's entries, its row locked, after checking its signature and root."""
    row = conn.execute(
        sa.select(freeze_record).where(freeze_record.c.id == 1).with_for_update()
    ).first()
    if row is None:
        raise IntegrityError(
            "the store has no signed freeze record; nothing written — run `fireline init`"
        )
    entries = {r.incident_id: r.digest for r in conn.execute(sa.select(freeze_entries))}
    message = record_message(version=row.version, root=row.root, ts=row.ts)
    if row.key_id != key_id_of(public_key) or not is_signed(public_key, message, row.signature):
        raise IntegrityError(
            "the freeze record's signature does not verify; nothing written — run `fireline verify`"
        )
    if record_root(entries) != row.root:
        raise IntegrityError(
            "the freeze entries do not match their signed record; nothing written — "
            "run `fireline verify`"
        )
    return entries


def _write(conn: Connection, entries: dict[str, str], signer: Signer, ts: str) -> None:
    version = 1 + (conn.execute(sa.select(freeze_record.c.version)).scalar() or 0)
    root = record_root(entries)
    signature = signer.sign(record_message(version=version, root=root, ts=ts))
    conn.execute(freeze_entries.delete())
    if entries:
        conn.execute(
            freeze_entries.insert(),
            [{"incident_id": i, "digest": d} for i, d in sorted(entries.items())],
        )
    conn.execute(freeze_record.delete())
    conn.execute(
        freeze_record.insert(),
        {
            "id": 1,
            "version": version,
            "root": root,
            "ts": ts,
            "key_id": signer.key_id,
            "signature": signature,
        },
    )


def _decoded(value: object) -> object:
    import json

    return json.loads(value) if isinstance(value, str) else value
