"""The runbook schema as data: front-matter fields, required sections and heading matching.

Pure: no I/O. The default schema is the seed standard (thirteen sections); `fireline.toml`
can replace the section list and the front-matter fields (`schema_from_settings`).
Heading matching is tolerant on purpose: "Signals & Detection", "signals/detection",
"🛰️ 2. Detection" all name the same section, because runbooks are written by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from fireline.config import Settings, setting_default
from fireline.errors import ConfigError

FieldKind = Literal["str", "date", "list", "any"]

# Kinds of the fields fireline knows; a configured field not named here accepts any value.
KNOWN_FIELDS: Mapping[str, FieldKind] = {
    "id": "str",
    "title": "str",
    "owner": "str",
    "last_reviewed": "date",
    "severity": "str",
    "tags": "list",
    "services": "list",
    "alerts": "list",
}

# The seed standard; the values live in config.SETTINGS, the one table of settings.
DEFAULT_FRONT_MATTER: str = setting_default("runbook_front_matter")
DEFAULT_SECTIONS: tuple[str, ...] = tuple(setting_default("runbook_sections").split(","))

# Other names people give the default sections; a configured section matches its own words.
ALIASES: Mapping[str, tuple[str, ...]] = {
    "Summary": ("overview", "purpose", "description", "about", "when to use"),
    "Signals / Detection": ("symptoms", "alerts", "how to detect", "indicators"),
    "Impact / Blast Radius": ("blast", "who is affected", "scope"),
    "Immediate Safety Checks": ("safety checks", "safety", "immediate checks"),
    "Triage Checklist": ("triage", "first checks", "investigation"),
    "Containment Steps": ("containment", "contain", "stop the bleeding"),
    "Recovery Steps": ("recovery", "recover", "restore", "remediation"),
    "Verification Steps": ("verification", "verify", "validation"),
    "Rollback Plan": ("rollback", "roll back", "undo"),
    "Evidence Capture": ("evidence", "artifacts", "artefacts"),
    "Comms Template": ("comms", "communication", "communications", "status update"),
    "Postmortem Trigger": ("postmortem", "post mortem", "post incident review", "retrospective"),
    "Hardening Tasks": ("hardening", "prevention", "follow ups", "follow up"),
}

# The widespread four-section alert runbook, and where its sections land in the default schema.
IMPORT_MAP: Mapping[str, tuple[str, ...]] = {
    "meaning": ("Summary",),
    "impact": ("Impact / Blast Radius",),
    "diagnosis": ("Triage Checklist",),
    "mitigation": ("Containment Steps", "Recovery Steps"),
}

# Words that qualify a section name without naming it ("Rollback Plan" is "Rollback").
_GENERIC = frozenset({"step", "plan", "checklist", "template", "task", "trigger", "check"})
_SEPARATORS = re.compile(r"\s*(?:/|&|\+|,|;|\band\b|\bor\b)\s*")
_LEADING = re.compile(r"^[\W_]*(?:(?:\d+|[ivx]+)[.):]|\d+\s)?\s*")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")


@dataclass(frozen=True)
class FieldSpec:
    """One front-matter field: its name, the kind of value it holds, whether it must be there."""

    name: str
    kind: FieldKind
    required: bool


@dataclass(frozen=True)
class Schema:
    """What a fireline runbook must hold: front-matter fields and sections, in order."""

    fields: tuple[FieldSpec, ...]
    sections: tuple[str, ...]
    _keys: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    _memo: dict[str, str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = {name: _keys_of(name, ALIASES.get(name, ())) for name in self.sections}
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_memo", {})

    def canonical(self, heading: str) -> str | None:
        """The schema section a written heading names, or None (unknown or ambiguous)."""
        if heading not in self._memo:
            if len(self._memo) > 10_000:  # headings repeat across a library; bound the memo
                self._memo.clear()
            self._memo[heading] = self._match(heading)
        return self._memo[heading]

    def _match(self, heading: str) -> str | None:
        parts = split_heading(heading)
        if not parts:
            return None
        whole = " ".join(parts)
        for name in self.sections:
            if whole in self._keys[name]:
                return name
        candidates: set[str] | None = None
        for part in parts:
            found = {name for name in self.sections if _variants(part) & self._keys[name]}
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return None
        assert candidates is not None
        return next(name for name in self.sections if name in candidates)

    def imported(self, heading: str) -> tuple[str, ...]:
        """The schema sections a four-section-format heading covers (only those in this schema)."""
        covered = IMPORT_MAP.get(import_key(heading), ())
        return tuple(name for name in covered if name in self.sections)

    def index(self, name: str) -> int:
        return self.sections.index(name)


@lru_cache(maxsize=4096)
def split_heading(heading: str) -> tuple[str, ...]:
    """Normalise a heading into its alternative parts: lower case, no emoji, numbering or 's'."""
    text = _LEADING.sub("", heading.lower().replace("_", " ").replace("-", " "), count=1)
    parts = []
    for raw in _SEPARATORS.split(text):
        words = [_stem(w) for w in _NON_WORD.sub(" ", raw).split()]
        if words:
            parts.append(" ".join(words))
    return tuple(parts)


def import_key(heading: str) -> str:
    """The four-section-format name a heading carries ("meaning", …), or "" if none."""
    return _IMPORT_KEYS.get(" ".join(split_heading(heading)), "")


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _variants(part: str) -> frozenset[str]:
    specific = " ".join(w for w in part.split() if w not in _GENERIC)
    return frozenset({part, specific} if specific else {part})


def _keys_of(name: str, aliases: Iterable[str]) -> frozenset[str]:
    keys: set[str] = set()
    for text in (name, *aliases):
        parts = split_heading(text)
        keys.add(" ".join(parts))
        for part in parts:
            keys |= _variants(part)
    return frozenset(keys)


_IMPORT_KEYS: Mapping[str, str] = {" ".join(split_heading(name)): name for name in IMPORT_MAP}


def parse_fields(text: str, *, source: str = "runbook_front_matter") -> tuple[FieldSpec, ...]:
    """`id,title,severity?` → field specs (`?` marks an optional field); ConfigError if empty."""
    specs = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        name = raw.rstrip("?").strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise ConfigError(f"invalid front-matter field {raw!r} in {source}; use names like id")
        specs.append(FieldSpec(name, KNOWN_FIELDS.get(name, "any"), not raw.endswith("?")))
    if not specs:
        raise ConfigError(f"{source} names no front-matter fields")
    if len({s.name for s in specs}) != len(specs):
        raise ConfigError(f"{source} names a front-matter field twice: {text!r}")
    return tuple(specs)


def make_schema(front_matter: str, sections: Iterable[str]) -> Schema:
    """A schema from setting values; ConfigError on an empty or repeated section list."""
    names = tuple(s.strip() for s in sections if s.strip())
    if not names:
        raise ConfigError("runbook_sections names no sections")
    normalised = [" ".join(split_heading(n)) for n in names]
    if "" in normalised or len(set(normalised)) != len(normalised):
        raise ConfigError(f"runbook_sections repeats a section or has one without words: {names}")
    return Schema(fields=parse_fields(front_matter), sections=names)


def schema_from_settings(settings: Settings) -> Schema:
    """The schema `fireline.toml` asks for; ConfigError if its runbook settings are unusable."""
    return make_schema(settings.runbook_front_matter, settings.runbook_sections)


DEFAULT_SCHEMA = make_schema(DEFAULT_FRONT_MATTER, DEFAULT_SECTIONS)
