"""Secret detectors: the `Rule` shape and the built-in rule set.

A rule is a compiled regular expression plus the lowercase keywords one of which must occur in
the text before the expression is run (the cheap pre-filter that keeps scanning fast). Pure:
no I/O.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

# Values an assignment rule never treats as a secret: empty-ish, templated or already masked.
_NOT_A_VALUE = re.compile(
    r"(?i)(?:null|none|nil|true|false|undefined|\*+|x{3,}|<[^>]*>|\$\{[^}]*\}?|\$[A-Z_]+|"
    r"%s|\{\{.*\}\}|\[REDACTED:.*|\[masked:.*|redacted|\.\.\.|-+)"
)


@dataclass(frozen=True)
class Rule:
    """One detector; `id` names the placeholder type (`[REDACTED:<id>#n]`).

    `secret_groups`: the first group (number or name) that took part in the match is the secret
    that gets replaced; empty means the whole match. `entropy`: minimum Shannon entropy (bits
    per character) the secret must have. `allow`: expressions that, matching the secret, mark
    it as not a secret; `stopwords`: lowercase words that do the same when contained in it.
    `assignment`: the secret is the value of a `key = value` and trivial values (null, ***,
    ${VAR}, …) are skipped. `type_of` names the type after the text of group `type_group`.
    `multiline`: the match may span lines (searched from the first keyword's line onwards);
    other rules are run only on the lines holding one of their keywords.
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
        value = match.string[start:end]
        if not value:
            return None
        if self.assignment and _NOT_A_VALUE.fullmatch(value):
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
        """The placeholder type; assignment rules name it after the key that was matched."""
        if self.type_of:
            key = (match.group(self.type_group) or "").lower().replace("-", "_")
            for prefix, kind in self.type_of.items():
                if prefix in key:
                    return kind
        return self.id


def shannon_entropy(value: str) -> float:
    """Bits per character, as gitleaks computes it for its `entropy` threshold."""
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _rule(
    rule_id: str,
    pattern: str,
    keywords: tuple[str, ...],
    *,
    secret: tuple[int | str, ...] = (),
    flags: int = 0,
    **extra: object,
) -> Rule:
    return Rule(rule_id, re.compile(pattern, flags), keywords, secret, **extra)  # type: ignore[arg-type]


# A quoted value may hold spaces; a bare one ends at whitespace, a quote or a separator.
_VALUE = (
    r"""(?:"(?P<dq>[^"\r\n]+)"|'(?P<sq>[^'\r\n]+)'"""
    r"""|(?P<bare>\$\{[^}\s]*\}|[^\s"'`,;&<>()\[\]{}]+))"""
)
_VALUE_GROUPS: tuple[int | str, ...] = ("dq", "sq", "bare")

PRIVATE_KEY = _rule(
    "private-key",
    r"-----BEGIN[A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END[A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
    ("private key",),
    flags=re.DOTALL,
    multiline=True,
)
PEM_END = re.compile(r"-----END[A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)?-----")

# Order matters only for ties: when two rules claim the same secret, the earlier one names it.
BUILTIN_RULES: tuple[Rule, ...] = (
    PRIVATE_KEY,
    _rule(
        "aws-access-key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        ("akia", "asia", "abia", "acca"),
    ),
    _rule(
        "aws-secret-key",
        r"(?i)aws_?(?:secret|sec)_?(?:access)?_?key[\"']?\s{0,3}[:=]{1,2}>?\s{0,3}[\"']?"
        r"(?P<s>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
        ("secret", "aws_sec", "awssec"),
        secret=("s",),
    ),
    _rule("gcp-api-key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", ("aiza",)),
    _rule(
        "gcp-private-key-id",
        r"\"private_key_id\"\s*:\s*\"(?P<s>[0-9a-f]{40})\"",
        ("private_key_id",),
        secret=("s",),
    ),
    _rule(
        "azure-storage-key",
        r"(?i)AccountKey\s*=\s*(?P<s>[A-Za-z0-9+/]{86}==)",
        ("accountkey",),
        secret=("s",),
    ),
    _rule(
        "azure-sas-token",
        r"[?&]sig=(?P<s>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})",
        ("sig=",),
        secret=("s",),
    ),
    _rule(
        "github-token",
        r"\b(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _rule("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}", ("glpat-",)),
    _rule("slack-token", r"\bxox[abpr]-[A-Za-z0-9-]{10,}", ("xox",)),
    _rule(
        "slack-webhook",
        r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9+/_-]{20,})",
        ("hooks.slack.com",),
        secret=("s",),
    ),
    _rule(
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        ("eyj",),
    ),
    _rule(
        "url-password",
        r"\b[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:/@?#\"'<>]{1,256}:(?P<s>[^\s@/\"'<>]{1,256})@",
        ("://",),
        secret=("s",),
        assignment=True,
    ),
    _rule(
        "authorization",
        r"(?i)\bauthorization[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?P<scheme>bearer|basic|token)\s+"
        r"(?P<s>[A-Za-z0-9._~+/-]{4,}=*)",
        ("authorization",),
        secret=("s",),
        assignment=True,
        type_group="scheme",
        type_of={"bearer": "bearer-token", "basic": "basic-auth", "token": "token"},
    ),
    _rule(
        "bearer-token",
        r"(?i)\bbearer\s+(?P<s>(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{16,}=*)",
        ("bearer",),
        secret=("s",),
        assignment=True,
    ),
    _rule(
        "password",
        r"(?i)(?<![A-Za-z0-9])(?P<key>passwd|password|passphrase|pass_?word|secret(?:[_-]?key)?|"
        r"(?:access|auth|refresh|api|bot|session)?[_-]?token|api[_-]?key|apikey)"
        r"[\"']?\s{0,3}(?::=|=>|[:=])\s{0,3}" + _VALUE,
        ("pass", "secret", "token", "api_key", "api-key", "apikey"),
        secret=_VALUE_GROUPS,
        assignment=True,
        type_of={
            "token": "token",
            "secret": "secret",
            "api": "api-key",
            "pass": "password",
        },
    ),
)
