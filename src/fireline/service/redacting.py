"""Redaction on the write path: every string of every planned payload, and refusal messages.

`redact_payload` runs before payloads are validated, authorised and appended, so no secret
reaches the ledger, the projections, the policy input or an error message. It walks the whole
payload (nested lists and objects too) except the fields a kind declares `verbatim`, and records
the summary (types and counts, PII kinds) in the payload's `redacted` and `sensitive` fields.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fireline.errors import FirelineError
from fireline.events import EVENT_KINDS, SUMMARY_FIELDS
from fireline.redaction import Redactor


def redact_payload(redactor: Redactor, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with every free-text string redacted and the redaction summary recorded.

    A summary the handler already put there (an evidence file's stream findings) is merged in.
    """
    schema = EVENT_KINDS.get(kind)
    verbatim = schema.verbatim if schema is not None else frozenset()
    counts: Counter[str] = Counter(payload.get("redacted") or {})
    sensitive: set[str] = set(payload.get("sensitive") or ())

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            result = redactor.redact(value)
            counts.update(result.summary)
            sensitive.update(result.sensitive)
            return result.text
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    out = {
        key: value if key in verbatim else clean(value)
        for key, value in payload.items()
        if key not in SUMMARY_FIELDS
    }
    out["redacted"] = dict(sorted(counts.items()))
    out["sensitive"] = sorted(sensitive)
    return out


def redact_error(redactor: Redactor, exc: FirelineError) -> None:
    """Redact a refusal's message in place: messages quote input, and input may hold secrets."""
    clean = redactor.redact(exc.message).text
    if clean != exc.message:
        exc.message = clean
        exc.args = (clean,)
