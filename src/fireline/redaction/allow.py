"""Allow-rules: values that look like secrets but are not (examples, placeholders, references).

Each rule is data: an id, an expression matched against the whole candidate value, and the
scope it applies in. `EXAMPLE` rules apply to every built-in detector (a provider's documented
example key is not a leak); `PLACEHOLDER` rules apply to values found through a key name or
another context (`password = changeme`), where the value has no shape of its own to vouch for
it. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Scope = Literal["example", "placeholder"]


@dataclass(frozen=True)
class AllowRule:
    """A kind of look-alike; `pattern` must match the whole value for the rule to apply."""

    id: str
    pattern: re.Pattern[str]
    scope: Scope
    why: str


def _allow(rule_id: str, pattern: str, scope: Scope, why: str) -> AllowRule:
    return AllowRule(rule_id, re.compile(pattern, re.IGNORECASE), scope, why)


ALLOW_RULES: tuple[AllowRule, ...] = (
    _allow(
        "documented-example",
        r".*EXAMPLE(?:KEY)?|EXAMPLE.*|.*[_-]example[_-].*",
        "example",
        "providers document keys such as AKIAIOSFODNN7EXAMPLE; they grant nothing",
    ),
    _allow(
        "example-word",
        r".*example.*",
        "placeholder",
        "a value found by its key name that says it is an example (acme_example_123)",
    ),
    _allow(
        "repeated-filler",
        r"(?:(.)\1{5,}|.*(?:x{6,}|\*{4,}|0{12,}|#{4,}|•{3,}|\.{4,}|_{6,}).*)",
        "example",
        "xxxxxx, ****, 000000000000: a masked or sample value, not a credential",
    ),
    _allow(
        "angle-or-square-placeholder",
        r"<[^<>]*>|\[[^\[\]]*\]|\(\s*[a-z _-]+\s*\)",
        "placeholder",
        "<your-token>, [token], (secret): a slot to fill in",
    ),
    _allow(
        "template-or-variable",
        r".*(?:\$\{[^}]*\}?|\$\([^)]*\)?|\{\{.*\}\}|\{%.*%\}|#\{[^}]*\}|%\([a-z_]+\)[sd]).*"
        r"|\$[A-Za-z_][\w.:-]*|%[A-Za-z_]\w*%|@[A-Za-z_]\w*@|__[A-Z0-9_]+__|\{[0-9]*\}|%s"
        r"|\{[A-Za-z_][\w.]*\}|!(?:vault|secret|env|ref|sub|getatt|import)\b.*|(?-i:[*&][a-z][a-z_-]*)"
        r"|<%.*|.*%>",
        "placeholder",
        "${VAR}, $VAR, $(cat f), %VAR%, {{ .Values.x }}, {name}, !vault: filled in elsewhere",
    ),
    _allow(
        "empty-ish-word",
        r"null|none|nil|true|false|undefined|yes|no|on|off|empty|blank|n/?a|tbd|todo|fixme"
        r"|-+|\.\.\.|…|[|>][-+]?|\?+|0|1|\*+|x{3,}|•+|#+",
        "placeholder",
        "null, true, ---, |: no value",
    ),
    _allow(
        "obvious-placeholder",
        r"your.*|(?:my|insert|enter|put|add|replace|paste)[_ .-].*|.*[_ .-]here|change[_ .-]?me.*"
        r"|replace[_ .-]?me|dummy.*|fake.*|sample.*|placeholder.*|redacted.*|removed|hidden"
        r"|masked|secret|password|passwd|token|api[_-]?key|apikey|key|value|string|str|text"
        r"|foo|bar|baz|foobar|qux|test|testing|xyz|pass|pwd|default"
        r"|\[redacted:.*|\[masked:.*|not[_ -]?set"
        r"|unset|required|optional|omitted|sensitive|confidential|none_?set",
        "placeholder",
        "your_api_key_here, changeme, REDACTED, secret: words standing in for a value",
    ),
    _allow(
        "type-name",
        r"str|string|bytes|int|integer|bool|boolean|number|any|object|char\[\]|secretstr"
        r"|optional\[str\]|str\s*\|\s*none|unknown|void|list|dict|array|map",
        "placeholder",
        "password: str, token: string: a declaration, not a value",
    ),
    _allow(
        "digest-reference",
        r"(?:sha(?:1|224|256|384|512)|md5|blake2b?)[:-][A-Za-z0-9+/=]+",
        "placeholder",
        "sha256:<hex>, sha512-<base64>: a content digest, public by design",
    ),
    _allow(
        "public-identifier",
        r"(?-i:pk_(?:live|test)_\w+|pk\.eyJ[\w.-]+|AC[0-9a-f]{32}|npm_public_\w+)",
        "placeholder",
        "Stripe publishable keys, Mapbox public tokens, Twilio account SIDs: public by design",
    ),
    _allow(
        "elided",
        r".*(?:\.{3}|…).*",
        "placeholder",
        "sk-...abcd: a value shortened for display, the rest was never there",
    ),
    _allow(
        "nil-uuid",
        r"0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12}",
        "example",
        "the nil and max UUIDs are sample values",
    ),
)

_EXAMPLES = tuple(r.pattern for r in ALLOW_RULES if r.scope == "example")
_PLACEHOLDERS = tuple(r.pattern for r in ALLOW_RULES if r.scope == "placeholder")


def is_example(value: str) -> bool:
    """True for a documented example or sample filler (applies to every built-in detector)."""
    return any(p.fullmatch(value) for p in _EXAMPLES)


def is_placeholder(value: str) -> bool:
    """True for a value that stands in for a secret: empty-ish, templated, a type, a digest."""
    stripped = value.strip()
    if not stripped:
        return True
    return is_example(stripped) or any(p.fullmatch(stripped) for p in _PLACEHOLDERS)


def matching_rule(value: str) -> str | None:
    """The id of the first allow-rule that `value` matches (for tests and diagnostics)."""
    stripped = value.strip()
    for rule in ALLOW_RULES:
        if rule.pattern.fullmatch(stripped):
            return rule.id
    return None
