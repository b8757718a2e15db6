"""Redaction on the write path: every string of every planned payload, and refusal messages.

`redact_payload` runs before payloads are validated, authorised and appended, so no secret
reaches the ledger, the projections, the policy input or an error message. It walks the whole
payload (nested lists and objects too) except the fields a kind declares `verbatim`, and records
the summary (types and counts, PII kinds) in the payload's `redacted` and `sensitive` fields.
A field a kind declares in `names` is never rewritten: a secret there refuses the command
(`require_clean_name`), so no credential is stored as, or hidden behind, a placeholder name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fireline.errors import FirelineError, InvalidCommandError, RedactionError
from fireline.events import EVENT_KINDS, SUMMARY_FIELDS
from fireline.redaction import Redactor


def require_clean_name(redactor: Redactor, field: str, name: str) -> None:
    """Refuse a name (actor, user, role holder, owner…) in which a detector finds a secret.

    InvalidCommandError names the detectors, never the value. PII is not refused: a handle like
    an e-mail address is kept and masked in views, like PII anywhere else.
    """
    found = redactor.redact(name).findings
    if found:
        detectors = ", ".join(finding.type for finding in found)
        raise InvalidCommandError(
            f"{field} looks like a secret (detected: {detectors}); names are stored as given, "
            "so choose one that is not a credential"
        )


def redact_payload(redactor: Redactor, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with every free-text string redacted and the redaction summary recorded.

    A summary the handler already put there (an evidence file's stream findings) is merged in.
    """
    schema = EVENT_KINDS.get(kind)
    verbatim = schema.verbatim if schema is not None else frozenset()
    names = schema.names if schema is not None else frozenset()
    for key in sorted(names & payload.keys()):
        value = payload[key]
        for name in value if isinstance(value, list | tuple) else [value]:
            if isinstance(name, str):
                require_clean_name(redactor, key, name)
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
        key: value if key in verbatim or key in names else clean(value)
        for key, value in payload.items()
        if key not in SUMMARY_FIELDS
    }
    out["redacted"] = dict(sorted(counts.items()))
    out["sensitive"] = sorted(sensitive)
    return out


def redact_error(redactor: Redactor, exc: FirelineError) -> None:
    """Redact a refusal's message in place: messages quote input, and input may hold secrets.

    A message redaction cannot make clean is replaced by a line that quotes nothing.
    """
    try:
        clean = redactor.redact(exc.message).text
    except RedactionError:
        clean = f"{type(exc).__name__}: the message could not be redacted and is withheld"
    if clean != exc.message:
        exc.message = clean
        exc.args = (clean,)
