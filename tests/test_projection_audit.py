"""Projections are verified too: a state row edited behind fireline's back is named by
`verify`, never turns a freeze into "no deploy freeze", and makes the closure gates refuse.

Rows are edited as an adversary with write access to the database would: sqlite3 straight
on the file, or SQL on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from fireline.commands import (
    AddActionItem,
    AddEvidence,
    AddUser,
    CreateToken,
    DraftPostmortem,
    GrantBreakglass,
    LogEntry,
    MarkDataset,
    PublishUpdate,
    RecordDrill,
    RequestGateException,
    SchedulePostmortem,
    SetPassword,
    SetSwitch,
    Transition,
)
from fireline.db import PROJECTION_TABLES, metadata
from fireline.deadlines import tick
from fireline.deadlines.rules import ObligationRule
from fireline.domain import IncidentId
from fireline.errors import IntegrityError
from fireline.freeze import check as check_freeze
from fireline.integrity import check_freeze_record, load_store_public_key
from fireline.projections.audit import compare_store
from fireline.service import Context
from tests.conftest import Cli, Clock, Store
from tests.factories import make_incident, run, snapshot

# Tables that are not projections: the ledger, its signed records, the transparency log, the
# runbook cache and the accounts' operational state (token last use, login throttle).
RECORD_TABLES = {
    "events",
    "heads",
    "tlog_leaves",
    "tlog_nodes",
    "tlog_head",
    "tlog_checkpoints",
    "freeze_record",
    "freeze_entries",
    "runbook_index",
    "token_usage",
    "login_throttle",
    "alert_source_keys",  # a generic source's HMAC key: held, never on a chain or exported
    "channel_secrets",  # a channel's URL or password: held, never on a chain or exported
    "outbox",  # delivery state; each outcome is on the incident's chain as notification.*
}
ARGON2ID = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"


def populate(ctx: Context) -> IncidentId:
    """A store with at least one row in every projection table; returns the freezing SEV1."""
    run(ctx, AddUser(name="alice", roles=("admin", "commander")))
    run(ctx, AddUser(name="erin", roles=("steward",)))
    run(ctx, SetPassword(user="erin", password_hash=ARGON2ID))
    token = CreateToken(
        user="erin",
        token_id="0123456789ab",
        name="ci",
        scope="read",
        sha256="ab" * 32,
        expires_in=timedelta(days=30),
    )
    run(ctx, token)
    # An obligation on the `internal` label, so the obligations table has a row to tamper with.
    legal = ObligationRule(
        "legal", "tell legal", "ic", when_labels=("internal",), within=timedelta(minutes=30)
    )
    ctx.settings = replace(ctx.settings, obligation_rules=(*ctx.settings.obligation_rules, legal))
    inc = make_incident(ctx, labels=("internal",))
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="5xx at 38%"))
    run(
        ctx,
        PublishUpdate(incident_id=inc, impact="search degraded", facts=("rollback",), public=True),
    )
    run(ctx, DraftPostmortem(incident_id=inc, template="kfm"))
    drill = make_incident(ctx, title="Q4 tabletop", drill=True)
    run(ctx, RecordDrill(incident_id=drill, kind="tabletop-sev2", outcome="comms were late"))
    run(ctx, AddActionItem(incident_id=inc, title="add a regression test", owner="carol"))
    run(
        ctx,
        GrantBreakglass(
            incident_id=inc, to="dave", scope="db", why="x", expires_in=timedelta(hours=1)
        ),
    )
    run(ctx, RequestGateException(incident_id=inc, gate="resolved", justification="drill"))
    run(ctx, AddEvidence(incident_id=inc, kind="dashboard", ref="grafana:api-5xx"))
    _alerts(ctx)
    _notifications_and_postmortem(ctx, inc)
    run(ctx, SchedulePostmortem(incident_id=inc, due=date(2026, 12, 1), owner="carol"))
    assert isinstance(ctx.clock, Clock)
    ctx.clock.advance(hours=1)  # the update and the obligation fall due: deadline marks
    assert tick(ctx, ctx.clock.now)
    run(ctx, SetSwitch(incident_id=inc, name="promotions", state="paused", reason="halt"))
    run(ctx, MarkDataset(incident_id=inc, dataset="cat-2026:v12", state="confirmed", reason="x"))
    with ctx.engine.connect() as conn:
        empty = [t.name for t in PROJECTION_TABLES if conn.execute(sa.select(t)).first() is None]
    assert empty == []  # a new projection table needs a row here, so its tamper test bites
    return inc


def _notifications_and_postmortem(ctx: Context, inc: IncidentId) -> None:
    """A channel with a subscription, and a postmortem draft: rows in their tables."""
    from fireline.commands import AddChannel, DraftPostmortem, Subscribe

    run(ctx, AddChannel(name="ops", kind="slack", url="https://hooks.slack.com/services/T/B/x"))
    run(ctx, Subscribe(channel="ops", events=("declared",)))
    run(ctx, DraftPostmortem(incident_id=inc, template="ir"))


def _alerts(ctx: Context) -> None:
    """A source, a recorded delivery and its routing: a row in every alert table."""
    from fireline.commands import AddSource, RecordAlerts, RecordRouting
    from fireline.service.alerts import group_id

    run(ctx, AddSource(name="prom", kind="alertmanager", secret_sha256="cd" * 32))
    gid = group_id("prom", "g")
    alert: dict[str, object] = {
        "fingerprint": "f1",
        "status": "firing",
        "starts_at": "2026-12-03T14:00:00.000000Z",
        "ends_at": None,
        "labels": {"alertname": "X", "service": "api"},
        "annotations": {"summary": "x"},
        "group_id": gid,
        "group_key": "g",
        "group_labels": {"alertname": "X"},
    }
    run(ctx, RecordAlerts(source="prom", body_sha256="ef" * 32, alerts=(alert,)), "intake:prom")
    routed = RecordRouting(source="prom", group_id=gid, status="firing", action="record")
    run(ctx, routed, "intake:prom")


def execute_sql(store: Store, sql: str, params: dict[str, Any]) -> None:
    """Change the store behind fireline's back: sqlite3 on the file, or plain SQL."""
    if store.backend == "sqlite":
        with sqlite3.connect(store.sqlite_file) as raw:
            raw.execute(sql, params)
        raw.close()
        return
    engine = sa.create_engine(store.settings.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def first_row(ctx: Context, table: sa.Table) -> dict[str, Any]:
    keys = list(table.primary_key.columns)
    with ctx.engine.connect() as conn:
        row = conn.execute(sa.select(table).order_by(*keys).limit(1)).one()
    return dict(row._mapping)


def where_key(table: sa.Table, row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    names = [c.name for c in table.primary_key.columns]
    return " AND ".join(f'"{n}" = :k_{n}' for n in names), {f"k_{n}": row[n] for n in names}


def changed(value: Any) -> Any:
    """Another value of the same kind and length (a column may be VARCHAR(n)), as the driver
    takes it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("y" if value.endswith("x") else "x") if value else "x"
    return json.dumps(["tampered"])


def verify_line(cli: Cli) -> str:
    result = cli("verify")
    assert result.exit_code == IntegrityError.exit_code, result.output
    return result.stderr.strip()


def test_every_table_is_a_projection_or_a_record() -> None:
    """A table added to the schema must be audited (a projection) or named here on purpose."""
    projections = {t.name for t in PROJECTION_TABLES}
    assert set(metadata.tables) == projections | RECORD_TABLES
    assert not projections & RECORD_TABLES


def test_a_legitimate_store_verifies_clean(ctx: Context, cli: Cli) -> None:
    inc = populate(ctx)
    run(ctx, Transition(incident_id=inc, status="investigating"))
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "projections replayed" in result.stdout


@pytest.mark.parametrize("table", PROJECTION_TABLES, ids=lambda t: t.name)
def test_verify_names_the_edited_row_and_column(
    ctx: Context, cli: Cli, store: Store, table: sa.Table
) -> None:
    populate(ctx)
    row = first_row(ctx, table)
    column = next(c.name for c in table.columns if not c.primary_key and row[c.name] is not None)
    where, params = where_key(table, row)
    value = changed(row[column])
    execute_sql(
        store, f'UPDATE {table.name} SET "{column}" = :v WHERE {where}', {**params, "v": value}
    )
    line = verify_line(cli)
    assert f"projection {table.name} row (" in line
    assert f"column {column}:" in line
    for name in params:
        assert f"{name[2:]}={row[name[2:]]}" in line


@pytest.mark.parametrize("table", PROJECTION_TABLES, ids=lambda t: t.name)
def test_verify_names_a_deleted_row(ctx: Context, cli: Cli, store: Store, table: sa.Table) -> None:
    populate(ctx)
    row = first_row(ctx, table)
    where, params = where_key(table, row)
    execute_sql(store, f"DELETE FROM {table.name} WHERE {where}", params)
    line = verify_line(cli)
    assert f"projection {table.name} row (" in line
    assert "missing: the ledger gives this row" in line


def test_verify_names_a_row_no_event_produces(ctx: Context, cli: Cli, store: Store) -> None:
    populate(ctx)
    execute_sql(
        store,
        "INSERT INTO users (name, roles, clearances, added_at, added_by, updated_at) "
        "VALUES ('mallory', '[\"admin\"]', '[]', 'x', 'mallory', 'x')",
        {},
    )
    line = verify_line(cli)
    assert "projection users row (name=mallory): no event produces this row" in line


def test_verify_leaves_the_store_untouched(ctx: Context, cli: Cli) -> None:
    populate(ctx)
    before = snapshot(ctx.engine)
    assert cli("verify").exit_code == 0
    assert snapshot(ctx.engine) == before


FREEZE_EDITS = [
    ("UPDATE incidents SET status = 'resolved' WHERE id = :i", "status"),
    ("UPDATE incidents SET freeze_lifted_at = '2026-11-23T14:00:00Z' WHERE id = :i", "lifted"),
    ("UPDATE incidents SET severity = 'SEV3' WHERE id = :i", "severity"),
    ("UPDATE incidents SET labels = '[]' WHERE id = :i", "labels"),
    ("DELETE FROM role_assignments WHERE incident_id = :i", "roles"),
    ("DELETE FROM freeze_entries WHERE incident_id = :i", "entry"),
    ("UPDATE freeze_record SET root = '00' WHERE id = 1", "root"),
    ("DELETE FROM freeze_record", "record"),
]


@pytest.mark.parametrize(("sql", "what"), FREEZE_EDITS, ids=[w for _s, w in FREEZE_EDITS])
def test_freeze_check_never_clears_a_freeze_on_edited_rows(
    ctx: Context, store: Store, sql: str, what: str
) -> None:
    inc = populate(ctx)
    settings = ctx.settings

    def check() -> list[tuple[str, str, str]]:
        return check_freeze(
            settings.database_url,
            actor="alice",
            policy_dir=None,
            public_key_path=settings.public_key_path,
        ).shown

    assert [i for i, _sev, _status in check()] == [inc]
    execute_sql(store, sql, {"i": inc} if ":i" in sql else {})
    with pytest.raises(IntegrityError, match="cannot tell whether deploys are frozen"):
        check()
    process = subprocess.run(
        [sys.executable, "-m", "fireline", "freeze", "check"],
        env={**os.environ, **store.env, "FIRELINE_ACTOR": "alice"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == IntegrityError.exit_code
    assert "no deploy freeze" not in process.stdout
    assert process.stderr.startswith("fireline: error: cannot tell whether deploys are frozen")
    assert len(process.stderr.splitlines()) == 1


def test_freeze_check_names_the_incident_that_does_not_match(ctx: Context, store: Store) -> None:
    inc = populate(ctx)
    execute_sql(store, 'UPDATE incidents SET "freeze" = :f WHERE id = :i', {"f": False, "i": inc})
    settings = ctx.settings
    with pytest.raises(IntegrityError, match=f"{inc}'s state does not match the signed freeze"):
        check_freeze(
            settings.database_url,
            actor="alice",
            policy_dir=None,
            public_key_path=settings.public_key_path,
        )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE incidents SET impact = '' WHERE id = :i",
        "UPDATE action_items SET due = '2026-12-01' WHERE incident_id = :i",
        "UPDATE gate_exceptions SET justification = 'y' WHERE incident_id = :i",
        "UPDATE checklist_items SET checked = :t WHERE incident_id = :i",
        "DELETE FROM timeline WHERE incident_id = :i AND kind = 'entry.fact'",
        "UPDATE breakglass SET revoked_at = 'x' WHERE incident_id = :i",
    ],
)
def test_the_gates_refuse_to_read_edited_rows(
    ctx: Context, cli: Cli, store: Store, sql: str
) -> None:
    inc = populate(ctx)
    execute_sql(store, sql, {"i": inc, "t": True} if ":t" in sql else {"i": inc})
    before = snapshot(ctx.engine)
    with pytest.raises(IntegrityError, match=f"{inc}'s state does not match its ledger"):
        run(ctx, Transition(incident_id=inc, status="investigating"))
    assert snapshot(ctx.engine) == before  # nothing written
    result = cli("gates", inc, actor="alice")
    assert result.exit_code == IntegrityError.exit_code
    assert result.stderr.startswith("fireline: error: cannot evaluate the gates:")


def test_a_write_refuses_to_re_sign_edited_freeze_state(ctx: Context, store: Store) -> None:
    """Rows edited to lift a freeze are not laundered into a fresh signature by the next write."""
    inc = populate(ctx)
    execute_sql(store, "UPDATE incidents SET status = 'resolved' WHERE id = :i", {"i": inc})
    before = snapshot(ctx.engine)
    with pytest.raises(IntegrityError, match="does not match the signed freeze record"):
        run(ctx, LogEntry(incident_id=inc, kind="fact", text="still down"))
    assert snapshot(ctx.engine) == before


def test_rebuild_restores_a_store_whose_rows_were_edited(
    ctx: Context, cli: Cli, store: Store
) -> None:
    inc = populate(ctx)
    execute_sql(store, "UPDATE incidents SET status = 'resolved' WHERE id = :i", {"i": inc})
    assert cli("rebuild", actor="alice").exit_code == 0
    assert cli("verify").exit_code == 0
    frozen = cli("freeze", "check", actor="alice")
    assert (frozen.exit_code, frozen.stdout.splitlines()[0]) == (
        1,
        f"FROZEN by {inc} (SEV1, declared)",
    )


def test_the_audit_api_agrees_on_a_clean_store(ctx: Context) -> None:
    populate(ctx)
    with ctx.engine.connect() as conn:
        assert compare_store(conn) is None
        key = load_store_public_key(ctx.settings.public_key_path)
        assert check_freeze_record(conn, key) is None
