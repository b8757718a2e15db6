"""Deadlines: the update cadence of each preset, reminders and overdue slots recorded once,
obligations from the ladder and from flag/label rules, met by a delivery or `meet`, missed when
they pass; all against the test clock and hand-computed due times."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from fireline import projections, queries
from fireline.commands import ChangeSeverity, Declare, MeetObligation, PublishUpdate
from fireline.config import load_settings
from fireline.db import read_only
from fireline.deadlines import tick
from fireline.deadlines.rules import ObligationRule, parse_rules
from fireline.deadlines.state import Obligation, list_obligations
from fireline.domain import ActorId, IncidentId, iso_utc
from fireline.errors import ConfigError, InvalidCommandError, NotFoundError, PolicyDeniedError
from fireline.ladders import PRESETS
from fireline.ledger import store as ledger
from fireline.service import Context, open_context
from tests.conftest import Clock, Store
from tests.factories import run, snapshot

GDPR = {
    "legal-privacy": {
        "title": "tell legal and privacy of a possible personal-data exposure",
        "owner": "comms",
        "within": "24h",
        "when_flags": ["personal-data-breach"],
        "channels": ["legal"],
    },
    "supervisory-authority": {
        "title": "notify the supervisory authority (GDPR art. 33)",
        "owner": "ic",
        "within": "72h",
        "when_flags": ["personal-data-breach"],
    },
    "pci-acquirer": {
        "title": "tell the acquirer of a card-data compromise (PCI DSS)",
        "owner": "ic",
        "within": "24h",
        "when_labels": ["restricted"],
    },
}
FLAGS = ("sensitive-location", "personal-data-breach")
LABELS = ("internal", "restricted")


def on_ladder(ctx: Context, name: str, **changes: Any) -> None:
    ctx.settings = replace(ctx.settings, ladder=PRESETS[name], **changes)


def declare(ctx: Context, severity: str, **fields: Any) -> IncidentId:
    command = Declare(title="Checkout 5xx", severity=severity, ic="alice", **fields)
    return IncidentId(run(ctx, command)[0].incident_id)


def obligations(ctx: Context, inc: str) -> dict[str, Obligation]:
    with read_only(ctx.engine) as conn:
        return {o.name: o for o in list_obligations(conn, inc)}


def next_due(ctx: Context, inc: str) -> str | None:
    with read_only(ctx.engine) as conn:
        return queries.get_state(conn, inc).next_update_due


def kinds(events: list[Any]) -> list[str]:
    return [e.kind for e in events]


# Each preset's cadence per level, worst first, as the seeds give it: 001 and 002 (kfm: 15/30/60
# minutes, SEV3 as needed), 004 (five-level: continuous → 15, 30 min, hourly, every 2 h,
# informational none) and 003's classic ladder (30 and 60 minutes, SEV3 as needed).
# The clock's first reading is 14:00:01: the declaration's instant.
CADENCES = [
    ("kfm", "SEV0", "2026-11-23T14:15:01.000000Z"),
    ("kfm", "SEV1", "2026-11-23T14:30:01.000000Z"),
    ("kfm", "SEV2", "2026-11-23T15:00:01.000000Z"),
    ("kfm", "SEV3", None),
    ("classic", "SEV1", "2026-11-23T14:30:01.000000Z"),
    ("classic", "SEV2", "2026-11-23T15:00:01.000000Z"),
    ("classic", "SEV3", None),
    ("five-level", "SEV4", "2026-11-23T14:15:01.000000Z"),
    ("five-level", "SEV3", "2026-11-23T14:30:01.000000Z"),
    ("five-level", "SEV2", "2026-11-23T15:00:01.000000Z"),
    ("five-level", "SEV1", "2026-11-23T16:00:01.000000Z"),
    ("five-level", "SEV0", None),
]


@pytest.mark.parametrize(("ladder", "severity", "due"), CADENCES)
def test_each_preset_sets_the_first_update_from_its_cadence(
    ctx: Context, ladder: str, severity: str, due: str | None
) -> None:
    on_ladder(ctx, ladder)
    assert next_due(ctx, declare(ctx, severity)) == due


def test_a_severity_change_re_anchors_the_cadence_on_the_last_update(
    ctx: Context, clock: Clock
) -> None:
    inc = declare(ctx, "SEV2")  # kfm, 14:00:01: due 15:00:01
    clock.advance(minutes=10)
    run(ctx, PublishUpdate(incident_id=inc, impact="checkout slow"))  # 14:10:02
    assert next_due(ctx, inc) == "2026-11-23T15:10:02.000000Z"
    clock.advance(minutes=10)
    run(ctx, ChangeSeverity(incident_id=inc, severity="SEV0", reason="exposure"))
    assert next_due(ctx, inc) == "2026-11-23T14:25:02.000000Z"  # the update + 15 min
    run(ctx, ChangeSeverity(incident_id=inc, severity="SEV2", reason="contained"))
    assert next_due(ctx, inc) == "2026-11-23T15:10:02.000000Z"  # the update + 60 min again


def test_raising_the_severity_keeps_an_earlier_promise(ctx: Context, clock: Clock) -> None:
    inc = declare(ctx, "SEV2")
    promised = clock.now + timedelta(minutes=5)  # 14:05:01
    run(ctx, PublishUpdate(incident_id=inc, impact="x", next_update_at=promised))
    run(ctx, ChangeSeverity(incident_id=inc, severity="SEV1", reason="worse"))
    assert next_due(ctx, inc) == "2026-11-23T14:05:01.000000Z"  # not 14:00:03 + 30 min


def test_the_reminder_names_ic_and_comms_once_before_the_update_is_due(
    ctx: Context, clock: Clock
) -> None:
    inc = declare(ctx, "SEV1")  # due 14:30:01
    from fireline.commands import AssignRole

    run(ctx, AssignRole(incident_id=inc, role="comms", holder="carol"))
    clock.advance(minutes=30)
    assert tick(ctx, datetime.fromisoformat("2026-11-23T14:25:00Z")) == []  # 5:01 ahead
    reminded = tick(ctx, datetime.fromisoformat("2026-11-23T14:25:01Z"))
    assert kinds(reminded) == ["update.reminder"]
    payload = reminded[0].payload
    assert payload is not None
    assert reminded[0].actor == "scheduler:deadlines"
    assert payload["due_at"] == "2026-11-23T14:30:01.000000Z"
    assert (payload["ic"], payload["comms"], payload["minutes_left"]) == (["alice"], ["carol"], 5)
    assert tick(ctx, datetime.fromisoformat("2026-11-23T14:29:00Z")) == []


def test_each_missed_slot_is_recorded_once(ctx: Context, clock: Clock) -> None:
    on_ladder(ctx, "classic")
    inc = declare(ctx, "SEV1")  # due 14:30:01, then every 30 min
    clock.advance(hours=3)
    at = datetime.fromisoformat("2026-11-23T15:45:00Z")
    recorded = tick(ctx, at)
    overdue = [e.payload for e in recorded if e.kind == "update.overdue"]
    assert [(p["slot"], p["due_at"]) for p in overdue if p] == [
        (1, "2026-11-23T14:30:01.000000Z"),
        (2, "2026-11-23T15:00:01.000000Z"),
        (3, "2026-11-23T15:30:01.000000Z"),
    ]
    assert tick(ctx, at) == []  # idempotent
    # An update restarts the clock: the next slot is the update + 30 min.
    run(ctx, PublishUpdate(incident_id=inc, impact="recovering"))
    assert tick(ctx, clock.now) == []


def test_resolution_ends_the_cadence_for_the_scheduler(ctx: Context, clock: Clock) -> None:
    from fireline.commands import Transition

    inc = declare(ctx, "SEV3")  # kfm SEV3: no cadence, nothing scheduled
    run(ctx, Transition(incident_id=inc, status="investigating"))
    clock.advance(days=2)
    assert tick(ctx, clock.now) == []


def test_two_ticks_at_once_record_each_slot_once(store: Store, ctx: Context, clock: Clock) -> None:
    """Two contexts (two connections, as two processes have) tick the same moment together."""
    inc = declare(ctx, "SEV0")  # kfm: 15 min
    clock.advance(hours=2)
    at = clock.now
    others = [open_context(store.settings, clock=clock) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[list[Any]] = []

    def go(other: Context) -> None:
        barrier.wait()
        results.append(tick(other, at))

    threads = [threading.Thread(target=go, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in others:
        other.close()
    with read_only(ctx.engine) as conn:
        events = ledger.read_events(conn, inc)
    slots = [e.payload["due_at"] for e in events if e.kind == "update.overdue" and e.payload]
    assert len(slots) == 8  # 14:15:01 … 16:00:01, every 15 min
    assert len(set(slots)) == len(slots)
    assert sorted(len(r) for r in results)[0] == 0 or sum(len(r) for r in results) == 8


# -- obligations ---------------------------------------------------------------------------


def test_classic_sev1_owes_a_response_in_15_min_and_customers_in_30(ctx: Context) -> None:
    on_ladder(ctx, "classic")
    inc = declare(ctx, "SEV1")
    owed = obligations(ctx, inc)
    assert {n: (o.owner, o.due_at, o.status) for n, o in owed.items()} == {
        "response": ("ic", "2026-11-23T14:15:01.000000Z", "open"),
        "customer-notice": ("comms", "2026-11-23T14:30:01.000000Z", "open"),
    }
    assert "war room within 15 min" in owed["response"].title


def test_classic_sev2_owes_customers_within_2_h(ctx: Context) -> None:
    on_ladder(ctx, "classic")
    owed = obligations(ctx, declare(ctx, "SEV2"))
    assert owed["customer-notice"].due_at == "2026-11-23T16:00:01.000000Z"
    assert owed["response"].due_at == "2026-11-23T15:00:01.000000Z"


def test_kfm_and_five_level_owe_no_ladder_obligation_by_default(ctx: Context) -> None:
    """Their response targets are mitigation and recovery objectives, not notices."""
    assert obligations(ctx, declare(ctx, "SEV0")) == {}
    on_ladder(ctx, "five-level")
    assert obligations(ctx, declare(ctx, "SEV4")) == {}


def test_raising_the_severity_opens_the_new_levels_obligations_from_then(
    ctx: Context, clock: Clock
) -> None:
    on_ladder(ctx, "classic")
    inc = declare(ctx, "SEV3")
    assert obligations(ctx, inc) == {}
    clock.advance(minutes=20)
    run(ctx, ChangeSeverity(incident_id=inc, severity="SEV1", reason="customers affected"))
    owed = obligations(ctx, inc)
    assert owed["customer-notice"].due_at == "2026-11-23T14:50:02.000000Z"  # 14:20:02 + 30
    run(ctx, ChangeSeverity(incident_id=inc, severity="SEV2", reason="partial"))
    assert obligations(ctx, inc)["customer-notice"].due_at == "2026-11-23T14:50:02.000000Z"


def gdpr(ctx: Context) -> None:
    rules = parse_rules(GDPR, "test", roles=frozenset({"ic", "comms"}), flags=FLAGS, labels=LABELS)
    ctx.settings = replace(ctx.settings, obligation_rules=rules, policy_flags=FLAGS)


def test_a_personal_data_breach_flag_owes_legal_in_24_h_and_the_authority_in_72(
    ctx: Context,
) -> None:
    gdpr(ctx)
    owed = obligations(ctx, declare(ctx, "SEV1", flags=("personal-data-breach",)))
    assert {n: (o.owner, o.due_at, o.source, o.trigger) for n, o in owed.items()} == {
        "legal-privacy": ("comms", "2026-11-24T14:00:01.000000Z", "flag", "personal-data-breach"),
        "supervisory-authority": (
            "ic",
            "2026-11-26T14:00:01.000000Z",
            "flag",
            "personal-data-breach",
        ),
    }
    assert owed["legal-privacy"].channels == ["legal"]


def test_a_label_rule_opens_on_the_label(ctx: Context) -> None:
    gdpr(ctx)
    owed = obligations(ctx, declare(ctx, "SEV2", labels=("restricted",)))
    assert list(owed) == ["pci-acquirer"]
    assert owed["pci-acquirer"].due_at == "2026-11-24T14:00:01.000000Z"


def deliver(ctx: Context, inc: str, channel: str) -> None:
    """Record a delivery as the outbox worker (issue 16's notifier) does: a
    `notification.delivered` on the incident's chain with its projections, in one transaction.
    At merge this becomes the notifier's own command."""
    from fireline.events import validate_payload

    payload = validate_payload(
        "notification.delivered",
        {
            "channel": channel,
            "notification_id": "n-1",
            "event_seq": 1,
            "event_kind": "incident.declared",
            "status": 200,
            "attempt": 1,
        },
    )
    with ctx.work.transaction() as conn:
        head = ledger.lock(conn, inc)
        events = ledger.append(
            conn,
            inc,
            [("notification.delivered", payload)],
            head=head,
            actor="notifier:outbox",
            ts=iso_utc(ctx.clock()),
            signer=ctx.signer,
            policy=ctx.policy.digest,
        )
        for event in events:
            projections.apply(conn, event)


def test_a_delivery_to_a_rule_channel_meets_the_obligation(ctx: Context, clock: Clock) -> None:
    gdpr(ctx)
    inc = declare(ctx, "SEV1", flags=("personal-data-breach",))
    deliver(ctx, inc, "ops-slack")  # not a channel of the rule
    assert obligations(ctx, inc)["legal-privacy"].status == "open"
    deliver(ctx, inc, "legal")
    met = obligations(ctx, inc)["legal-privacy"]
    assert (met.status, met.channel, met.met_by) == ("met", "legal", "notifier:outbox")
    assert obligations(ctx, inc)["supervisory-authority"].status == "open"  # no channel
    clock.advance(days=4)
    missed = [e.payload for e in tick(ctx, clock.now) if e.kind == "obligation.missed"]
    assert [p["name"] for p in missed if p] == ["supervisory-authority"]


def test_a_delivery_after_the_due_time_does_not_meet_it(ctx: Context, clock: Clock) -> None:
    gdpr(ctx)
    inc = declare(ctx, "SEV1", flags=("personal-data-breach",))
    clock.advance(hours=25)
    deliver(ctx, inc, "legal")
    assert obligations(ctx, inc)["legal-privacy"].status == "open"
    recorded = [e.payload for e in tick(ctx, clock.now) if e.kind == "obligation.missed"]
    assert [p["name"] for p in recorded if p] == ["legal-privacy"]
    assert obligations(ctx, inc)["legal-privacy"].status == "missed"


def test_meet_records_evidence_and_refuses_a_second_meeting(ctx: Context, clock: Clock) -> None:
    on_ladder(ctx, "classic")
    inc = declare(ctx, "SEV1")
    event = run(ctx, MeetObligation(incident_id=inc, name="response", evidence="bridge 4411"))[0]
    assert event.kind == "obligation.met"
    met = obligations(ctx, inc)["response"]
    assert (met.status, met.met_by, met.evidence) == ("met", "alice", "bridge 4411")
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match="already met at .* by alice"):
        run(ctx, MeetObligation(incident_id=inc, name="response", evidence="again"))
    assert snapshot(ctx.engine) == before
    clock.advance(hours=1)  # 15:00:03: two update slots passed, and the customer notice
    assert kinds(tick(ctx, clock.now)) == ["update.overdue"] * 2 + ["obligation.missed"]


