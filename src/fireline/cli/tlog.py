"""`fireline checkpoint [publish]` and `fireline prove`: the store-wide transparency log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    IncidentArg,
    app,
    echo,
    emit_json,
    guarded,
    number_argument,
    open_store,
    viewing,
)
from fireline.domain import parse_incident_id
from fireline.errors import InvalidCommandError

if TYPE_CHECKING:
    from fireline.service import Context

checkpoint_app = typer.Typer(
    help="Signed checkpoints of the store-wide transparency log (C2SP signed notes)."
)
app.add_typer(checkpoint_app, name="checkpoint")


def _current_note(ctx: Context | None = None) -> tuple[str, str, str]:
    """Sign the tree head if it grew; return (note, origin, verifier key)."""
    from fireline.domain import iso_utc
    from fireline.ledger import notes
    from fireline.transparency import origin_for, sign_checkpoint

    own = ctx is None
    ctx = open_store() if ctx is None else ctx
    try:
        origin = origin_for(ctx.settings, ctx.signer.public_key)
        with ctx.work.transaction() as conn:
            note = sign_checkpoint(conn, ctx.signer, origin=origin, ts=iso_utc(ctx.clock()))
        return note, origin, notes.verifier_key(origin, ctx.signer.public_key)
    finally:
        if own:
            ctx.close()


@checkpoint_app.callback(invoke_without_command=True)
@guarded
def checkpoint(typer_ctx: typer.Context, format_: FormatOption = Format.table) -> None:
    """Print the latest signed checkpoint (signing one if the log grew since the last)."""
    if typer_ctx.invoked_subcommand is not None:
        return
    from fireline.ledger import notes

    note, origin, vkey = _current_note()
    if format_ is Format.json:
        parsed, _signatures = notes.parse(note, source="checkpoint")
        emit_json(
            {
                "origin": origin,
                "tree_size": parsed.size,
                "root_hash": note.split("\n")[2],
                "note": note,
                "verifier_key": vkey,
            },
            masked=False,
        )
        return
    for line in note.removesuffix("\n").split("\n"):
        typer.echo(line)
    typer.echo(f"verifier key: {vkey}", err=True)


@checkpoint_app.command("publish")
@guarded
def publish(
    to: Annotated[
        Path,
        typer.Option(
            "--to", help="A witness folder, or a git repository to commit the checkpoint into."
        ),
    ],
) -> None:
    """Write the latest signed checkpoint to a witness folder or git repository, refusing a tree
    that is not consistent with the checkpoint already published there."""
    from fireline.domain import iso_utc
    from fireline.transparency import origin_for, sign_checkpoint
    from fireline.transparency.publish import publish as write_out

    ctx = open_store()
    try:
        origin = origin_for(ctx.settings, ctx.signer.public_key)
        # One transaction: a refused publish keeps no new checkpoint row either.
        with ctx.work.transaction() as conn:
            note = sign_checkpoint(conn, ctx.signer, origin=origin, ts=iso_utc(ctx.clock()))
            done = write_out(conn, ctx.signer.public_key, note, to)
    finally:
        ctx.close()
    where = "committed to git repository" if done.git else "written to"
    state = "already published" if done.unchanged else where
    echo(f"checkpoint of {done.size} leaves {state} {done.path.parent}", masked=False)


@app.command()
@guarded
def prove(
    incident_id: IncidentArg,
    seq: Annotated[int, number_argument("The event's seq in the incident's chain.")],
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """Print the inclusion proof of one event in the store-wide log, with the signed checkpoint
    it proves against. An incident you may not see is answered like a missing one."""
    from fireline.db import read_only
    from fireline.errors import NotFoundError
    from fireline.ledger import notes, tlog
    from fireline.transparency import prove as make_proof

    wanted = parse_incident_id(incident_id)
    if seq < 1:
        raise InvalidCommandError(f"seq {seq} is not an event number (1 or more)")
    from fireline.reads.sight import see

    with viewing(as_) as (ctx, identity):
        see(ctx, identity, "prove", wanted)  # need-to-know and the access trail
        with read_only(ctx.engine) as probe:  # a missing event signs nothing
            if tlog.find_leaf(probe, wanted, seq) is None:
                raise NotFoundError(f"no event {seq} in {wanted}")
        note, _origin, _vkey = _current_note(ctx)
        size = notes.parse(note, source="checkpoint")[0].size
        with read_only(ctx.engine) as conn:
            proof = make_proof(conn, wanted, seq, size=size)
    if format_ is Format.json:
        emit_json({**proof.as_dict(), "checkpoint": note}, masked=False)
        return
    data = proof.as_dict()
    echo(f"{wanted} event {seq}: leaf {proof.index} of a tree of {proof.size}", masked=False)
    echo(f"  event hash  {proof.event_hash}", masked=False)
    echo(f"  leaf hash   {data['leaf_hash']}", masked=False)
    echo(f"  audit path  ({len(proof.path)} hashes, leaf to root)", masked=False)
    for item in data["audit_path"]:
        echo(f"    {item}", masked=False)
    echo("  checkpoint", masked=False)
    for line in note.removesuffix("\n").split("\n"):
        echo(f"    {line}", masked=False)
