"""Every HTML page of the web UI, and a store full of hostile strings to render them with: the
one list the cross-page sweeps walk (hostile input, axe-core, keyboard reachability).

ADD YOUR PAGE TO `PAGES` (one line). `{incident}` stands for the hostile incident's id. If
your page shows data nothing below writes, add the writes to `seed_hostile`, with the hostile
strings of `tests.hostile` in every free-text field you own.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import timedelta

from fireline.commands import (
    AddActionItem,
    AddEvidence,
    AssignRole,
    Declare,
    GrantBreakglass,
    LogEntry,
    RequestGateException,
    SetSwitch,
)
from fireline.domain import ActorId, IncidentId
from fireline.service import Context, execute
from fireline.service.evidence import staged_file
from tests import hostile
from tests.webclient import add_user


@dataclass(frozen=True)
class WebPage:
    """One page: its path (with `{incident}`), a name for reports and screenshots, and
    whether it is served without a session."""

    path: str
    name: str
    public: bool = False


PAGES: list[WebPage] = [
    WebPage("/login", "login", public=True),
    WebPage("/logout", "logout"),
    WebPage("/incidents", "incidents"),
    WebPage("/incidents?view=closed", "incidents-closed"),
    WebPage("/incidents/new", "declare"),
    WebPage("/incidents/{incident}", "room"),
    WebPage("/incidents/{incident}/ledger", "ledger"),
    WebPage("/incidents/{incident}/postmortem", "postmortem"),
    WebPage("/postmortems", "postmortems"),
    WebPage("/actions", "actions"),
    WebPage("/admin", "admin"),
    WebPage("/admin/users", "admin-users"),
    WebPage("/admin/tokens", "admin-tokens"),
    WebPage("/admin/exceptions", "admin-exceptions"),
    WebPage("/admin/reviews", "admin-reviews"),
    WebPage("/admin/breakglass", "admin-breakglass"),
    WebPage("/alerts", "alerts"),
    WebPage("/channels", "channels"),
    WebPage("/switches", "switches"),
    WebPage("/reports/metrics", "metrics"),
    WebPage("/drills", "drills"),
    WebPage("/status", "status", public=True),
]


def seed_hostile(ctx: Context) -> IncidentId:
    """Users (root: admin; alice: IC, cleared; erin: steward) and one flagged SEV1 whose every
    free text is hostile: title, impact, entries, action items, evidence file names and
    notes, a breakglass grant, a gate exception. The id of that incident."""
    from fireline.accounts import issue_token

    add_user(ctx, "alice", ("commander", "admin"), clearances=("sensitive",))
    add_user(ctx, "erin", ("steward",))

    def as_(actor: str, command: object) -> list[object]:
        return list(execute(command, ActorId(actor), ctx=ctx))  # type: ignore[arg-type]

    declared, *_more = as_(
        "alice",
        Declare(
            title=hostile.ALL,
            severity="SEV1",
            impact=f"impact {hostile.ALL}",
            systems=("api",),
            labels=("restricted",),
            flags=("policy-bypass",),
            ic="alice",
        ),
    )
    incident = IncidentId(declared.incident_id)  # type: ignore[attr-defined]
    as_("alice", AssignRole(incident_id=incident, role="governance_steward", holder="erin"))
    for kind in ("fact", "hypothesis", "mitigation"):
        as_("alice", LogEntry(incident_id=incident, kind=kind, text=f"{kind} {hostile.ALL}"))
    for text in hostile.STRINGS:
        as_("alice", LogEntry(incident_id=incident, kind="fact", text=f"entry {text}"))
    as_("alice", AddActionItem(incident_id=incident, title=f"act {hostile.ALL}", owner="erin"))
    for name in hostile.FILE_NAMES:
        command = AddEvidence(incident_id=incident, kind="logs", note=f"n {hostile.IMG}")
        with staged_file(ctx, io.BytesIO(f"{hostile.ALL}\n".encode()), name=name) as file:
            as_("alice", replace(command, file=file))
    as_(
        "alice",
        GrantBreakglass(
            incident_id=incident,
            to="erin",
            scope=f"scope {hostile.ALL}",
            why=f"why {hostile.SCRIPT}",
            expires_in=timedelta(hours=2),
        ),
    )
    as_(
        "alice",
        RequestGateException(
            incident_id=incident, gate="resolved", justification=f"because {hostile.ALL}"
        ),
    )
    as_(
        "alice",
        SetSwitch(
            incident_id=incident, name="global-readonly", state="on", reason=f"ro {hostile.ALL}"
        ),
    )
    issue_token(
        ctx,
        ActorId("alice"),
        user="alice",
        name=f"tok {hostile.IMG}"[:64],
        scope="read",
        expires_in=timedelta(days=1),
    )
    return incident
