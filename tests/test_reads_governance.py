"""The read helpers behind the web's admin screens and room panels: governance work across
incidents (need-to-know, the access trail), token listings, runbook suggestions for one
incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fireline.accounts import issue_token
from fireline.commands import (
    AddUser,
    ApproveGateException,
    AssignRole,
    AttachRunbook,
    Declare,
    GrantBreakglass,
    RequestGateException,
    ReviewGovernance,
    RevokeBreakglass,
)
from fireline.db import events
from fireline.domain import ActorId, IncidentId
from fireline.errors import NotFoundError
from fireline.reads import accounts, governance, runbooks
from fireline.service import Context, Identity
from fireline.suggest.alert import Alert
from tests.conftest import Clock
from tests.factories import run
from tests.test_suggest import write_runbooks


def _trail(ctx: Context, incident: str) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(events.c.actor).where(
                    events.c.incident_id == incident, events.c.kind == "access.read"
                )
            ).scalars()
        )


@pytest.fixture
def two(ctx: Context) -> tuple[IncidentId, IncidentId]:
    """A registry; a restricted flagged SEV1 (alice IC, erin steward) and a public SEV3."""
    run(ctx, AddUser(name="root", roles=("admin",)), "root")
    for name, roles in (("alice", ("commander",)), ("erin", ("steward",)), ("bob", ("responder",))):
        run(ctx, AddUser(name=name, roles=roles), "root")
    secret = IncidentId(
        run(
            ctx,
            Declare(
                title="Secret leak",
                severity="SEV1",
                labels=("restricted",),
                flags=("policy-bypass",),
                ic="alice",
            ),
            "alice",
        )[0].incident_id
    )
    run(ctx, AssignRole(incident_id=secret, role="governance_steward", holder="erin"), "alice")
    public = IncidentId(
        run(ctx, Declare(title="Status page slow", severity="SEV3"), "bob")[0].incident_id
    )
    return secret, public


def test_gate_exceptions_list_only_pending_ones_on_incidents_the_viewer_may_see(
    ctx: Context, two: tuple[IncidentId, IncidentId]
) -> None:
    secret, public = two
    run(
        ctx, RequestGateException(incident_id=secret, gate="resolved", justification="why"), "alice"
    )
    run(ctx, RequestGateException(incident_id=public, gate="mitigated", justification="eh"), "bob")

    assert governance.gate_exceptions(ctx, Identity(ActorId("bob"))) == [
        {
            "incident_id": public,
            "title": "Status page slow",
            "severity": "SEV3",
            "seq": 2,
            "gate": "mitigated",
            "justification": "eh",
            "requested_at": "2026-11-23T14:00:09.000000Z",
            "approvals": [{"actor": "bob", "as_role": "ic"}],
            "missing": ["governance_steward"],
        }
    ]
    assert _trail(ctx, secret) == []  # bob was never shown it, so nothing was recorded
    seen = governance.gate_exceptions(ctx, Identity(ActorId("erin")))
    assert [(e["incident_id"], e["gate"]) for e in seen] == [
        (secret, "resolved"),
        (public, "mitigated"),
    ]
    assert _trail(ctx, secret) == ["erin"]

    run(ctx, ApproveGateException(incident_id=secret, exception_seq=seen[0]["seq"]), "erin")
    left = governance.gate_exceptions(ctx, Identity(ActorId("erin")))
    assert [e["incident_id"] for e in left] == [public]


def test_reviews_list_flagged_open_incidents_unsigned_first(
    ctx: Context, two: tuple[IncidentId, IncidentId]
) -> None:
    secret, _public = two
    erin = Identity(ActorId("erin"))
    (row,) = governance.reviews(ctx, erin)
    assert (row["incident_id"], row["flags"], row["reviewed_at"]) == (
        secret,
        ["policy-bypass"],
        None,
    )
    run(ctx, ReviewGovernance(incident_id=secret, outcome="fails closed"), "erin")
    (row,) = governance.reviews(ctx, erin)
    assert row["reviewed_by"] == "erin"
    assert governance.reviews(ctx, Identity(ActorId("bob"))) == []  # hidden from bob


def test_breakglass_grants_show_expiry_and_whether_active(
    ctx: Context, clock: Clock, two: tuple[IncidentId, IncidentId]
) -> None:
    secret, _public = two
    for to in ("bob", "erin"):
        run(
            ctx,
            GrantBreakglass(
                incident_id=secret,
                to=to,
                scope="prod-db read",
                why="x",
                expires_in=timedelta(hours=1),
            ),
            "alice",
        )
    first = governance.breakglass_grants(ctx, Identity(ActorId("alice")))[0]
    assert first["grantee"] == "bob"
    run(ctx, RevokeBreakglass(incident_id=secret, grant_seq=first["seq"], reason="x"), "alice")
    grants = governance.breakglass_grants(ctx, Identity(ActorId("alice")))
    assert [(g["grantee"], g["active"]) for g in grants] == [("erin", True), ("bob", False)]
    assert grants[0]["expires_at"] > "2026-11-23T14:00:00Z"
    clock.advance(hours=2)
    grants = governance.breakglass_grants(ctx, Identity(ActorId("alice")))
    assert [g["active"] for g in grants] == [False, False]


def test_open_incident_choices_are_the_visible_open_incidents(
    ctx: Context, two: tuple[IncidentId, IncidentId]
) -> None:
    _secret, public = two
    choices = governance.open_incident_choices(ctx, Identity(ActorId("bob")))
    assert choices == [{"incident_id": public, "title": "Status page slow", "severity": "SEV3"}]


def test_tokens_are_ones_own_unless_an_admin_credential_of_an_admin(
    ctx: Context, two: tuple[IncidentId, IncidentId]
) -> None:
    for user in ("bob", "root"):
        issue_token(
            ctx, ActorId(user), user=user, name="ci", scope="read", expires_in=timedelta(days=1)
        )
    mine = accounts.tokens(ctx, "bob", admin_credential=True)  # bob is no registry admin
    assert (mine["everyone"], [t["user"] for t in mine["tokens"]]) == (False, ["bob"])
    assert "sha256" not in mine["tokens"][0]
    assert accounts.tokens(ctx, "root", admin_credential=False)["everyone"] is False
    everyone = accounts.tokens(ctx, "root", admin_credential=True)
    assert sorted(t["user"] for t in everyone["tokens"]) == ["bob", "root"]

    roots = accounts.tokens(ctx, "root", admin_credential=False)["tokens"][0]["id"]
    with pytest.raises(NotFoundError, match=f"^no token {roots}$"):
        accounts.manageable_token(ctx, "bob", roots, admin_credential=True)
    with pytest.raises(NotFoundError, match="^no token 000000000000$"):
        accounts.manageable_token(ctx, "root", "000000000000", admin_credential=True)
    assert accounts.manageable_token(ctx, "root", roots, admin_credential=False).user == "root"


def _index(ctx: Context, folder: Path) -> None:
    from fireline.suggest.documents import read_entries
    from fireline.suggest.store import replace_index

    entries = read_entries(write_runbooks(folder))
    with ctx.engine.begin() as conn:
        replace_index(conn, folder=str(folder), entries=entries, now=datetime.now(UTC))


def test_suggestions_rank_runbooks_for_the_incident_and_mark_the_attached(
    ctx: Context, tmp_path: Path
) -> None:
    incident = IncidentId(
        run(
            ctx,
            Declare(
                title="Catalog API 5xx spike",
                severity="SEV2",
                impact="HTTP 5xx errors for most requests",
                systems=("catalog-api",),
                ic="alice",
            ),
        )[0].incident_id
    )
    alice = Identity(ActorId("alice"))
    assert runbooks.incident_suggestions(ctx, alice, incident) == {
        "indexed": False,
        "suggestions": [],
    }
    _index(ctx, tmp_path / "runbooks")
    found = runbooks.incident_suggestions(ctx, alice, incident)
    first = found["suggestions"][0]
    assert (first["path"], first["attached"]) == ("api/RBK-api-5xx-spike.md", False)
    assert set(first) == {"path", "id", "title", "score", "fits", "reason", "attached"}
    # An alert of the incident naming the runbook's alert makes it fit.
    named = Alert(name="ApiHighErrorRate", labels={}, annotations={})
    fitting = runbooks.incident_suggestions(ctx, alice, incident, alerts=[named])
    best = fitting["suggestions"][0]
    assert (best["path"], best["fits"]) == ("api/RBK-api-5xx-spike.md", True)
    assert "ApiHighErrorRate" in best["reason"]

    with ctx.engine.connect() as conn:
        path = runbooks.indexed_file(conn, first["path"])
        assert runbooks.indexed_file(conn, "/etc/passwd") is None
    assert path is not None
    run(ctx, AttachRunbook(incident_id=incident, path=first["path"], content=path.read_bytes()))
    again = runbooks.incident_suggestions(ctx, alice, incident)["suggestions"][0]
    assert again["attached"] is True


def test_suggestions_of_a_hidden_incident_answer_like_a_missing_one(
    ctx: Context, two: tuple[IncidentId, IncidentId]
) -> None:
    secret, _public = two
    with pytest.raises(NotFoundError, match=f"^no incident {secret}$"):
        runbooks.incident_suggestions(ctx, Identity(ActorId("bob")), secret)
