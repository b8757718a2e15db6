"""The three seed templates as section lists, and which sections the external version keeps.

`kfm` is 000's A3 skeleton, `ir` is 001's blameless outline, `evidence-kit` is 003's template;
each carries 004's 5-Whys and the record's decisions, hypotheses, updates, corrections and
governance facts. Pure data: the text of each section comes from `generate`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fireline.errors import InvalidCommandError


@dataclass(frozen=True)
class Section:
    """A section of a template: its heading, what fills it, and whether it may leave the
    organisation (the external version drops internal-only sections)."""

    name: str
    fill: str  # a key of generate.FILLERS
    external: bool = True


_RECORD = (
    Section("Decisions", "decisions", external=False),
    Section("Hypotheses considered (not causes)", "hypotheses", external=False),
    Section("Status updates", "updates", external=False),
    Section("Corrections", "corrections", external=False),
    Section("Governance & safety review", "governance", external=False),
)

TEMPLATES: dict[str, tuple[Section, ...]] = {
    "kfm": (
        Section("Overview", "overview"),
        Section("Customer/User impact", "impact"),
        Section("Root cause", "root_causes"),
        Section("Trigger", "trigger"),
        Section("Detection", "detection"),
        Section("Resolution", "resolution"),
        Section("Timeline (UTC)", "timeline"),
        Section("5 Whys", "five_whys", external=False),
        *_RECORD,
        Section("What went well", "to_write"),
        Section("What went poorly", "to_write"),
        Section("Where we got lucky", "to_write", external=False),
        Section("Action items", "actions_list"),
    ),
    "ir": (
        Section("Summary", "summary"),
        Section("Timeline (UTC)", "timeline"),
        Section("Root cause(s)", "root_causes_and_factors"),
        Section("5 Whys", "five_whys", external=False),
        Section("Detection & response", "detection_response"),
        *_RECORD,
        Section("Corrective actions", "actions_table"),
        Section("Prevention / hardening", "to_write"),
    ),
    "evidence-kit": (
        Section("Overview", "overview_kit"),
        Section("Timeline", "timeline_table"),
        Section("Root cause", "root_causes"),
        Section("5 Whys", "five_whys", external=False),
        *_RECORD,
        Section("What worked", "to_write"),
        Section("What didn't", "to_write"),
        Section("Action items", "actions_table"),
    ),
}
TITLES = {
    "kfm": "Postmortem (A3, blameless)",
    "ir": "Postmortem",
    "evidence-kit": "Incident Postmortem",
}


def get_template(name: str) -> tuple[Section, ...]:
    """The template `name` (any case); InvalidCommandError listing the known ones."""
    found = TEMPLATES.get(name.strip().lower())
    if found is None:
        raise InvalidCommandError(
            f"unknown postmortem template {name!r}; known: {', '.join(TEMPLATES)}"
        )
    return found
