"""Pure: the status page's components, from `[components.KEY]` tables in fireline.toml.

A component is a name customers know and the systems (as incidents name them with --system)
behind it: an incident touching one of those systems affects the component.
"""

from __future__ import annotations

from dataclasses import dataclass

from fireline.errors import ConfigError


@dataclass(frozen=True)
class Component:
    key: str
    name: str
    systems: tuple[str, ...]
    description: str = ""


def parse_components(tables: object, source: str) -> tuple[Component, ...]:
    """The `[components.KEY]` tables: name (text), systems (list of text), optional
    description. ConfigError naming the component and key on anything else."""
    if not isinstance(tables, dict):
        raise ConfigError(f"[components] in {source} must be a table of components")
    found = []
    for key, table in tables.items():
        if not isinstance(table, dict) or not isinstance(table.get("name"), str):
            raise ConfigError(f"component {key!r} in {source} needs a name string")
        systems = table.get("systems", [key])
        if not isinstance(systems, list) or not all(isinstance(s, str) and s for s in systems):
            raise ConfigError(f"component {key!r} in {source}: systems must be a list of names")
        description = table.get("description", "")
        if not isinstance(description, str):
            raise ConfigError(f"component {key!r} in {source}: description must be text")
        unknown = set(table) - {"name", "systems", "description"}
        if unknown:
            raise ConfigError(
                f"component {key!r} in {source}: unknown key {sorted(unknown)[0]!r}; "
                "known: name, systems, description"
            )
        found.append(Component(key, table["name"], tuple(systems), description))
    return tuple(found)
