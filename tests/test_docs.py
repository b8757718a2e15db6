"""Docs that cannot drift: every setting, event kind and CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from fireline.cli import app
from fireline.config import SETTINGS
from fireline.events import EVENT_KINDS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def docs_text() -> str:
    return "\n".join(path.read_text() for path in sorted(DOCS.glob("*.md")))


def command_names(group: typer.Typer, prefix: str = "") -> list[str]:
    names = [
        f"{prefix}{c.name or (c.callback.__name__ if c.callback else '')}"
        for c in group.registered_commands
    ]
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        names += command_names(sub.typer_instance, f"{prefix}{sub.name} ")
    return names


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_documented(name: str) -> None:
    text = docs_text()
    assert name in text
    assert f"FIRELINE_{name.upper()}" in text


@pytest.mark.parametrize("kind", sorted(EVENT_KINDS))
def test_every_event_kind_is_documented(kind: str) -> None:
    assert f"`{kind}`" in docs_text()


@pytest.mark.parametrize("command", command_names(app))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"fireline {command.replace('_', '-')}" in docs_text()
