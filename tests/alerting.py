"""Alert intake test helpers: an app with a source, Alertmanager-shaped bodies, store counts."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from fireline.api.app import create_app
from fireline.api.auth import Principal, authenticated
from fireline.commands import AddSource
from fireline.config import Settings
from fireline.db import read_only
from fireline.domain import ALERTS_CHAIN, ActorId
from fireline.intake.sources import make_secret
from fireline.service import execute, open_context
from tests.inprocess import ApiClient, running


@dataclass
class Intake:
    api: ApiClient
    secret: str
    settings: Settings

    def post(
        self, body: Any, *, source: str = "prom", secret: str | None = None, path: str = ""
    ) -> Any:
        headers = {
            "Authorization": f"Bearer {self.secret if secret is None else secret}",
            "Content-Type": "application/json",
        }
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.api.post(f"/api/v1/intake/{source}{path}", content=content, headers=headers)


def add_source(
    settings: Settings, name: str, kind: str, *, hmac: bool = False, by: str = "tester"
) -> str:
    """Register a source as the test's admin; its secret."""
    secret, digest = make_secret()
    ctx = open_context(settings)
    try:
        command = AddSource(
            name=name, kind=kind, secret_sha256=digest, hmac_key=secret if hmac else None
        )
        execute(command, ActorId(by), ctx=ctx)
    finally:
        ctx.close()
    return secret


@contextmanager
def intake(settings: Settings, *, kind: str = "alertmanager") -> Iterator[Intake]:
    secret = add_source(settings, "prom", kind)
    app = create_app(settings)
    app.dependency_overrides[authenticated] = lambda: Principal(ActorId("tester"), "admin")
    with running(app) as api:
        yield Intake(api, secret, settings)


def alert(
    name: str = "HighErrorRate",
    *,
    n: int = 0,
    status: str = "firing",
    severity: str = "critical",
    service: str = "api",
    starts: str = "2026-12-03T14:00:00Z",
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {
            "alertname": name,
            "severity": severity,
            "service": service,
            "instance": f"node-{n}",
            **(extra or {}),
        },
        "annotations": {"summary": f"{name} on node-{n}", "description": "5xx above 5%"},
        "startsAt": starts,
        "endsAt": "2026-12-03T14:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": f"{name.lower()}-{service}-{n:04d}",
    }


def webhook(
    alerts: list[dict[str, Any]], *, key: str = '{}:{alertname="HighErrorRate"}'
) -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": key,
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "fireline",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }


def counts(settings: Settings) -> dict[str, int]:
    """Events on the ALERTS chain, alert records, and incidents: what a refusal must not change."""
    from sqlalchemy import create_engine

    engine = create_engine(settings.database_url)
    try:
        with read_only(engine) as conn:
            return {
                "alert_events": conn.execute(
                    sa.text("SELECT count(*) FROM events WHERE incident_id = :c"),
                    {"c": ALERTS_CHAIN},
                ).scalar_one(),
                "records": conn.execute(sa.text("SELECT count(*) FROM alert_records")).scalar_one(),
                "incidents": conn.execute(sa.text("SELECT count(*) FROM incidents")).scalar_one(),
            }
    finally:
        engine.dispose()


def now() -> datetime:
    return datetime.now(UTC)
