"""The delivery worker: one tick loop that runs the periodic jobs and drains the outbox.

Each tick (clock injectable through the Context) runs every job in `PERIODIC` (the deadline
ticks of the scheduler register there), leases the due outbox rows, sends them — several at
a time —, and records every result on its incident's chain through `service.execute_batch`
as the system actor `notifier:outbox`, the outbox row settled in the same transaction. A worker
killed at any point loses nothing: an unrecorded row stays queued and its lease runs out, so
the next worker sends it again under the same id. Several workers may run at once (leases;
PostgreSQL `FOR UPDATE SKIP LOCKED`).

Retries back off exponentially from `notify_backoff` seconds with equal jitter, capped at
`notify_backoff_cap`; after `notify_max_attempts` attempts, or at once for an answer that
cannot improve (a 4xx other than 408/429), the row is dead, with the reason on the record.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from fireline.commands import DeliveryResult, RecordDelivery
from fireline.db import channel_secrets, channels, incidents, read_only
from fireline.domain import IncidentId, iso_utc, system_actor
from fireline.errors import FirelineError
from fireline.ledger import store
from fireline.ledger.chain import Event
from fireline.notify import outbox, transport
from fireline.notify.message import Message, compose
from fireline.notify.routing import is_restricted, may_hear
from fireline.postmortem import overdue as postmortem_overdue
from fireline.service import Context, Identity, execute_batch

log = logging.getLogger("fireline.notify")

# Periodic jobs the loop runs before delivering, at most once per PERIODIC_EVERY:
# `job(ctx, now)` records what time alone makes true (reminders, overdue updates, missed
# obligations, overdue postmortems). Each is idempotent, so several workers may run them.
PERIODIC: list[Callable[[Context, datetime], object]] = [postmortem_overdue.tick]
PERIODIC_EVERY = timedelta(seconds=5)
NOTIFIER = Identity(system_actor("notifier"))


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before attempt `attempt + 1`: base·2^(attempt-1), capped, equal jitter."""
    delay = float(min(cap, base * 2 ** min(attempt - 1, 30)))
    return delay / 2 + rng.uniform(0, delay / 2)


@dataclass(frozen=True)
class Job:
    """One leased row, ready to send (or to be recorded dead without sending)."""

    row: outbox.OutboxRow
    kind: str = ""
    settings: dict[str, Any] | None = None
    secret: dict[str, str] | None = None
    message: Message | None = None
    refusal: str = ""  # why it is not sent at all


