"""Redaction: secrets replaced before anything is stored; PII kept but masked in views.

`Redactor` (built-in rules plus gitleaks-format rules) redacts texts and streams; `mask`
hides PII and generalises coordinates for viewers without the `sensitive` clearance
(`can_see_sensitive`). See docs/redaction.md.

Names load on first use (PEP 562): printing a masked line needs only `pii`, not the secret
rules and their compiled patterns, and every CLI line is masked — client mode included.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fireline.redaction.clearance import SENSITIVE as SENSITIVE
    from fireline.redaction.clearance import can_see_sensitive as can_see_sensitive
    from fireline.redaction.engine import Finding as Finding
    from fireline.redaction.engine import Redacted as Redacted
    from fireline.redaction.engine import Redactor as Redactor
    from fireline.redaction.engine import StreamResult as StreamResult
    from fireline.redaction.pii import SENSITIVE_KINDS as SENSITIVE_KINDS
    from fireline.redaction.pii import detect as detect
    from fireline.redaction.pii import mask as mask
    from fireline.redaction.pii import mask_data as mask_data
    from fireline.redaction.pii import mask_stream as mask_stream
    from fireline.redaction.rules import BUILTIN_RULES as BUILTIN_RULES
    from fireline.redaction.rules import Rule as Rule

_HOME = {
    "SENSITIVE": "clearance",
    "can_see_sensitive": "clearance",
    "Finding": "engine",
    "Redacted": "engine",
    "Redactor": "engine",
    "StreamResult": "engine",
    "SENSITIVE_KINDS": "pii",
    "detect": "pii",
    "mask": "pii",
    "mask_data": "pii",
    "mask_stream": "pii",
    "BUILTIN_RULES": "rules",
    "Rule": "rules",
}

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


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
