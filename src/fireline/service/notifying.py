"""Handlers for notifications: channels and subscriptions (registry chain), delivery records.

A channel's secret never enters an event: the handler's effect writes it to `channel_secrets`
in the same transaction, and `channel.added` carries its digest. `RecordDelivery` is the
outbox worker's result for one row: the event lands on the incident's chain and the row is
settled in the same transaction, so the record and the outbox can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from fireline.commands import AddChannel, RecordDelivery, RemoveChannel, Subscribe
from fireline.db import channel_secrets, channels
from fireline.domain import REGISTRY_CHAIN, IncidentId, iso_utc, require_text
from fireline.errors import InvalidCommandError, NotFoundError
from fireline.notify import channel_config, outbox
from fireline.notify.routing import parse_event_names, split_list
from fireline.service.plan import Call, Plan

REASON_LIMIT = 500


def _exists(call: Call, name: str) -> bool:
    found = call.conn.execute(sa.select(channels.c.name).where(channels.c.name == name)).first()
    return found is not None


def _add_channel(call: Call, cmd: AddChannel) -> Plan:
    spec = channel_config.validate(
        name=cmd.name,
        kind=cmd.kind,
        url=cmd.url,
        to=cmd.to,
        sender=cmd.sender,
        smtp_host=cmd.smtp_host,
        smtp_port=cmd.smtp_port,
        smtp_tls=cmd.smtp_tls,
        smtp_user=cmd.smtp_user,
        smtp_password=cmd.smtp_password,
        signing_secret=cmd.signing_secret,
        restricted=cmd.restricted,
        drills=cmd.drills,
    )
    name = spec.public["name"]
    if _exists(call, name):
        raise InvalidCommandError(
            f"channel {name} already exists; remove it first with `fireline channel remove`"
        )
    conn = call.conn

    def keep_secret() -> None:
        conn.execute(channel_secrets.delete().where(channel_secrets.c.name == name))
        conn.execute(
            channel_secrets.insert(),
            {"name": name, "sha256": spec.public["secret_sha256"], "secret": spec.secret_json},
        )

    return Plan(
        IncidentId(REGISTRY_CHAIN), [("channel.added", spec.public)], effects=(keep_secret,)
    )


def _remove_channel(call: Call, cmd: RemoveChannel) -> Plan:
    name = channel_config.parse_name(cmd.name)
    if not _exists(call, name):
        raise NotFoundError(f"no channel {name}")
    conn = call.conn

    def forget_secret() -> None:
        conn.execute(channel_secrets.delete().where(channel_secrets.c.name == name))

    return Plan(
        IncidentId(REGISTRY_CHAIN), [("channel.removed", {"name": name})], effects=(forget_secret,)
    )


def _severities(call: Call, values: tuple[str, ...]) -> list[str]:
    """Severity names as some configured ladder spells them (SEV1, P2, …)."""
    known = {
        level.name.upper(): level.name
        for ladder in call.ctx.settings.ladders.values()
        for level in ladder.levels
    }
    out = []
    for value in split_list(values):
        key = value.upper()
        if key.isdigit():
            key = f"SEV{key}"
        if key not in known:
            raise InvalidCommandError(
                f"unknown severity {value!r}; configured: {', '.join(sorted(known.values()))}"
            )
        out.append(known[key])
    return list(dict.fromkeys(out))


def _subscribe(call: Call, cmd: Subscribe) -> Plan:
    name = channel_config.parse_name(cmd.channel)
    if not _exists(call, name):
        raise NotFoundError(f"no channel {name}; add it with `fireline channel add`")
    payload = {
        "channel": name,
        "events": parse_event_names(cmd.events),
        "severities": _severities(call, cmd.severities),
        "labels": [require_text("--label", label, limit=200) for label in split_list(cmd.labels)],
    }
    return Plan(IncidentId(REGISTRY_CHAIN), [("subscription.added", payload)])


def _record_delivery(call: Call, cmd: RecordDelivery) -> Plan:
    leased = outbox.get_leased(call.conn, [r.notification_id for r in cmd.results], cmd.lease_owner)
    drafts: list[tuple[str, dict[str, Any]]] = []
    settles: list[dict[str, Any]] = []
    at = iso_utc(call.now)
    for result in cmd.results:
        row = leased.get(result.notification_id)
        if row is None or row.incident_id != call.incident.id:
            raise InvalidCommandError(
                f"outbox row {result.notification_id} is not leased by {cmd.lease_owner} "
                "(delivered already, or its lease ran out and another worker holds it)"
            )
        attempt = row.attempts + 1
        common: dict[str, Any] = {
            "channel": row.channel,
            "notification_id": row.id,
            "event_seq": row.event_seq,
            "event_kind": row.event_kind,
            "attempt": attempt,
        }
        if result.delivered:
            drafts.append(("notification.delivered", {**common, "status": result.status or 0}))
            state, due, error = outbox.DELIVERED, None, None
        else:
            error = (result.reason or "unknown failure")[:REASON_LIMIT]
            drafts.append(("notification.failed", {**common, "reason": error, "dead": result.dead}))
            state = outbox.DEAD if result.dead else outbox.QUEUED
            due = result.retry_at
        settles.append(
            {
                "nid": row.id,
                "state": state,
                "attempts": attempt,
                "at": at,
                "due_at": due,
                "status": result.status,
                "error": error,
            }
        )
    if not drafts:
        raise InvalidCommandError("no delivery results to record")
    conn = call.conn

    def settle() -> None:
        outbox.settle(conn, settles)

    return Plan(call.incident.id, drafts, effects=(settle,))


NOTIFY_REGISTRY_COMMANDS = (AddChannel, RemoveChannel, Subscribe)
NOTIFY_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    AddChannel: _add_channel,
    RemoveChannel: _remove_channel,
    Subscribe: _subscribe,
    RecordDelivery: _record_delivery,
}