class Worker:
    """Delivers the outbox for one store; `tick` once, or `run` until stopped."""

    def __init__(
        self,
        ctx: Context,
        *,
        owner: str | None = None,
        batch: int = 64,
        concurrency: int = 8,
        rng: random.Random | None = None,
    ) -> None:
        self.ctx = ctx
        self.owner = owner or f"{socket.gethostname()[:30]}-{os.getpid()}-{secrets.token_hex(3)}"
        self.batch = batch
        self.rng = rng or random.Random()
        settings = ctx.settings
        self.client = httpx.Client(
            timeout=settings.notify_timeout, follow_redirects=False, trust_env=False
        )
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="notify")
        self._sent: tuple[list[Job], list[transport.Answer], datetime] | None = None
        self._periodic_due: datetime | None = None  # the first tick runs them

    def close(self) -> None:
        """Record what was sent but not yet recorded, then release the threads and client."""
        self.flush()
        self.pool.shutdown(wait=True)
        self.client.close()

    def tick(self) -> int:
        """Run the periodic jobs, then one round of deliveries; the number of rows attempted.

        Rounds overlap: this round's sends are in flight while the previous round's results
        are recorded, so the receiver, not the record, sets the pace. Until recorded a row
        stays leased: a worker killed in between loses nothing (the lease runs out).
        """
        now = self.ctx.clock()
        if self._periodic_due is None or now >= self._periodic_due:
            self._periodic_due = now + PERIODIC_EVERY
            for job in PERIODIC:
                try:
                    job(self.ctx, now)
                except FirelineError as exc:  # one job's refusal must not stop the deliveries
                    log.warning(f"fireline: worker: periodic job failed: {exc}")
        with self.ctx.work.transaction() as conn:
            rows = outbox.lease(
                conn, self.owner, now=now, seconds=self.ctx.settings.notify_lease, limit=self.batch
            )
        jobs = self._prepare(rows) if rows else []
        sending = [self.pool.submit(self._send, job) for job in jobs]
        self.flush()
        if jobs:
            self._sent = (jobs, [future.result() for future in sending], now)
        return len(jobs)

    def flush(self) -> None:
        """Record the last round's results, if any."""
        sent, self._sent = self._sent, None
        if sent is not None:
            self._record(*sent)

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set; sleep `notify_poll_ms` whenever nothing was due."""
        poll = self.ctx.settings.notify_poll_ms / 1000
        while not stop.is_set():
            if self.tick() == 0:
                stop.wait(poll)

    def _prepare(self, rows: list[outbox.OutboxRow]) -> list[Job]:
        """Channel, secret, incident and event of every leased row: a few reads per batch,
        not per row (events are read as one span per incident)."""
        precision = self.ctx.settings.coordinate_precision
        jobs = []
        with read_only(self.ctx.engine) as conn:
            found = {
                r.name: r
                for r in conn.execute(
                    sa.select(channels, channel_secrets.c.secret)
                    .join(channel_secrets, channel_secrets.c.name == channels.c.name, isouter=True)
                    .where(channels.c.name.in_({row.channel for row in rows}))
                )
            }
            wanted = sorted({row.incident_id for row in rows})
            incidents_of = {
                r.id: r
                for r in conn.execute(sa.select(incidents).where(incidents.c.id.in_(wanted)))
            }
            events_of: dict[tuple[str, int], Event] = {}
            for incident_id in wanted:
                seqs = [row.event_seq for row in rows if row.incident_id == incident_id]
                for stored in store.iter_span(conn, incident_id, min(seqs), max(seqs)):
                    read = store.to_event(incident_id, stored)
                    events_of[(incident_id, read.seq)] = read
        for row in rows:
            channel = found.get(row.channel)
            incident = incidents_of.get(row.incident_id)
            event = events_of.get((row.incident_id, row.event_seq))
            if channel is None or channel.secret is None:
                jobs.append(Job(row, refusal="the channel was removed"))
                continue
            if incident is None or event is None or event.payload is None:
                jobs.append(Job(row, refusal="the event or its incident is gone or erased"))
                continue
            message = compose(row.id, event, incident, precision=precision)
            # Need-to-know is judged again now: the incident may have become restricted.
            if not may_hear(
                restricted=is_restricted(list(incident.labels)),
                drill=message.drill,
                channel_restricted=channel.restricted,
                channel_drills=channel.drills,
            ):
                jobs.append(Job(row, refusal="the incident is no longer for this channel"))
                continue
            jobs.append(
                Job(row, channel.kind, dict(channel.settings), json.loads(channel.secret), message)
            )
        return jobs

    def _send(self, job: Job) -> transport.Answer:
        if job.refusal or job.message is None or job.secret is None or job.settings is None:
            return transport.Answer("dead", None, job.refusal or "nothing to send")
        if job.kind == "email":
            return transport.send_mail(
                job.settings, job.secret, job.message, timeout=self.ctx.settings.notify_timeout
            )
        return transport.post(self.client, job.kind, job.secret["url"], job.message, job.secret)

    def _record(self, jobs: list[Job], answers: list[transport.Answer], now: datetime) -> None:
        settings = self.ctx.settings
        grouped: dict[str, list[DeliveryResult]] = {}
        for job, answer in zip(jobs, answers, strict=True):
            attempt = job.row.attempts + 1
            dead = answer.outcome == "dead" or (
                answer.outcome == "retry" and attempt >= settings.notify_max_attempts
            )
            retry_at = None
            if answer.outcome == "retry" and not dead:
                wait = backoff(
                    attempt,
                    base=settings.notify_backoff,
                    cap=settings.notify_backoff_cap,
                    rng=self.rng,
                )
                retry_at = iso_utc(now + timedelta(seconds=wait))
            reason = answer.reason
            if dead and answer.outcome == "retry":
                reason = f"{reason} (gave up after {attempt} attempts)"
            grouped.setdefault(job.row.incident_id, []).append(
                DeliveryResult(
                    notification_id=job.row.id,
                    delivered=answer.outcome == "sent",
                    status=answer.status,
                    reason=reason,
                    dead=dead,
                    retry_at=retry_at,
                )
            )
        batch = [
            (
                RecordDelivery(
                    incident_id=IncidentId(incident), lease_owner=self.owner, results=tuple(results)
                ),
                NOTIFIER,
            )
            for incident, results in grouped.items()
        ]
        for outcome in execute_batch(batch, ctx=self.ctx):
            if isinstance(outcome, Exception):  # a lost lease: the other worker records it
                log.warning(f"fireline: worker: not recorded: {outcome}")


class Background:
    """A worker on a thread of its own Context: what `fireline serve` runs beside the API."""

    def __init__(self, ctx: Context) -> None:
        self.worker = Worker(ctx)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="fireline-notifier", daemon=True)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.worker.run(self.stop_event)
            except FirelineError as exc:  # the store hiccupped: say so, wait, go on
                log.warning(f"fireline: worker: {exc}")
                self.stop_event.wait(1)

    def start(self) -> Background:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)
        self.worker.close()
        self.worker.ctx.close()
