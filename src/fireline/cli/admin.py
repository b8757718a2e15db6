"""Store administration: init, verify, rebuild, and the demo scenario."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    app,
    echo,
    emit_json,
    emit_model,
    fetch,
    guarded,
    load,
    local_only,
    open_store,
    plural,
    reading,
    remote,
    show_lines,
)
from fireline.domain import parse_incident_id
from fireline.errors import IntegrityError, InvalidCommandError, StoreError


@app.command()
@guarded
def init() -> None:
    """Create (or migrate) the data dir, database and signing key, owner-only. Safe to re-run."""
    from fireline.db import sqlite_path
    from fireline.permissions import secure_store
    from fireline.schema import initialise

    local_only("init")
    settings = load()
    home = settings.home
    if home.exists() and not home.is_dir():
        raise StoreError(f"cannot create the store at {home} (a file, not a folder)")
    try:
        tightened = secure_store(settings, sqlite_path(settings.database_url))
        engine, created = initialise(settings)
    except OSError as exc:
        where = exc.filename or home
        raise StoreError(f"cannot create the store at {where}: {exc.strerror or exc}") from None
    engine.dispose()
    echo(f"store ready at {settings.home}", masked=False)
    echo(f"  database     {settings.database_url}", masked=False)
    state = "created (mode 0600)" if created else "kept"
    echo(f"  signing key  {settings.key_path} {state}", masked=False)
    for change in tightened:
        echo(f"  {change}", masked=False)


@app.command()
@guarded
def verify(
    incident_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[INCIDENT]... | PATH",
            help="Default: every incident. A path to an export folder or zip verifies it offline.",
        ),
    ] = None,
    blobs: Annotated[
        bool, typer.Option(help="Also re-hash every evidence blob the ledger names.")
    ] = True,
    since: Annotated[
        Path | None,
        typer.Option(
            "--since",
            metavar="CHECKPOINT_FILE",
            help="Prove the log consistent with this published checkpoint; check only what "
            "was appended since.",
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", metavar="KEYFILE", help="Export: the signer's public key (PEM)."),
    ] = None,
    key_id: Annotated[
        str | None, typer.Option("--key-id", metavar="ID", help="Export: the signer's key id.")
    ] = None,
    projections: Annotated[
        bool,
        typer.Option(help="Also replay the ledger and compare every projection row with it."),
    ] = True,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """Verify hash chains, signed checkpoints, the store-wide transparency log, evidence blobs
    and projections; exit non-zero naming the first broken event, leaf or projection row.

    A named incident you may not see is answered like a missing one. Given the path of an
    export (folder or zip) it verifies that export offline instead, with no database, naming
    the first file that does not check; --key or --key-id pins the key that must have signed it.
    """
    if incident_ids and any(_is_path(arg) for arg in incident_ids):
        if len(incident_ids) != 1:
            raise InvalidCommandError("give one export path to verify, or incident ids")
        if since is not None:
            raise InvalidCommandError("--since checks the store; it cannot apply to an export")
        _verify_export(Path(incident_ids[0]), format_, pinned=_pinned_key(key, key_id))
        return
    if key is not None or key_id is not None:
        raise InvalidCommandError("--key and --key-id pin the signer of an export; give its path")
    if since is not None:
        if incident_ids:
            raise InvalidCommandError("--since verifies the whole store's log; name no incident")
        _verify_since(since, format_)
        return
    wanted: list[str] | None = (
        [parse_incident_id(i) for i in incident_ids] if incident_ids else None
    )
    server = remote(as_)
    if server is not None:
        params = {"incident": wanted or [], "blobs": blobs, "projections": projections}
        report = fetch(server, "/api/v1/verify", params)
    else:
        from fireline.reads import store
        from fireline.service import resolve_identity

        with reading() as (conn, settings):
            identity = resolve_identity(as_, settings) if wanted else None
            report = store.verify(
                conn, settings, identity, wanted, blobs=blobs, projections=projections
            )
    keys = ("ok", "events", "chains", "blobs", "projections_checked", "projection_mismatch", "log")
    summary = {key: report[key] for key in keys if key in report}
    if report["mismatch"] is not None and not report["broken"]:
        if format_ is Format.json:
            emit_model({**summary, "breaks": []})
        else:
            show_lines([f"BROKEN projection {report['mismatch']}"])
        raise IntegrityError(f"projection {report['mismatch']}")
    if format_ is Format.json:
        emit_model({**summary, "breaks": report["breaks"]})
    else:
        show_lines(f"BROKEN {line}" for line in report["broken"])
    if report["broken"]:
        _raise_first(report["broken"], "more broken chain")
    if format_ is Format.json:
        return
    others = [name for name in report.get("system_chains", ()) if name]
    chains = plural(report["incident_chains"], "incident chain") + (
        f" and {' and '.join(others)}" if others else ""
    )
    checked = (
        f", {plural(report['blobs'], 'evidence blob')} re-hashed"
        if blobs and report["blobs"]
        else ""
    )
    if projections:
        checked += ", projections replayed"
    logged = (
        ""
        if report.get("log") is None
        else f", transparency log of {_leaves(report['log']['size'])}"
    )
    show_lines(
        [
            f"ok: {plural(report['events'], 'event')} in {chains} verified "
            f"(hashes, links, signed checkpoints{checked}{logged})"
        ]
    )


def _leaves(count: int) -> str:
    return f"{count} leaf" if count == 1 else f"{count} leaves"


def _verify_since(path: Path, format_: Format) -> None:
    """`verify --since`: consistency with a published checkpoint, then only the new events."""
    from fireline.integrity import load_store_public_key
    from fireline.transparency.audit import audit_since

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8"
        raise InvalidCommandError(f"cannot read checkpoint {path}: {reason}") from None
    with reading() as (conn, settings):
        public_key = load_store_public_key(settings.public_key_path)
        log = audit_since(conn, public_key, text, source=str(path))
    summary = {"ok": log.ok, "size": log.size, "new_events": log.checked_events}
    _report(format_, summary, "breaks", log.breaks, "more finding")
    if format_ is Format.table:
        echo(
            f"ok: the log of {_leaves(log.size)} extends {path} (consistency proven); "
            f"{plural(log.checked_events, 'new event')} verified",
            masked=False,
        )


def _pinned_key(key: Path | None, key_id: str | None) -> str | None:
    """The key id an export must be signed by (--key reads it from a public key file)."""
    if key is not None and key_id is not None:
        raise InvalidCommandError("give --key or --key-id, not both")
    if key is None:
        return key_id
    from fireline.ledger.checkpoints import key_id_of, load_public_key

    try:
        pem = key.read_bytes()
    except OSError as exc:
        raise InvalidCommandError(f"cannot read --key {key}: {exc.strerror or exc}") from None
    return key_id_of(load_public_key(pem, source=str(key)))


def _report(
    format_: Format,
    summary: dict[str, Any],
    key: str,
    found: Sequence[Any],
    more_noun: str,
    *,
    where: str = "",
) -> None:
    """JSON (summary plus `key`: the findings) or one BROKEN line each; raise on any finding."""
    if format_ is Format.json:
        emit_json({**summary, key: [asdict(item) for item in found]})
    for item in found if format_ is Format.table else ():
        echo(f"BROKEN {item}", masked=False)
    if found:
        _raise_first([str(item) for item in found], more_noun, where=where)


def _raise_first(found: list[str], more_noun: str, *, where: str = "") -> None:
    """IntegrityError naming the first finding and counting the rest."""
    more = len(found) - 1
    tail = f" (and {plural(more, more_noun)})" if more else ""
    raise IntegrityError(f"{where}{found[0]}{tail}")


def _is_path(arg: str) -> bool:
    """An existing file or folder names an export, as does anything written like a path."""
    return Path(arg).exists() or "/" in arg or arg.endswith(".zip")


def _verify_export(path: Path, format_: Format, *, pinned: str | None) -> None:
    from fireline.export.verify import verify_export

    report = verify_export(path, pinned=pinned)
    summary = {
        "ok": report.ok,
        "incident_id": report.incident_id,
        "events": report.events,
        "files": report.files,
        "evidence_files": report.evidence_files,
        "masked": report.masked,
        "key_id": report.key_id,
        "key_pinned": pinned is not None,
    }

    _report(format_, summary, "problems", report.problems, "more problem", where=f"{path}: ")
    if format_ is Format.table:
        kind = "masked" if report.masked else "unmasked"
        echo(
            f"ok: export {report.incident_id} ({kind}): {plural(report.events, 'event')}, "
            f"{plural(report.files, 'file')} ({plural(report.evidence_files, 'evidence file')}) "
            "verified offline (seal, checkpoint, chain, log inclusion, digests, views)",
            masked=False,
        )
        state = "pinned" if pinned is not None else "NOT PINNED"
        echo(
            f"signed by key {report.key_id} ({state})",
            masked=False,
        )
        if pinned is None:
            # Any store can sign an export of an id it minted: only a pinned key says whose.
            typer.echo(
                f"fireline: warning: signer key {report.key_id} is not pinned: anyone can sign "
                "an export; compare the key id with the store's, or pass --key/--key-id",
                err=True,
            )


@app.command()
@guarded
def rebuild(as_: AsOption = None) -> None:
    """Drop every projection and replay the ledger into it (same state, by construction).

    Only the roles the policy names may (the default policy: admins).
    """
    from fireline.service import open_context, resolve_identity
    from fireline.service import rebuild as replay

    local_only("rebuild")
    ctx = open_context(load())
    try:
        count = replay(ctx, actor=resolve_identity(as_, ctx.settings))
    finally:
        ctx.close()
    echo(f"rebuilt projections from {plural(count, 'event')}", masked=False)


@app.command()
@guarded
def demo(
    as_: AsOption = None,
    if_new: Annotated[
        bool,
        typer.Option("--if-new", help="Only into a store that holds no incident yet (make run)."),
    ] = False,
) -> None:
    """Play the seed runbook's SEV1 scenario into the store and say where to go next."""
    from fireline.domain import SYSTEM_CHAINS
    from fireline.launcher import invocation
    from fireline.ledger.store import list_chains
    from fireline.scenario import play_sev1
    from fireline.service import resolve_identity

    local_only("demo")
    ctx = open_store()
    try:
        with ctx.engine.connect() as conn:
            incidents = [chain for chain in list_chains(conn) if chain not in SYSTEM_CHAINS]
        if if_new and incidents:
            echo(f"the store already holds {plural(len(incidents), 'incident')}; demo not played")
            return
        incident_id = play_sev1(ctx, declarer=resolve_identity(as_, ctx.settings))
    finally:
        ctx.close()
    echo(f"played the SEV1 scenario as {incident_id}", masked=False)
    echo(
        "next (the incident is restricted: only its responders see it, so read as its IC, alice):",
        masked=False,
    )
    program = invocation()
    for hint in (
        "list",
        f"show {incident_id}",
        f"timeline {incident_id} --tz America/Chicago",
        f"gates {incident_id}",
    ):
        echo(f"  FIRELINE_ACTOR=alice {program} {hint}", masked=False)
    echo(f"  {program} verify", masked=False)
