"""Obligation rules: which deadlines an incident owes, read from the ladder and from config.

Pure: no I/O, no clock. A rule is either *ladder* (its window is a number on the incident's
severity level: `response_minutes`, `customer_notice_minutes`) or *conditional* (a fixed window
once the incident carries one of the named flags or labels, e.g. GDPR art. 33's 72 hours for a
`personal-data-breach` flag). `config.load_settings` builds the rules with `parse_rules`, so a
bad `[obligations.NAME]` table stops the program at start-up with one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from fireline.domain import SeverityLevel, parse_duration
from fireline.errors import ConfigError, InvalidCommandError

# Level fields a ladder rule may take its window from.
LADDER_FIELDS = ("response_minutes", "customer_notice_minutes")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# The longest window a rule may give: regulators count in days, not years.
MAX_WITHIN = timedelta(days=366)


@dataclass(frozen=True)
class ObligationRule:
    """One deadline an incident may owe: what, who owns it, when, and which channels meet it."""

    name: str
    title: str
    owner: str  # a role key: whoever holds it answers for the deadline
    channels: tuple[str, ...] = ()
    from_ladder: str | None = None  # one of LADDER_FIELDS
    within: timedelta | None = None  # conditional rules: the fixed window
    when_flags: tuple[str, ...] = ()
    when_labels: tuple[str, ...] = ()

    def window(self, level: SeverityLevel, flags: list[str], labels: list[str]) -> int | None:
        """Minutes this rule gives an incident at `level` with `flags` and `labels`, or None."""
        if self.from_ladder is not None:
            minutes: int | None = getattr(level, self.from_ladder)
            return minutes
        applies = set(self.when_flags) & set(flags) or set(self.when_labels) & set(labels)
        if not applies or self.within is None:
            return None
        return int(self.within.total_seconds() // 60)


DEFAULT_RULES: tuple[ObligationRule, ...] = (
    ObligationRule(
        "response", "meet the level's response target", "ic", from_ladder="response_minutes"
    ),
    ObligationRule(
        "customer-notice",
        "notify affected customers",
        "comms",
        from_ladder="customer_notice_minutes",
    ),
)

_KEYS = ("title", "owner", "channels", "from_ladder", "within", "when_flags", "when_labels")


def parse_rules(
    tables: object,
    source: str,
    *,
    roles: frozenset[str],
    flags: tuple[str, ...],
    labels: tuple[str, ...],
) -> tuple[ObligationRule, ...]:
    """The built-in rules with `[obligations.NAME]` tables applied; ConfigError on anything bad.

    A table named like a built-in rule changes only the keys it gives (`channels` most often);
    any other name adds a rule, which needs a title, an owner and exactly one of `from_ladder`
    or (`within` with `when_flags` and/or `when_labels`).
    """
    if not isinstance(tables, Mapping):
        raise ConfigError(f"[obligations] in {source} must be a table of rules")
    rules = {rule.name: rule for rule in DEFAULT_RULES}
    for name, table in tables.items():
        where = f"obligation rule {name!r} in {source}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"{where}: a name is lowercase letters, digits and '-'")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(table) - set(_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known: {', '.join(_KEYS)}")
        base = rules.get(name, ObligationRule(name, "", ""))
        rule = _rule(base, table, where)
        _check(rule, where, roles=roles, flags=flags, labels=labels)
        rules[name] = rule
    return tuple(rules.values())


def _rule(base: ObligationRule, table: Mapping[str, object], where: str) -> ObligationRule:
    changes: dict[str, object] = {}
    for key in ("title", "owner", "from_ladder"):
        if key in table:
            value = table[key]
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: {key} must be a non-empty string")
            changes[key] = value.strip()
    for key in ("channels", "when_flags", "when_labels"):
        if key in table:
            value = table[key]
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{where}: {key} must be a list of names")
            changes[key] = tuple(dict.fromkeys(value))
    if "within" in table:
        text = table["within"]
        try:
            within = parse_duration("within", text) if isinstance(text, str) else None
        except InvalidCommandError as exc:
            raise ConfigError(f"{where}: {exc.message}") from None
        if within is None or not timedelta(minutes=1) <= within <= MAX_WITHIN:
            raise ConfigError(f"{where}: within must be a duration from 1m to 366d, like 72h")
        changes["within"] = within
    return replace(base, **changes)  # type: ignore[arg-type]


def _check(
    rule: ObligationRule,
    where: str,
    *,
    roles: frozenset[str],
    flags: tuple[str, ...],
    labels: tuple[str, ...],
) -> None:
    if not rule.title or not rule.owner:
        raise ConfigError(f"{where} needs a title and an owner role")
    if rule.owner not in roles:
        raise ConfigError(
            f"{where}: unknown owner role {rule.owner!r}; roles: {', '.join(sorted(roles))}"
        )
    conditional = rule.within is not None or rule.when_flags or rule.when_labels
    if rule.from_ladder is not None:
        if rule.from_ladder not in LADDER_FIELDS:
            allowed = ", ".join(LADDER_FIELDS)
            raise ConfigError(f"{where}: from_ladder {rule.from_ladder!r} is not one of {allowed}")
        if conditional:
            raise ConfigError(f"{where}: from_ladder cannot be combined with within or when_*")
        return
    if rule.within is None or not (rule.when_flags or rule.when_labels):
        raise ConfigError(f"{where} needs from_ladder, or within with when_flags or when_labels")
    for value in rule.when_flags:
        if value not in flags:
            raise ConfigError(f"{where}: unknown flag {value!r}; policy_flags: {', '.join(flags)}")
    for value in rule.when_labels:
        if value not in labels:
            raise ConfigError(f"{where}: unknown label {value!r}; labels: {', '.join(labels)}")
