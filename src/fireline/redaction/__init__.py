"""Redaction: secrets replaced before anything is stored; PII kept but masked in views.

`Redactor` (built-in rules plus gitleaks-format rules) redacts texts and streams; `mask`
hides PII and generalises coordinates for viewers without the `sensitive` clearance
(`can_see_sensitive`). See docs/redaction.md.
"""

from __future__ import annotations

from fireline.redaction.clearance import SENSITIVE, can_see_sensitive
from fireline.redaction.engine import Finding, Redacted, Redactor, StreamResult
from fireline.redaction.pii import SENSITIVE_KINDS, detect, mask, mask_data, mask_stream
from fireline.redaction.rules import BUILTIN_RULES, Rule

__all__ = [
    "BUILTIN_RULES",
    "SENSITIVE",
    "SENSITIVE_KINDS",
    "Finding",
    "Redacted",
    "Redactor",
    "Rule",
    "StreamResult",
    "can_see_sensitive",
    "detect",
    "mask",
    "mask_data",
    "mask_stream",
]
