"""`runbook new`: the text of a fresh runbook that fails lint only on its `<<FILL: …>>` marks.

Pure: builds the file name and text from the schema; the CLI writes it. Replace every
placeholder and the runbook passes lint (the tests fill them programmatically to hold that).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date

from fireline.errors import InvalidCommandError
from fireline.runbooks.schema import DEFAULT_SCHEMA, FieldSpec, Schema

_WORD = re.compile(r"[a-z0-9]+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# What to write in each default section; a configured section gets a generic hint.
HINTS: Mapping[str, str] = {
    "Summary": "what this runbook covers and when to use it",
    "Signals / Detection": "the alerts, symptoms, dashboards and logs that point here",
    "Impact / Blast Radius": "what breaks and who is affected",
    "Immediate Safety Checks": "data integrity, secrets and sensitive layers to check first",
    "Containment Steps": "how to stop the bleeding",
    "Recovery Steps": "how to restore service safely",
    "Verification Steps": "how to prove it is actually fixed",
    "Rollback Plan": "how to undo what was done",
    "Evidence Capture": "the minimum artefacts to keep (logs, screenshots, hashes)",
    "Comms Template": "the internal and external update to send",
    "Postmortem Trigger": "when a postmortem is required and how to write it",
    "Hardening Tasks": "the tests, monitors and policy updates that prevent a repeat",
}


def file_name(domain: str, slug: str) -> str:
    """`RBK-<domain>-<slug>.md`; InvalidCommandError for a domain or slug lint would refuse."""
    if not _WORD.fullmatch(domain):
        raise InvalidCommandError(
            f"invalid domain {domain!r}: use lower-case letters and digits, like api"
        )
    if not _SLUG.fullmatch(slug):
        raise InvalidCommandError(
            f"invalid slug {slug!r}: use lower-case words joined by hyphens, like 5xx-spike"
        )
    return f"RBK-{domain}-{slug}.md"


def scaffold(
    domain: str,
    slug: str,
    *,
    today: date,
    owner: str | None = None,
    title: str | None = None,
    schema: Schema = DEFAULT_SCHEMA,
) -> tuple[str, str]:
    """(file name, text) of a new runbook with every schema field and section in order."""
    name = file_name(domain, slug)
    for label, value in (("owner", owner), ("title", title)):
        if value is not None and (not value.strip() or "\n" in value or "\r" in value):
            raise InvalidCommandError(f"--{label} must be one non-empty line, got {value!r}")
    given = {"id": name.removesuffix(".md"), "owner": owner, "title": title}
    front = [_field(spec, given.get(spec.name), today, domain) for spec in schema.fields]
    heading = title.strip() if title else "<<FILL: title>>"
    body = [f"# {heading}", ""]
    for section in schema.sections:
        body += [f"## {section}", "", *_section(section), ""]
    return name, "\n".join(["---", *front, "---", *body]).rstrip("\n") + "\n"


def _field(spec: FieldSpec, value: str | None, today: date, domain: str) -> str:
    if value is not None:
        return f"{spec.name}: {json.dumps(value.strip(), ensure_ascii=False)}"
    if spec.kind == "date":
        return f"{spec.name}: {today.isoformat()}"
    if spec.name == "tags":
        return f'{spec.name}: [{json.dumps(domain)}, "<<FILL: tag>>"]'
    if spec.kind == "list":
        return f'{spec.name}: ["<<FILL: {spec.name}>>"]'
    return f'{spec.name}: "<<FILL: {spec.name}>>"'


def _section(name: str) -> list[str]:
    if "checklist" in name.lower():
        return [
            "- [ ] <<FILL: the first fast, deterministic check>>",
            "  - [ ] <<FILL: a sub-check>>",
            "",
            "```bash {run=<<FILL: where it runs: local, ci, container, prod>>}",
            "<<FILL: command>>",
            "```",
        ]
    return [f"<<FILL: {HINTS.get(name, name.lower())}>>"]
