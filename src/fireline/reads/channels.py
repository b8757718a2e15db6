"""Channels, subscriptions and the outbox, for admins: what `channel list` and `outbox` show.

Store configuration, not incident content: the policy's `channel.list` / `outbox.read` decide
(admins, or anyone while the registry is empty). No secret is ever read here: a channel shows
the host it posts to, or its masked recipients.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from fireline.reads import Model
from fireline.reads.sight import DEFAULT_GRID, masked

if TYPE_CHECKING:
    from fireline.service import Context, Identity


def _authorised(ctx: Context, identity: Identity, action: str) -> None:
    from fireline import governance
    from fireline.db import read_only
    from fireline.domain import iso_utc
    from fireline.service import check_identity

    check_identity(ctx, identity)
    with read_only(ctx.engine) as conn:
        governance.authorize_operation(
            ctx.policy, conn, identity.actor, action, now=iso_utc(ctx.clock())
        )


def list_channels(ctx: Context, identity: Identity) -> Model:
    import sqlalchemy as sa

    from fireline.db import channels, read_only, subscriptions

    _authorised(ctx, identity, "channel.list")
    with read_only(ctx.engine) as conn:
        subs = conn.execute(sa.select(subscriptions).order_by(subscriptions.c.id)).all()
        found = []
        for row in conn.execute(sa.select(channels).order_by(channels.c.name)):
            settings = dict(row.settings)
            where = settings.get("url_host") or ", ".join(settings.get("to", []))
            found.append(
                {
                    "name": row.name,
                    "kind": row.kind,
                    "restricted": row.restricted,
                    "drills": row.drills,
                    "where": where,
                    "settings": {k: v for k, v in settings.items() if k != "url_host"},
                    "added_at": row.added_at,
                    "added_by": row.added_by,
                    "subscriptions": [
                        {
                            "id": s.id,
                            "events": s.events,
                            "severities": s.severities,
                            "labels": s.labels,
                        }
                        for s in subs
                        if s.channel == row.name
                    ],
                }
            )
    return masked(found, DEFAULT_GRID)


def list_outbox(
    ctx: Context, identity: Identity, *, failed: bool = False, limit: int = 200
) -> Model:
    from fireline.db import read_only
    from fireline.notify import outbox

    _authorised(ctx, identity, "outbox.read")
    with read_only(ctx.engine) as conn:
        rows = outbox.list_rows(conn, failed=failed, limit=limit)
    return masked([asdict(r) for r in rows], DEFAULT_GRID)
