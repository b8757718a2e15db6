"""The external version: what may leave the organisation (003: "sanitized for sharing").

Every text is masked for PII (e-mail, phone, IP, precise coordinates) as for a viewer
without clearance, every internal name (actors, role holders, owners, approvers, reviewers)
becomes the role they held or "a responder", dataset ids become "[dataset]". Restricted
sections are never in the external version at all (`templates.Section.external`). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fireline.export.model import Record

ROLE_TITLES = {
    "ic": "the incident commander",
    "tech_lead": "the tech lead",
    "scribe": "the scribe",
    "comms": "the comms lead",
    "governance_steward": "the governance steward",
    "security_lead": "the security lead",
}


def internal_names(record: Record, extra: Iterable[str] = ()) -> dict[str, str]:
    """Every name the record holds → what the external version says instead."""
    names: dict[str, str] = {}
    for role, holder, _since, _until in record.tenures:
        names.setdefault(holder, ROLE_TITLES.get(role, "a responder"))
    people = [*record.actors, record.declared_by, *extra]
    people += [i.owner for i in record.action_items.values()]
    people += [e.approver for e in record.entries.values() if e.approver]
    for person in people:
        if person:
            names.setdefault(person, "a responder")
    return names


def sanitize(text: str, record: Record, extra: Iterable[str] = ()) -> str:
    """`text` fit for the external version."""
    from fireline.redaction import mask

    out = mask(text, coordinate_precision=1.0)
    for dataset in record.datasets:
        ident = str(dataset.get("dataset_id", ""))
        if ident:
            out = re.sub(rf"{re.escape(ident)}(?::[\w.-]+)?", "[dataset]", out)
    names = internal_names(record, extra)
    for name in sorted(names, key=len, reverse=True):
        out = re.sub(rf"(?<![\w@.-]){re.escape(name)}(?![\w-])", names[name], out)
    return out