@pytest.mark.parametrize(
    ("name", "evidence", "at", "error", "message"),
    [
        ("nope", "x", None, NotFoundError, "no obligation 'nope' on .*: response, customer-notice"),
        ("response", " ", None, InvalidCommandError, "--evidence must not be empty"),
        ("response", "x", "2026-11-23T13:00:00Z", InvalidCommandError, "before obligation"),
        ("customer-notice", "x", None, PolicyDeniedError, "or the comms role may record"),
    ],
)
def test_meet_refuses_bad_input_and_writes_nothing(
    ctx: Context, name: str, evidence: str, at: str | None, error: type[Exception], message: str
) -> None:
    on_ladder(ctx, "classic")
    inc = declare(ctx, "SEV1")
    before = snapshot(ctx.engine)
    moment = None if at is None else datetime.fromisoformat(at)
    command = MeetObligation(incident_id=inc, name=name, evidence=evidence, at=moment)
    with pytest.raises(error, match=message):
        run(ctx, command, "bob" if error is PolicyDeniedError else "alice")
    assert snapshot(ctx.engine) == before


def test_a_missed_or_late_obligation_cannot_be_met(ctx: Context, clock: Clock) -> None:
    on_ladder(ctx, "classic")
    inc = declare(ctx, "SEV1")
    clock.advance(minutes=20)  # response was due 14:15:01
    with pytest.raises(InvalidCommandError, match="is late, so it is missed"):
        run(ctx, MeetObligation(incident_id=inc, name="response", evidence="x"))
    tick(ctx, clock.now)
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match="was missed"):
        run(ctx, MeetObligation(incident_id=inc, name="response", evidence="x"))
    assert snapshot(ctx.engine) == before
    # Met on time, recorded late: --at says when.
    on_time = datetime.fromisoformat("2026-11-23T14:25:00Z")
    run(ctx, MeetObligation(incident_id=inc, name="customer-notice", evidence="x", at=on_time))
    assert obligations(ctx, inc)["customer-notice"].closed_at == "2026-11-23T14:25:00.000000Z"


