"""The seed SEV1 runbook played as commands: the demo `make run` records, and a test fixture.

It goes through `service.execute` like any user would. Severities are picked by rank (the
ladder's second-worst, escalated to its worst) so the scenario plays on every ladder.
"""

from __future__ import annotations

from datetime import timedelta

from fireline.commands import (
    AddActionItem,
    AssignRole,
    ChangeSeverity,
    CheckItem,
    Command,
    CorrectEntry,
    Declare,
    LogEntry,
    PublishUpdate,
    Transition,
)
from fireline.domain import ActorId, IncidentId
from fireline.service import Context, Identity, check_identity, execute

SCENARIO_ROLES = ("ic", "scribe", "tech_lead", "comms", "governance_steward")
SCENARIO_CAST = ("alice", "bob", "carol", "dana")  # who acts in it, besides the declarer


def play_sev1(ctx: Context, *, declarer: ActorId | Identity) -> IncidentId:
    """Record the scenario; return the new incident's id.

    The declarer plays every part: the others' events record it as `asserted_by`, so once the
    registry has started only a registry admin may play it. Checks up front that the configured
    roles include the ones it staffs, and that the declarer may act for the others, so a refusal
    comes before anything is written rather than leaving half an incident behind.
    """
    by = declarer if isinstance(declarer, Identity) else Identity(declarer)
    for role in SCENARIO_ROLES:
        ctx.settings.roster.get(role)
    for actor in (by.actor, *SCENARIO_CAST):
        check_identity(ctx, by.acting_as(ActorId(actor)))
    levels = ctx.settings.ladder.ordered()
    major, worst = levels[min(1, len(levels) - 1)], levels[0]
    events = execute(
        Declare(
            title="Catalog API 5xx spike",
            severity=major.name,
            impact="search down for most users",
            systems=("api", "search"),
            datasets=("cat-2026:v12",),
            labels=("restricted",),
            flags=("policy-bypass",),
            ic="alice",
        ),
        by,
        ctx=ctx,
    )
    inc = IncidentId(events[0].incident_id)
    due = ctx.clock().date() + timedelta(days=8)
    steps: list[tuple[str, Command]] = [
        ("alice", AssignRole(incident_id=inc, role="scribe", holder="bob")),
        ("alice", AssignRole(incident_id=inc, role="tech_lead", holder="carol")),
        ("alice", AssignRole(incident_id=inc, role="comms", holder="dana")),
        ("alice", AssignRole(incident_id=inc, role="governance_steward", holder="erin")),
        ("alice", Transition(incident_id=inc, status="investigating")),
        (
            "bob",
            LogEntry(
                incident_id=inc,
                kind="fact",
                text="5xx rate 38% since 14:02Z",
                refs=("dashboard:api-5xx",),
            ),
        ),
        ("carol", LogEntry(incident_id=inc, kind="hypothesis", text="bad deploy 4f2c1e")),
        (
            "alice",
            LogEntry(
                incident_id=inc,
                kind="decision",
                text="roll back 4f2c1e",
                why="correlates with onset",
                approver="alice",
            ),
        ),
        ("alice", Transition(incident_id=inc, status="mitigating")),
        (
            "carol",
            LogEntry(
                incident_id=inc,
                kind="mitigation",
                text="rolled back to 9a1b7d",
                refs=("deploy:9a1b7d",),
            ),
        ),
        (
            "alice",
            ChangeSeverity(
                incident_id=inc, severity=worst.name, reason="sensitive layer may be exposed"
            ),
        ),
        *_first_minutes(inc, stage_checklists=(*major.checklists, *worst.checklists)),
        (
            "dana",
            PublishUpdate(
                incident_id=inc,
                status="mitigating",
                impact="search degraded; restricted layer hidden",
                facts=("5xx rate falling after rollback to 9a1b7d",),
                hypotheses=("deploy 4f2c1e bypassed the policy check",),
                next_steps=("confirm policy enforcement fails closed (carol)",),
            ),
        ),
        (
            "alice",
            AddActionItem(
                incident_id=inc,
                title="add policy regression test",
                owner="carol",
                due=due,
                priority="P1",
            ),
        ),
    ]
    recorded = [
        ev for actor, cmd in steps for ev in execute(cmd, by.acting_as(ActorId(actor)), ctx=ctx)
    ]
    first_fact = next(event.seq for event in recorded if event.kind == "entry.fact")
    correction = CorrectEntry(
        incident_id=inc,
        target_seq=first_fact,
        text="5xx rate 28% since 14:02Z",
        reason="dashboard double-counted retries",
    )
    execute(correction, by.acting_as(ActorId("bob")), ctx=ctx)
    return inc


def _first_minutes(
    inc: IncidentId, *, stage_checklists: tuple[str, ...]
) -> list[tuple[str, Command]]:
    """Ticks on the built-in first-15-minutes checklist, when the ladder's levels attach it."""
    if "first-15-minutes" not in stage_checklists:
        return []
    ticks = (
        ("alice", 1, "IC alice, tech lead carol, comms dana, scribe bob"),
        ("alice", 4, "yes: a restricted layer may be exposed"),
        ("alice", 5, "declared with the restricted label"),
        ("carol", 7, "bad deploy 4f2c1e"),
        ("carol", 9, "rollback to 9a1b7d"),
    )
    return [
        (actor, CheckItem(incident_id=inc, items=(f"first-15-minutes:{number}",), note=note))
        for actor, number, note in ticks
    ]
