"""The declare form's values: the command they make, the field a refusal belongs to, and the
seed's declaration block (000 "DECLARING SEV1 INCIDENT") filled from them to copy into chat.
Pure: no I/O, no clock (the caller passes now)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fireline.commands import Declare
from fireline.errors import FirelineError

FIELDS = ("title", "severity", "impact", "systems", "datasets", "labels", "flags", "ic", "drill")


def blank(viewer: str) -> dict[str, Any]:
    """An empty form, the viewer as IC."""
    return {
        "title": "",
        "severity": "",
        "impact": "",
        "systems": "",
        "datasets": "",
        "labels": [],
        "flags": [],
        "ic": viewer,
        "drill": False,
    }


def _items(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("\n", ",").split(",") if part.strip())


def command(values: dict[str, Any]) -> Declare:
    """The Declare the form asks for (validated by the service, not here)."""
    fields: dict[str, Any] = {
        "title": values["title"],
        "severity": values["severity"],
        "impact": values["impact"],
        "systems": _items(values["systems"]),
        "datasets": _items(values["datasets"]),
        "labels": tuple(values["labels"]),
        "flags": tuple(values["flags"]),
        "ic": values["ic"].strip() or None,
    }
    if "drill" in {f.name for f in dataclasses.fields(Declare)}:
        fields["drill"] = bool(values["drill"])
    return Declare(**fields)


def field_of(exc: FirelineError) -> str:
    """The control a refusal is about, from the field its message names first."""
    text = exc.message.lower()
    for name, words in (
        ("severity", ("severity", "level", "ladder")),
        ("labels", ("label",)),
        ("flags", ("flag",)),
        ("ic", ("ic ", "ic:", "commander", "holder", "user ")),
        ("impact", ("impact",)),
        ("systems", ("system",)),
        ("datasets", ("dataset",)),
        ("title", ("title",)),
    ):
        if any(text.startswith(word) or f" {word}" in text for word in words):
            return name
    return "title"


def declaration_block(
    values: dict[str, Any], *, now: str, roles: dict[str, list[str]] | None = None
) -> str:
    """The seed runbook's declaration, filled with what is known (the roles, once staffed);
    `TBD` where nothing is."""
    severity = values.get("severity") or "SEV?"
    start = now[:16].replace("T", " ")
    held = roles or {}

    def holder(key: str) -> str:
        return ", ".join(held.get(key, [])) or "TBD"

    return "\n".join(
        (
            f"DECLARING {severity.upper()} INCIDENT",
            f"Summary: {values.get('title') or '<one sentence>'}",
            f"User impact: {values.get('impact') or '<who/what is broken>'}",
            f"Start time (UTC): {start}",
            f"IC: {values.get('ic') or holder('ic')}",
            f"Ops Lead: {holder('tech_lead')}",
            f"Comms Lead: {holder('comms')}",
            f"Scribe: {holder('scribe')}",
            "Bridge: <link or meeting ID>",
            "Primary channel: <#channel or thread link>",
        )
    )
