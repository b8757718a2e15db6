"""The `Rule` shape every detector has: a compiled expression, its pre-filter, its checks.

A rule is a compiled regular expression plus the lowercase keywords one of which must occur in
the text before the expression is run (the cheap pre-filter that keeps scanning fast), and the
checks a match must pass to count as a secret. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from fireline.redaction import allow

# Narrows a match's secret span, or rejects the match (None): context rules use it.
Refine = Callable[[re.Match[str], int, int], "tuple[int, int] | None"]


@dataclass(frozen=True)
class Rule:
    """One detector; `id` names the placeholder type (`[REDACTED:<id>#n]`).

    `secret_groups`: the first group (number or name) that took part in the match is the secret
    that gets replaced; empty means the whole match. `entropy`: minimum Shannon entropy (bits
    per character) the secret must have. `allow`: expressions that, matching the secret, mark
    it as not a secret; `stopwords`: lowercase words that do the same when contained in it.
    `assignment`: the secret was found through its context (a key name, a header), so the
    placeholder allow-rules apply (null, ***, ${VAR}, changeme, …). `examples`: the documented
    example allow-rules apply (every built-in rule). `valid`: a check the secret must pass (a
    checksum, a decodable structure). `refine`: narrows or rejects the span after the group is
    chosen. `type_of` names the type after the text of group `type_group`. `multiline`: the
    match may span lines (searched from the first keyword's line onwards); other rules are run
    only on the lines holding one of their keywords and the `extra_lines` (at most 1) after.
    `anchor`: a lowercase expression inside the word every match starts with; the rule is then
    tried only at the starts of the words holding it (a key name rule needs no full search).
    """

    id: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...] = ()
    secret_groups: tuple[int | str, ...] = ()
    entropy: float | None = None
    allow: tuple[re.Pattern[str], ...] = ()
    stopwords: tuple[str, ...] = ()
    assignment: bool = False
    type_group: str = "key"
    type_of: dict[str, str] = field(default_factory=dict)
    multiline: bool = False
    extra_lines: int = 0
    examples: bool = False
    valid: Callable[[str], bool] | None = None
    refine: Refine | None = None
    anchor: re.Pattern[str] | None = None

    def secret_span(self, match: re.Match[str]) -> tuple[int, int] | None:
        """The span of the secret inside `match`, or None when it is not a secret after all."""
        start, end = match.span()
        for group in self.secret_groups:
            if match.group(group) is not None:
                start, end = match.span(group)
                break
        else:
            if self.secret_groups:
                return None
        if self.refine is not None:
            span = self.refine(match, start, end)
            if span is None:
                return None
            start, end = span
        value = match.string[start:end]
        if not value:
            return None
        if self.examples and allow.is_example(value):
            return None
        if self.assignment and allow.is_placeholder(value):
            return None
        if self.valid is not None and not self.valid(value):
            return None
        if self.entropy is not None and shannon_entropy(value) < self.entropy:
            return None
        if any(p.search(value) for p in self.allow):
            return None
        lowered = value.lower()
        if any(word in lowered for word in self.stopwords):
            return None
        return start, end

    def kind(self, match: re.Match[str]) -> str:
        """The placeholder type; context rules name it after the key that was matched."""
        if self.type_of and self.type_group in match.re.groupindex:
            key = (match.group(self.type_group) or "").lower().replace("-", "_")
            for prefix, kind in self.type_of.items():
                if prefix in key:
                    return kind
        return self.id


_ESCAPE_BEFORE = r"(?<=\\[nrt])"
_LOOKBEHIND = re.compile(r"\(\?<!\[[^\]]*\]\)")


def escape_aware(pattern: str) -> str:
    """`pattern` with its left boundaries also holding right after a `\\n`, `\\t` or `\\r`
    escape: in JSON-escaped text (`"…\\nghp_…"`) the `n` is not part of the token."""
    flags = re.match(r"\(\?[a-zA-Z]+\)", pattern)
    head = flags.group() if flags else ""
    body = _LOOKBEHIND.sub(lambda m: f"(?:{m.group()}|{_ESCAPE_BEFORE})", pattern[len(head) :])
    if body.startswith("\\b"):
        body = f"(?:\\b|{_ESCAPE_BEFORE})" + body[2:]
    return head + body


def shannon_entropy(value: str) -> float:
    """Bits per character, as gitleaks computes it for its `entropy` threshold."""
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())
