"""Notifications end to end: channels, subscriptions, the outbox and real loopback receivers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from standardwebhooks.webhooks import Webhook
from werkzeug import Request, Response

from fireline.commands import AddChannel, Declare, LogEntry, PublishUpdate, Subscribe
from fireline.db import channel_secrets, events, outbox
from fireline.errors import InvalidCommandError
from fireline.ledger import store as ledger
from fireline.notify.worker import Worker, backoff
from fireline.service import Context
from tests.conftest import Cli, Clock, Store
from tests.factories import make_incident, run
from tests.receivers import smtp_server, starttls_smtp_server

SIGNING = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PII = "caller jane.doe@example.com at +1 415 555 0100 from 10.1.2.3 near 38.89771, -77.03653"
SECRET = "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"


def add_channel(ctx: Context, name: str, kind: str, url: str = "", **extra: Any) -> None:
    run(ctx, AddChannel(name=name, kind=kind, url=url or None, **extra))


def rows(ctx: Context) -> list[Any]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(sa.select(outbox).order_by(outbox.c.event_seq, outbox.c.channel)))


def drain(ctx: Context) -> int:
    worker = Worker(ctx, concurrency=2)
    try:
        total = 0
        while (done := worker.tick()) > 0:
            total += done
        return total
    finally:
        worker.close()


def tick_once(ctx: Context) -> int:
    worker = Worker(ctx, concurrency=2)
    try:
        return worker.tick()
    finally:
        worker.close()


def chain_kinds(ctx: Context, incident_id: str) -> list[tuple[str, Any]]:
    with ctx.engine.connect() as conn:
        return [(e.kind, e.payload or {}) for e in ledger.read_events(conn, incident_id)]


def test_channel_add_refuses_bad_config_in_one_line_and_writes_nothing(
    cli: Cli, ctx: Context
) -> None:
    cases = [
        (["--kind", "pager"], "unknown channel kind"),
        (["--kind", "slack"], "needs --url"),
        (["--kind", "slack", "--url", "http://hooks.example.com/x"], "must use https"),
        (["--kind", "slack", "--url", "ftp://hooks.example.com/x"], "https:// URL"),
        (
            ["--kind", "webhook", "--url", "https://u:p@siem.example/x"],
            "must not carry credentials",
        ),
        (["--kind", "email", "--smtp-host", "mail.example"], "at least one --to"),
        (
            [
                "--kind",
                "email",
                "--to",
                "not-an-address",
                "--smtp-host",
                "m.example",
                "--from",
                "a@b.co",
            ],
            "not an e-mail",
        ),
        (
            [
                "--kind",
                "email",
                "--to",
                "a@b.co",
                "--smtp-host",
                "m.example",
                "--from",
                "f@b.co",
                "--smtp-tls",
                "none",
            ],
            "loopback",
        ),
        (
            ["--kind", "webhook", "--url", "https://siem.example/x", "--signing-secret", "nope"],
            "whsec_",
        ),
    ]
    for args, expected in cases:
        result = cli("channel", "add", "bad", *args)
        assert result.exit_code != 0, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert expected in lines[0], (args, result.stderr)
    with ctx.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar() == 0
        assert conn.execute(sa.select(channel_secrets)).first() is None


def test_channel_secret_is_kept_off_the_chain_and_out_of_every_listing(
    cli: Cli, ctx: Context
) -> None:
    url = "https://hooks.slack.com/services/T000/B000/s3cr3tPathPart"
    added = cli("channel", "add", "ops-slack", "--kind", "slack", "--url", url)
    assert added.exit_code == 0, added.stderr
    assert "s3cr3tPathPart" not in added.stdout
    listed = cli("channel", "list", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["where"] == "hooks.slack.com"
    assert "s3cr3tPathPart" not in listed.stdout
    with ctx.engine.connect() as conn:
        stored = [r.payload for r in conn.execute(sa.select(events.c.payload))]
        assert not any("s3cr3tPathPart" in (p or "") for p in stored)
        secret = conn.execute(sa.select(channel_secrets.c.secret)).scalar()
    assert json.loads(str(secret))["url"] == url
    again = cli("channel", "add", "ops-slack", "--kind", "slack", "--url", url)
    assert again.exit_code != 0
    assert "already exists" in again.stderr


def test_subscribe_refuses_unknown_events_and_channels(cli: Cli) -> None:
    assert (
        cli(
            "channel", "add", "hook", "--kind", "webhook", "--url", "http://127.0.0.1:9/x"
        ).exit_code
        == 0
    )
    bad = cli("subscribe", "hook", "--events", "declared,teleported")
    assert bad.exit_code != 0
    assert "unknown event name 'teleported'" in bad.stderr
    missing = cli("subscribe", "nope", "--events", "declared")
    assert missing.exit_code != 0
    assert "no channel nope" in missing.stderr
    sev = cli("subscribe", "hook", "--events", "declared", "--severity", "SEV9")
    assert sev.exit_code != 0
    assert "unknown severity" in sev.stderr


def test_outbox_rows_commit_with_their_events_and_refusals_leave_none(ctx: Context) -> None:
    add_channel(ctx, "hook", "webhook", "http://127.0.0.1:9/x")
    run(ctx, Subscribe(channel="hook", events=("declared", "entry")))
    incident = make_incident(ctx)
    run(ctx, LogEntry(incident_id=incident, kind="fact", text="5xx at 38%"))
    with pytest.raises(InvalidCommandError):
        run(ctx, LogEntry(incident_id=incident, kind="fact", text=""))
    found = rows(ctx)
    assert [(r.event_seq, r.event_kind) for r in found][:1] == [(1, "incident.declared")]
    assert {r.event_kind for r in found} == {"incident.declared", "entry.fact"}
    assert len({r.id for r in found}) == len(found)


def test_every_channel_kind_gets_its_shape_and_a_restricted_incident_only_where_allowed(
    ctx: Context, httpserver: HTTPServer
) -> None:
    got: dict[str, list[Request]] = {}

    def recorder(name: str) -> Any:
        def handle(request: Request) -> Response:
            got.setdefault(name, []).append(request)
            return Response("ok", 200)

        return handle

    for name in ("slack", "mattermost", "teams", "webhook", "open-slack"):
        httpserver.expect_request(f"/{name}").respond_with_handler(recorder(name))
    with smtp_server() as (box, port):
        for kind in ("slack", "mattermost", "teams"):
            add_channel(ctx, kind, kind, httpserver.url_for(f"/{kind}"), restricted=True)
        add_channel(
            ctx,
            "webhook",
            "webhook",
            httpserver.url_for("/webhook"),
            restricted=True,
            signing_secret=SIGNING,
        )
        add_channel(ctx, "open-slack", "slack", httpserver.url_for("/open-slack"))
        add_channel(
            ctx,
            "legal",
            "email",
            to=("legal@example.com",),
            sender="fireline@example.com",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_tls="none",
            restricted=True,
        )
        for name in ("slack", "mattermost", "teams", "webhook", "open-slack", "legal"):
            run(ctx, Subscribe(channel=name, events=("declared", "update")))
        incident = make_incident(
            ctx,
            title="Leak <!channel> & <script>alert(1)</script>",
            labels=("restricted",),
            impact=PII,
        )
        run(
            ctx,
            PublishUpdate(
                incident_id=incident,
                status=None,
                impact="search down",
                facts=(f"key {SECRET} was in the log", PII),
                hypotheses=("bad deploy 4f2c1e",),
            ),
        )
        assert drain(ctx) == 10
        mails = box.messages
    assert "open-slack" not in got  # not even the title
    everything = [r.get_data(as_text=True) for reqs in got.values() for r in reqs]
    everything += [m.as_string() for m in mails]
    for text in everything:
        assert SECRET not in text
        assert "jane.doe@example.com" not in text
        assert "10.1.2.3" not in text
        assert "38.89771" not in text
    slack = json.loads(got["slack"][1].get_data())
    assert slack["blocks"][0]["type"] == "header"
    assert "&lt;!channel&gt;" in slack["text"]
    assert "<!channel>" not in json.dumps(slack["blocks"][1])
    section = slack["blocks"][1]["text"]["text"]
    assert "What we know (facts)" in section
    assert "Current hypothesis (not established)" in section
    assert section.index("What we know") < section.index("bad deploy")
    mm = json.loads(got["mattermost"][0].get_data())
    assert "\\<script\\>" in mm["text"]
    teams = json.loads(got["teams"][0].get_data())
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    hook = got["webhook"][0]
    body = hook.get_data()
    verified = Webhook(SIGNING).verify(body, dict(hook.headers))
    assert verified["data"]["incident_id"] == incident
    assert hook.headers["webhook-id"] == verified["data"]["notification_id"]
    html_part = mails[0].get_body(("html",))
    assert html_part is not None
    assert "&lt;script&gt;" in html_part.get_content()
    assert "<script>" not in html_part.get_content()
    delivered = [p for k, p in chain_kinds(ctx, incident) if k == "notification.delivered"]
    assert len(delivered) == 10
    assert {p["status"] for p in delivered} == {200, 250}
    assert all(r.state == "delivered" for r in rows(ctx))


def test_a_4xx_is_dead_at_once_and_a_500_only_delays(
    ctx: Context, clock: Clock, httpserver: HTTPServer
) -> None:
    answers = iter([500, 503, 200])
    httpserver.expect_request("/flaky").respond_with_handler(
        lambda r: Response("busy", next(answers))
    )
    httpserver.expect_request("/gone").respond_with_data("no such hook", status=404)
    add_channel(ctx, "flaky", "mattermost", httpserver.url_for("/flaky"))
    add_channel(ctx, "gone", "mattermost", httpserver.url_for("/gone"))
    run(ctx, Subscribe(channel="flaky", events=("declared",)))
    run(ctx, Subscribe(channel="gone", events=("declared",)))
    incident = make_incident(ctx)
    tick_once(ctx)
    states = {r.channel: r for r in rows(ctx)}
    assert states["gone"].state == "dead"
    assert "HTTP 404: no such hook" in states["gone"].last_error
    assert states["flaky"].state == "queued"
    assert states["flaky"].attempts == 1
    for _ in range(2):
        clock.advance(seconds=3600)
        tick_once(ctx)
    states = {r.channel: r for r in rows(ctx)}
    assert states["flaky"].state == "delivered"
    assert states["flaky"].attempts == 3
    record = chain_kinds(ctx, incident)
    failed = [p for k, p in record if k == "notification.failed"]
    assert [p["dead"] for p in failed if p["channel"] == "gone"] == [True]
    assert [p["attempt"] for p in failed if p["channel"] == "flaky"] == [1, 2]
    ids = {
        p["notification_id"]
        for k, p in record
        if k.startswith("notification.") and p["channel"] == "flaky"
    }
    assert len(ids) == 1  # every retry under the same id


def test_fireline_worker_once_delivers_what_is_due_then_exits(
    cli: Cli, ctx: Context, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    add_channel(ctx, "chat", "mattermost", httpserver.url_for("/hook"))
    run(ctx, Subscribe(channel="chat", events=("declared",)))
    make_incident(ctx)
    result = cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 notification attempts"
    assert [r.state for r in rows(ctx)] == ["delivered"]
    assert cli("worker", "--once").stdout.strip() == "0 notification attempts"


def test_unreachable_receiver_retries_then_goes_dead_after_max_attempts(
    ctx: Context, clock: Clock
) -> None:
    add_channel(ctx, "void", "slack", "http://127.0.0.1:9/nothing-listens")
    run(ctx, Subscribe(channel="void", events=("declared",)))
    make_incident(ctx)
    for _ in range(ctx.settings.notify_max_attempts):
        tick_once(ctx)
        clock.advance(seconds=ctx.settings.notify_backoff_cap + 1)
    [row] = rows(ctx)
    assert row.state == "dead"
    assert "cannot connect" in row.last_error
    assert f"gave up after {ctx.settings.notify_max_attempts} attempts" in row.last_error


def test_drills_reach_only_drill_channels(ctx: Context, httpserver: HTTPServer) -> None:
    add_channel(ctx, "real", "slack", httpserver.url_for("/real"))
    add_channel(ctx, "practice", "slack", httpserver.url_for("/practice"), drills=True)
    for name in ("real", "practice"):
        run(ctx, Subscribe(channel=name, events=("declared",)))
    run(ctx, Declare(title="Game day", severity="SEV2", ic="alice", impact="none", drill=True))
    assert [r.channel for r in rows(ctx)] == ["practice"]


def test_backoff_grows_with_jitter_and_stops_at_the_cap() -> None:
    import random

    rng = random.Random(7)
    delays = [backoff(n, base=2, cap=60, rng=rng) for n in range(1, 10)]
    assert 1 <= delays[0] <= 2
    assert 4 <= delays[2] <= 8
    assert all(30 <= d <= 60 for d in delays[6:])


def test_notification_records_refuse_anyone_but_the_notifier(ctx: Context) -> None:
    from fireline.commands import DeliveryResult, RecordDelivery
    from fireline.errors import FirelineError

    incident = make_incident(ctx)
    with pytest.raises(FirelineError):
        run(
            ctx,
            RecordDelivery(
                incident_id=incident,
                lease_owner="me",
                results=(DeliveryResult(notification_id="x", delivered=True),),
            ),
        )
    assert all(not k.startswith("notification.") for k, _ in chain_kinds(ctx, incident))


def test_email_goes_over_starttls_with_auth_and_a_wrong_password_is_dead_at_once(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with starttls_smtp_server(tmp_path, user="fireline", password="s3cret-pw") as (box, port, cert):
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test server's certificate
        common: dict[str, Any] = {
            "to": ("legal@example.com",),
            "sender": "fireline@example.com",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_tls": "starttls",
            "smtp_user": "fireline",
        }
        add_channel(ctx, "legal", "email", smtp_password="s3cret-pw", **common)
        add_channel(ctx, "wrong", "email", smtp_password="not-it", **common)
        for name in ("legal", "wrong"):
            run(ctx, Subscribe(channel=name, events=("declared",)))
        make_incident(ctx)
        drain(ctx)
        states = {r.channel: r for r in rows(ctx)}
        assert states["legal"].state == "delivered"
        assert states["legal"].status == 250
        assert states["wrong"].state == "dead", states["wrong"].last_error
        assert "SMTP login refused" in (states["wrong"].last_error or "")
        [mail] = box.messages
    assert mail["Message-ID"] == f"<{states['legal'].id}@fireline>"
    assert "[SEV1] Catalog API 5xx spike" in mail["Subject"]


def test_two_workers_at_once_never_send_a_row_twice(
    store: Store, ctx: Context, httpserver: HTTPServer
) -> None:
    import threading

    from fireline.service import open_context

    got: list[str] = []
    lock = threading.Lock()

    def receive(request: Request) -> Response:
        with lock:
            got.append(request.headers["webhook-id"])
        return Response("ok", 200)

    httpserver.expect_request("/hook").respond_with_handler(receive)
    add_channel(ctx, "hook", "webhook", httpserver.url_for("/hook"))
    run(ctx, Subscribe(channel="hook", events=("entry",)))
    incident = make_incident(ctx)
    for i in range(60):
        run(ctx, LogEntry(incident_id=incident, kind="fact", text=f"reading {i}"))

    def work() -> None:
        own = open_context(store.settings)
        worker = Worker(own, batch=7, concurrency=2)
        try:
            while worker.tick() > 0:
                pass
        finally:
            worker.close()
            own.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    drain(ctx)  # whatever a worker left when the other held the rest
    assert sorted(got) == sorted(r.id for r in rows(ctx))  # each exactly once
    assert {r.state for r in rows(ctx)} == {"delivered"}
