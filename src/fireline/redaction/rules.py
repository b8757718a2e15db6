"""The built-in rule set: provider token shapes, structural rules, context rules, in that order.

Order matters only for ties: when two rules claim the same characters, the earlier one names
them (a JWT sent as a bearer token is `jwt`; a Stripe key under `api_key=` is `stripe-key`).
Every rule is data (`Rule`); add a provider shape to `providers.PROVIDERS`, a look-alike to
`allow.ALLOW_RULES`. Pure: no I/O.
"""

from __future__ import annotations

import re

from fireline.redaction.contextual import CONTEXT_RULES
from fireline.redaction.detector import Rule, escape_aware, shannon_entropy
from fireline.redaction.providers import PROVIDERS, Provider

__all__ = ["BUILTIN_RULES", "PEM_END", "PRIVATE_KEY", "Rule", "shannon_entropy"]

PRIVATE_KEY = Rule(
    "private-key",
    re.compile(
        r"-----BEGIN[A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END[A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
        re.DOTALL,
    ),
    ("private key",),
    multiline=True,
)
PEM_END = re.compile(r"-----END[A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)?-----")

_STRUCTURAL = (
    Rule(
        "private-key",
        re.compile(
            r"PuTTY-User-Key-File-\d: [^\r\n]*\r?\n(?:[^\r\n]*\r?\n){0,40}?"
            r"Private-Lines: \d+\r?\n(?P<s>(?:[A-Za-z0-9+/=]+\r?\n?)+)"
        ),
        ("putty-user-key-file",),
        ("s",),
        multiline=True,
    ),
    Rule(
        "jwt",
        re.compile(escape_aware(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
        ("eyj",),
        examples=True,
    ),
    Rule(
        "aws-secret-key",
        re.compile(
            r"(?i)(?:aws_?(?:secret|sec)_?(?:access)?_?key|secret_?access_?key)"
            r"(?:\\?[\"'])?\s{0,3}(?::=|=>|[:=]{1,3})>?\s{0,3}(?:\\?[\"'])?"
            r"(?P<s>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        ("secret", "aws_sec", "awssec"),
        ("s",),
        examples=True,
    ),
)


def _provider_rule(provider: Provider) -> Rule:
    pattern = re.compile(escape_aware(provider.pattern), provider.flags)
    return Rule(
        provider.id,
        pattern,
        provider.keywords,
        ("s",) if "s" in pattern.groupindex else (),
        examples=True,
        valid=provider.valid,
        anchor=re.compile(provider.anchor) if provider.anchor else None,
    )


BUILTIN_RULES: tuple[Rule, ...] = (
    PRIVATE_KEY,
    *(_provider_rule(p) for p in PROVIDERS),
    *_STRUCTURAL,
    *CONTEXT_RULES,
)
