"""Which switches exist: built-ins and `[switches.NAME]` tables, as plain validated data.

Pure (imports only errors and domain), so `config.load_settings` can build them and
`switch check` can read them without loading the service. A switch has states, a `default`
(its normal state), a `safe` state (what a reader must assume when fireline cannot be
reached), the incident or registry roles that may flip it, whether a flip needs an approver,
and the stability window that must pass after it returns to normal before `mitigated` holds.

Two built-ins are not plain switches: `deploy-freeze` is the severity ladder's deploy freeze
(`fireline.freeze`), shown and lifted through the switch commands but never set by them; and
dataset-version quarantines are switches named `quarantine:ID:VERSION`, one per version, set by
`fireline quarantine add|release` (`QUARANTINE` holds their shared rules).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from fireline.domain import parse_duration
from fireline.errors import ConfigError, InvalidCommandError

DEPLOY_FREEZE = "deploy-freeze"
QUARANTINE_PREFIX = "quarantine:"
QUARANTINED, RELEASED = "quarantined", "released"
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_STATE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_KEYS = {"states", "default", "safe", "roles", "approver", "stability", "description"}


@dataclass(frozen=True)
class SwitchSpec:
    """One switch's rules. `default` is normal; any other state is flipped."""

    name: str
    states: tuple[str, ...]
    default: str
    safe: str
    roles: tuple[str, ...]
    approver: bool = False
    stability: timedelta = timedelta(minutes=30)
    description: str = ""
    kind: str = "switch"  # switch | freeze | quarantine

    def is_normal(self, state: str) -> bool:
        return state == self.default

    def require_state(self, state: str) -> str:
        if state not in self.states:
            raise InvalidCommandError(
                f"unknown state {state!r} for switch {self.name}; states: {', '.join(self.states)}"
            )
        return state

    @property
    def boolean(self) -> bool:
        """Whether OFREP shows it as a boolean flag (true while flipped): two states only."""
        return len(self.states) == 2


def builtins(window: timedelta) -> dict[str, SwitchSpec]:
    """The built-in switches (a `[switches.NAME]` table of the same name overrides one)."""
    return {
        "global-readonly": SwitchSpec(
            "global-readonly",
            ("off", "on"),
            "off",
            "on",
            ("ic", "tech_lead"),
            stability=window,
            description="Writes refused everywhere while data integrity is at risk.",
        ),
        "promotions": SwitchSpec(
            "promotions",
            ("running", "paused"),
            "running",
            "paused",
            ("ic", "tech_lead"),
            stability=window,
            description="Promotions and risky deploys halted; serve verified artifacts only.",
        ),
        DEPLOY_FREEZE: SwitchSpec(
            DEPLOY_FREEZE,
            ("open", "frozen"),
            "open",
            "frozen",
            ("ic",),
            stability=timedelta(0),
            description="The severity ladder's deploy freeze (`fireline freeze`).",
            kind="freeze",
        ),
    }


def quarantine_spec(name: str, window: timedelta, roles: tuple[str, ...]) -> SwitchSpec:
    """The switch of one dataset version's quarantine (`quarantine:ID:VERSION`)."""
    return SwitchSpec(
        name,
        (RELEASED, QUARANTINED),
        RELEASED,
        QUARANTINED,
        roles,
        stability=window,
        description="A dataset version removed from latest pointers and blocked from serving.",
        kind="quarantine",
    )


def quarantine_name(dataset_id: str, version_id: str) -> str:
    return f"{QUARANTINE_PREFIX}{dataset_id}:{version_id}"


def parse_switch_tables(
    tables: object, source: str, *, window: timedelta, known_roles: frozenset[str]
) -> dict[str, SwitchSpec]:
    """The built-ins with `[switches.NAME]` tables applied; ConfigError naming the bad key.

    `[switches.quarantine]` sets the roles (and approver, stability) of every quarantine.
    """
    specs = builtins(window)
    specs["quarantine"] = quarantine_spec("quarantine", window, ("ic", "tech_lead"))
    if not isinstance(tables, Mapping):
        raise ConfigError(f"[switches] in {source} must be a table of switches")
    for name, raw in tables.items():
        where = f"[switches.{name}] in {source}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"{where}: a switch name is lower-case letters, digits and '-'")
        if name == DEPLOY_FREEZE:
            raise ConfigError(f"{where}: the deploy freeze follows the severity ladder")
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(_KEYS))}"
            )
        base = specs.get(name)
        specs[name] = _spec(name, raw, base, where, window=window, known_roles=known_roles)
    return specs


def _spec(
    name: str,
    raw: Mapping[str, object],
    base: SwitchSpec | None,
    where: str,
    *,
    window: timedelta,
    known_roles: frozenset[str],
) -> SwitchSpec:
    states = _strings(raw, "states", where, base.states if base else None)
    if len(states) < 2 or len(set(states)) != len(states):
        raise ConfigError(f"{where}: states must be two or more distinct names")
    for state in states:
        if not _STATE.fullmatch(state):
            raise ConfigError(f"{where}: malformed state {state!r}")
    default = _text(raw, "default", where, base.default if base else states[0])
    safe = _text(raw, "safe", where, base.safe if base else states[-1])
    for key, value in (("default", default), ("safe", safe)):
        if value not in states:
            raise ConfigError(f"{where}: {key} {value!r} is not one of its states")
    roles = _strings(raw, "roles", where, base.roles if base else ("ic",))
    unknown = sorted(set(roles) - known_roles)
    if unknown:
        raise ConfigError(
            f"{where}: unknown role {unknown[0]!r}; roles: {', '.join(sorted(known_roles))}"
        )
    approver = raw.get("approver", base.approver if base else False)
    if not isinstance(approver, bool):
        raise ConfigError(f"{where}: approver must be true or false")
    stability = base.stability if base else window
    if "stability" in raw:
        text = raw["stability"]
        try:
            stability = parse_duration("stability", text if isinstance(text, str) else "")
        except InvalidCommandError:
            raise ConfigError(f"{where}: stability must be a duration like 30m") from None
    description = _text(raw, "description", where, base.description if base else "")
    kind = base.kind if base else "switch"
    return SwitchSpec(name, states, default, safe, roles, approver, stability, description, kind)


def _strings(
    raw: Mapping[str, object], key: str, where: str, fallback: tuple[str, ...] | None
) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        if fallback is None:
            raise ConfigError(f"{where}: {key} is required")
        return fallback
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: {key} must be a list of names")
    return tuple(value)


def _text(raw: Mapping[str, object], key: str, where: str, fallback: str) -> str:
    value = raw.get(key, fallback)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return value


def lookup(specs: Mapping[str, SwitchSpec], name: str) -> SwitchSpec:
    """The switch named `name` (a quarantine's by its version); InvalidCommandError otherwise."""
    if name.startswith(QUARANTINE_PREFIX):
        dataset_id, _, version_id = name.removeprefix(QUARANTINE_PREFIX).partition(":")
        if dataset_id and version_id:
            return replace(specs["quarantine"], name=name)
    spec = specs.get(name)
    if spec is None or name == "quarantine":
        known = ", ".join(sorted(n for n in specs if n != "quarantine"))
        raise InvalidCommandError(
            f"unknown switch {name!r}; switches: {known}, quarantine:ID:VERSION"
        )
    return spec
