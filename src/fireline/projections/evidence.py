"""The evidence index: one row per `evidence.added`."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from fireline.db import evidence
from fireline.ledger.chain import Event
from fireline.projections.kinds import Applier, Payload


def _evidence_added(conn: Connection, event: Event, p: Payload) -> None:
    conn.execute(
        evidence.insert(),
        {
            "incident_id": event.incident_id,
            "number": p["number"],
            "seq": event.seq,
            "kind": p["kind"],
            "ref": p["ref"],
            "sha256": p["sha256"],
            "size": p["size"],
            "media_type": p["media_type"],
            "name": p["name"],
            "source": p["source"],
            "captured_at": p["captured_at"],
            "note": p["note"],
            "scanned": p["scanned"],
            # Keys sorted as in the stored canonical JSON, so live and replayed rows are equal.
            "redacted": dict(sorted(p.get("redacted", {}).items())),
            "sensitive": p.get("sensitive", []),
            "added_at": event.ts,
            "added_by": event.actor,
        },
    )


HANDLERS: dict[str, Applier] = {"evidence.added": _evidence_added}