def test_nobody_but_the_scheduler_records_deadlines(ctx: Context, clock: Clock) -> None:
    from fireline.commands import RecordDeadlines

    inc = declare(ctx, "SEV0")
    clock.advance(hours=1)
    before = snapshot(ctx.engine)
    with pytest.raises(PolicyDeniedError, match="only the deadline scheduler"):
        run(ctx, RecordDeadlines(incident_id=inc, at=clock.now))
    with pytest.raises(InvalidCommandError, match="ahead of the clock"):
        tick(ctx, clock.now + timedelta(hours=1))
    assert snapshot(ctx.engine) == before


def test_rebuild_replays_obligations_and_marks(ctx: Context, clock: Clock) -> None:
    from fireline.service import rebuild

    gdpr(ctx)
    inc = declare(ctx, "SEV1", flags=("personal-data-breach",))
    deliver(ctx, inc, "legal")
    clock.advance(days=4)
    tick(ctx, clock.now)
    before = snapshot(ctx.engine)
    rebuild(ctx, actor=ActorId("alice"))
    assert snapshot(ctx.engine) == before


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[obligations.x]\nowner = "ic"\nwithin = "1h"\nwhen_flags = ["policy-bypass"]', "title"),
        (
            '[obligations.x]\ntitle = "t"\nowner = "nobody"\nfrom_ladder = "response_minutes"',
            "unknown owner role 'nobody'",
        ),
        (
            '[obligations.x]\ntitle = "t"\nowner = "ic"\nwithin = "soon"\nwhen_flags = ["x"]',
            "within",
        ),
        (
            '[obligations.x]\ntitle = "t"\nowner = "ic"\nwithin = "1h"\nwhen_flags = ["gdpr"]',
            "unknown flag 'gdpr'",
        ),
        ('[obligations.x]\ntitle = "t"\nowner = "ic"\nwithin = "1h"', "needs from_ladder"),
        ('[obligations.x]\ntitle = "t"\nowner = "ic"\nfrom_ladder = "rank"', "from_ladder 'rank'"),
        ('[obligations.X]\ntitle = "t"', "lowercase"),
        ('[obligations.x]\ncolour = "red"', "unknown key 'colour'"),
        ('[obligations.customer-notice]\nchannels = "statuspage"', "list of names"),
    ],
)
def test_invalid_rule_config_is_one_line(tmp_path: Any, table: str, message: str) -> None:
    path = tmp_path / "fireline.toml"
    path.write_text(table)
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings({"FIRELINE_CONFIG": str(path)})
    assert "\n" not in str(caught.value)


def test_a_built_in_rule_takes_channels_from_config(tmp_path: Any) -> None:
    path = tmp_path / "fireline.toml"
    path.write_text('[obligations.customer-notice]\nchannels = ["statuspage", "email"]\n')
    rules = {r.name: r for r in load_settings({"FIRELINE_CONFIG": str(path)}).obligation_rules}
    assert rules["customer-notice"].channels == ("statuspage", "email")
    assert rules["customer-notice"].from_ladder == "customer_notice_minutes"
    assert rules["response"] == ObligationRule(
        "response", "meet the level's response target", "ic", from_ladder="response_minutes"
    )


@pytest.mark.parametrize(("text", "ok"), [("0", True), ("10m", True), ("2d", False), ("x", False)])
def test_update_reminder_setting(text: str, ok: bool) -> None:
    if ok:
        assert load_settings({"FIRELINE_UPDATE_REMINDER": text}).update_reminder >= timedelta(0)
    else:
        with pytest.raises(ConfigError, match="update_reminder"):
            load_settings({"FIRELINE_UPDATE_REMINDER": text})
