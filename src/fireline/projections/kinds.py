"""The types every projection module shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection

from fireline.ledger.chain import Event

Payload = Mapping[str, Any]
Applier = Callable[[Connection, Event, Payload], None]
