"""Channels and subscriptions: the registry chain's `channel.*` / `subscription.*` events.

A channel's secret is not here (it is in no event): `channel_secrets` keeps it, outside the
projections, so a rebuild restores every channel and keeps what it sends with.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from fireline.db import channels, subscriptions
from fireline.ledger.chain import Event
from fireline.projections.kinds import Applier, Payload

_SETTINGS = ("url_host", "to", "sender", "smtp_host", "smtp_port", "smtp_tls", "smtp_user")


def _channel_added(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        channels.insert(),
        {
            "name": p["name"],
            "kind": p["kind"],
            "restricted": p["restricted"],
            "drills": p["drills"],
            "settings": {key: p[key] for key in _SETTINGS if p.get(key)},
            "secret_sha256": p["secret_sha256"],
            "added_at": event.ts,
            "added_by": event.actor,
        },
    )


def _channel_removed(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(subscriptions.delete().where(subscriptions.c.channel == p["name"]))
    conn.execute(channels.delete().where(channels.c.name == p["name"]))


def _subscription_added(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        subscriptions.insert(),
        {
            "id": event.seq,
            "channel": p["channel"],
            "severities": p["severities"],
            "events": p["events"],
            "labels": p["labels"],
            "added_at": event.ts,
            "added_by": event.actor,
        },
    )


HANDLERS: dict[str, Applier] = {
    "channel.added": _channel_added,
    "channel.removed": _channel_removed,
    "subscription.added": _subscription_added,
    # notification.delivered / .failed change no state table: the outbox row is settled by
    # the RecordDelivery handler in the same transaction, and the timeline row is the record.
}
