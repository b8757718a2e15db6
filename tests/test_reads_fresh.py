"""The gates and the verify badge are shared per chain head for a few seconds: many open rooms
cost one replay per write, and the next write is seen at once."""

from __future__ import annotations

from typing import Any

from fireline.commands import LogEntry
from fireline.db import read_only
from fireline.domain import ActorId
from fireline.reads import fresh, incidents
from fireline.service import Context, Identity
from tests.factories import make_incident, run


def test_an_answer_is_shared_until_the_head_moves(ctx: Context) -> None:
    inc = make_incident(ctx, ic="alice")
    calls: list[int] = []

    def compute() -> Any:
        calls.append(1)
        return len(calls)

    store = ctx.settings.database_url
    with read_only(ctx.engine) as conn:
        assert fresh.shared("t", store, conn, inc, compute) == 1
        assert fresh.shared("t", store, conn, inc, compute) == 1  # same head: shared
        assert fresh.shared("t", "another-store", conn, inc, compute) == 2
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="a new event moves the head"))
    with read_only(ctx.engine) as conn:
        assert fresh.shared("t", store, conn, inc, compute) == 3


def test_the_gates_change_with_the_next_write(ctx: Context) -> None:
    inc = make_incident(ctx, ic="alice")
    alice = Identity(ActorId("alice"))
    before = incidents.gates(ctx, alice, inc)["unmet"]["mitigated"]
    assert any("mitigation" in need for need in before)
    run(ctx, LogEntry(incident_id=inc, kind="mitigation", text="rolled back"), "alice")
    after = incidents.gates(ctx, alice, inc)["unmet"]["mitigated"]
    assert not any("mitigation entry" in need for need in after)
