"""One delivery, from raw bytes to a `RecordAlerts` command: the adapter-neutral steps.

The route reads the body (bounded), then this checks the content type, finds the source,
authenticates the sender, decodes the JSON within limits and parses it with the source's
format. Any refusal is a FirelineError (4xx) raised before a command exists: nothing written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from fireline import untrusted_json
from fireline.commands import RecordAlerts
from fireline.config import Settings
from fireline.errors import InvalidCommandError
from fireline.intake import formats
from fireline.intake.sources import Source, authenticate


class UnsupportedMediaTypeError(InvalidCommandError):
    """A delivery that is not JSON by its Content-Type."""

    http_status = 415


@dataclass(frozen=True)
class Delivery:
    command: RecordAlerts
    parsed: formats.Parsed


def check_media_type(content_type: str) -> None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise UnsupportedMediaTypeError(
            f"alert deliveries are JSON; Content-Type {media[:64] or '(none)'!r} is not "
            "application/json"
        )


def limits_of(settings: Settings, now: datetime) -> formats.Limits:
    return formats.Limits(
        now=now,
        max_alerts=settings.intake_max_alerts,
        max_labels=settings.intake_max_labels,
        max_future=settings.intake_max_future,
        max_age=settings.intake_max_age,
        group_by=settings.intake_group_by,
    )


def parse_delivery(
    source: Source,
    raw: bytes,
    headers: Mapping[str, str],
    *,
    settings: Settings,
    now: datetime,
) -> Delivery:
    """Authenticate and parse a delivery to `source` (AuthenticationError, InvalidCommandError)."""
    presented = "authorization" in headers or source.auth == "hmac"
    if presented or source.kind != "pagerduty":
        authenticate(source, headers, raw)
    check_media_type(headers.get("content-type", ""))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidCommandError("the delivery is not UTF-8 JSON") from None
    if not text.strip():
        raise InvalidCommandError("the delivery is empty; expected a JSON object")
    body = untrusted_json.loads(text, source="the delivery", max_chars=len(text) + 1)
    if not presented:  # PagerDuty senders authenticate with the routing key in the body
        key = body.get("routing_key") if isinstance(body, dict) else None
        authenticate(source, headers, raw, routing_key=key)
    limits = limits_of(settings, now)
    if source.kind == "generic":
        mapping = settings.source_mappings.get(source.name, {})
        parsed = formats.parse_generic(body, source.name, limits, mapping=mapping)
    else:
        parsed = formats.PARSERS[source.kind](body, source.name, limits)
    command = RecordAlerts(
        source=source.name,
        body_sha256=hashlib.sha256(raw).hexdigest(),
        alerts=tuple(parsed.alerts),
        truncated=parsed.truncated,
    )
    return Delivery(command, parsed)
