"""Reads of the store as a whole: the user registry, verification, runbook search and suggest.

None of them reads an incident's content, so need-to-know is not asked (except by `verify`
for incidents it names); their models are masked to the default grid, as the CLI always
masked them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fireline.reads import Model
from fireline.reads.sight import DEFAULT_GRID, as_json, masked

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from fireline.config import Settings
    from fireline.policy import PolicyEngine
    from fireline.service.identity import Identity
    from fireline.suggest.alert import Alert


def users(conn: Connection) -> Model:
    """The registry: `{"users": [...], "started": bool}` (started: its chain has a head, so an
    empty list means a projection to rebuild, not a registry not yet begun)."""
    from fireline.domain import REGISTRY_CHAIN
    from fireline.governance import list_users
    from fireline.ledger.store import get_checkpoint

    found = list_users(conn)
    started = get_checkpoint(conn, REGISTRY_CHAIN) is not None
    return masked(
        as_json({"users": [asdict(user) for user in found], "started": started}), DEFAULT_GRID
    )


def verify(
    conn: Connection,
    settings: Settings,
    identity: Identity | None,
    incident_ids: list[str] | None,
    *,
    blobs: bool = True,
    projections: bool = True,
) -> Model:
    """Hash chains, signed checkpoints, (with `blobs`) evidence blobs re-hashed and (with
    `projections`) every projection row compared with a replay of the ledger.

    Named incidents must be the viewer's to see without an access trail (verify cannot write
    one): one "no incident" answer for missing, hidden or recorded-read incidents alike.
    With no incident named, the store-wide transparency log is audited too (`"log"`).
    `{"ok", "events", "chains", "blobs", "projections_checked", "projection_mismatch", "log"?,
    "breaks", "incident_chains", "broken": [str]}`; a projection mismatch alone leaves
    `broken` empty and is named by `projection_mismatch` (its text in `"mismatch"`).
    """
    from fireline import governance
    from fireline.evidence import BlobStore
    from fireline.integrity import (
        load_store_public_key,
        verify_blobs,
        verify_projections,
        verify_store,
    )
    from fireline.policy import PolicyEngine
    from fireline.redaction import Redactor
    from fireline.service import require_identity
    from fireline.transparency.audit import audit_log

    if incident_ids:
        if identity is None:
            raise ValueError("verify of named incidents needs a viewer")
        policy = PolicyEngine.load(settings.policy_dir)
        require_identity(conn, Redactor.from_settings(settings), identity)
        governance.require_readable(policy, conn, identity.actor, incident_ids, view="verify")
    public_key = load_store_public_key(settings.public_key_path)
    report = verify_store(conn, public_key, incident_ids=incident_ids)
    log = None if incident_ids else audit_log(conn, public_key)
    if blobs:
        verify_blobs(conn, BlobStore(settings.home), report, incident_ids=incident_ids)
    if projections:
        verify_projections(conn, report, public_key, incident_ids=incident_ids)
    # A chain already named broken is not named again by the log's view of the same damage.
    named = {b.incident_id for b in report.breaks}
    log_breaks = [b for b in (log.breaks if log is not None else ()) if b.chain not in named]
    found: list[Any] = [*report.breaks, *log_breaks]
    model: dict[str, Any] = {
        "ok": report.ok and not log_breaks,
        "events": report.events,
        "chains": report.chains,
        "blobs": report.blobs,
        "projections_checked": report.projections_checked,
        "projection_mismatch": None if report.mismatch is None else asdict(report.mismatch),
    }
    if log is not None:
        model["log"] = {"size": log.size, "checkpoints": log.checkpoints}
    model["breaks"] = [asdict(item) for item in found]
    model["incident_chains"] = report.incident_chains
    model["system_chains"] = report.system_chains
    model["broken"] = [str(item) for item in found]
    model["mismatch"] = None if report.mismatch is None else str(report.mismatch)
    return masked(as_json(model), DEFAULT_GRID)


def runbook_search(conn: Connection, text: str, *, limit: int) -> Model:
    """Indexed runbooks matching `text`, best first: `[{"path","id","title","score"}]`."""
    from fireline.errors import InvalidCommandError
    from fireline.suggest import engine
    from fireline.suggest.store import full_text_matches, load_corpus

    if not text.strip():
        raise InvalidCommandError("search text is empty")
    _info, corpus = load_corpus(conn)
    hits = engine.search(corpus, text, among=full_text_matches(conn, text), limit=limit)
    rows = [
        {
            "path": h.document.path,
            "id": h.document.id,
            "title": h.document.title,
            "score": round(h.confidence, 3),
        }
        for h in hits
    ]
    return masked(rows, DEFAULT_GRID)


def runbook_suggest(
    conn: Connection, settings: Settings, alerts: list[Alert], *, limit: int
) -> Model:
    """Runbooks for an alert's notification, ranked, each with its reason and whether it fits
    (`fits` false: low confidence; the CLI shows those only with --all)."""
    from fireline.suggest import engine
    from fireline.suggest.store import load_corpus

    _info, corpus = load_corpus(conn)
    found = engine.suggest(corpus, alerts, threshold=settings.suggest_threshold, limit=limit)
    return masked([s.as_json() for s in found], DEFAULT_GRID)


def policy_bundle(engine: PolicyEngine) -> Model:
    """The policy bundle in force, as `policy show` prints it and `GET /api/v1/policy` answers:
    where it comes from, its digest, its modules and tests with their packages."""
    return {
        "bundle": engine.source,
        "digest": engine.digest,
        "modules": [m.path for m in engine.modules],
        "tests": [m.path for m in engine.tests],
        "module_packages": [[m.path, m.package] for m in engine.modules],
        "test_packages": [[m.path, m.package] for m in engine.tests],
    }
