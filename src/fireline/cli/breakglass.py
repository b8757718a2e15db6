"""`fireline breakglass grant|revoke|list`: expiring emergency access, on the record."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    IncidentArg,
    app,
    emit_model,
    fetch,
    guarded,
    number_argument,
    recorded,
    remote,
    show_lines,
    viewing,
    write,
)
from fireline.domain import parse_duration, parse_incident_id

breakglass_app = typer.Typer(help="Expiring emergency access grants.", no_args_is_help=True)
app.add_typer(breakglass_app, name="breakglass")


@breakglass_app.command("grant")
@guarded
def grant(
    incident_id: IncidentArg,
    to: Annotated[str, typer.Option(help="Who gets the access.")],
    scope: Annotated[str, typer.Option(help='What access, e.g. "prod-db read".')],
    why: Annotated[str, typer.Option(help="The justification.")],
    expires: Annotated[str, typer.Option(help="How long it lasts: 2h, 30m, 1d (at most 7d).")],
    as_: AsOption = None,
) -> None:
    """Grant breakglass access (the IC); it expires on its own and blocks closure while active."""
    from fireline.commands import GrantBreakglass

    recorded(
        write(
            GrantBreakglass(
                incident_id=parse_incident_id(incident_id),
                to=to,
                scope=scope,
                why=why,
                expires_in=parse_duration("--expires", expires),
            ),
            as_,
        )
    )


@breakglass_app.command("revoke")
@guarded
def revoke(
    incident_id: IncidentArg,
    seq: Annotated[int, number_argument("The event number of the grant.")],
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    as_: AsOption = None,
) -> None:
    """Revoke a grant before it expires (the IC)."""
    from fireline.commands import RevokeBreakglass

    recorded(
        write(
            RevokeBreakglass(
                incident_id=parse_incident_id(incident_id), grant_seq=seq, reason=reason
            ),
            as_,
        )
    )


@breakglass_app.command("list")
@guarded
def list_(
    incident_id: IncidentArg,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """List an incident's grants and whether each is still active."""
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        grants = fetch(server, f"/api/v1/incidents/{wanted}/breakglass")
    else:
        from fireline.reads import incidents

        with viewing(as_) as (ctx, identity):
            grants = incidents.breakglass(ctx, identity, wanted)
    if format_ is Format.json:
        emit_model(grants)
        return
    show_lines([render_grant(g) for g in grants] or ["no breakglass grants"])


def render_grant(g: dict[str, Any]) -> str:
    state = "ACTIVE" if g["active"] else ("revoked" if g["revoked_at"] else "expired")
    return (
        f"#{g['seq']} [{state}] {g['grantee']}: {g['scope']} — until {g['expires_at']} ({g['why']})"
    )
