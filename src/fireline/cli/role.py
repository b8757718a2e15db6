"""`fireline role assign|release`: staff an incident."""

from __future__ import annotations

from typing import Annotated

import typer

from fireline.cli import AsOption, IncidentArg, app, guarded, recorded, write
from fireline.domain import parse_incident_id

role_app = typer.Typer(help="Assign and release incident roles.", no_args_is_help=True)
app.add_typer(role_app, name="role")


@role_app.command("assign")
@guarded
def assign(
    incident_id: IncidentArg,
    role: Annotated[str, typer.Argument(help="Role key, e.g. ic, tech_lead, comms, scribe.")],
    holder: Annotated[str, typer.Argument(help="Who takes the role.")],
    as_: AsOption = None,
) -> None:
    """Give a role to someone (a single-holder role passes from its current holder)."""
    from fireline.commands import AssignRole

    recorded(
        write(AssignRole(incident_id=parse_incident_id(incident_id), role=role, holder=holder), as_)
    )


@role_app.command("override")
@guarded
def override(
    incident_id: IncidentArg,
    role: Annotated[str, typer.Argument(help="Role key, e.g. ic.")],
    holder: Annotated[str, typer.Argument(help="Who takes the role.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why the IC is bypassed (recorded; required).")
    ],
    as_: AsOption = None,
) -> None:
    """Registry admins: give a role past the IC (handover), restricted incidents included."""
    from fireline.commands import OverrideRole

    command = OverrideRole(
        incident_id=parse_incident_id(incident_id), role=role, holder=holder, reason=reason
    )
    recorded(write(command, as_))


@role_app.command("release")
@guarded
def release(
    incident_id: IncidentArg,
    role: Annotated[str, typer.Argument(help="Role key.")],
    holder: Annotated[str | None, typer.Argument(help="Needed when several hold it.")] = None,
    as_: AsOption = None,
) -> None:
    """Release a role so nobody holds it."""
    from fireline.commands import ReleaseRole

    recorded(
        write(
            ReleaseRole(incident_id=parse_incident_id(incident_id), role=role, holder=holder), as_
        )
    )
