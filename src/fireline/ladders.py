"""Severity-ladder presets drawn from the three seed runbooks. Pure data.

`rank` orders levels (higher is worse): kfm's SEV0 and five-level's SEV4 are each their ladder's
worst, which is why no code may compare the digits in the names.
"""

from __future__ import annotations

from fireline.domain import Ladder, SeverityLevel

_CORE = ("ic", "tech_lead", "comms", "scribe")
# Which built-in checklists a level attaches: the worst levels get the first-15-minutes drill
# and both definitions of done; the middle ones the definitions of done; minor ones nothing.
_ALL = ("first-15-minutes", "mitigated", "resolved")
_DONE = ("mitigated", "resolved")

KFM = Ladder(
    "kfm",
    (
        SeverityLevel(
            "SEV0",
            4,
            "Platform unusable for most users, critical partner outage, confirmed or suspected "
            "sensitive exposure, or trust-membrane bypass",
            15,
            "immediate mobilization",
            None,
            _CORE,
            freeze=True,
            checklists=_ALL,
        ),
        SeverityLevel(
            "SEV1",
            3,
            "Major feature down, sustained errors or widespread degradation; high risk of "
            "incorrect public claims or policy failure",
            30,
            "< 30 min to mitigation attempt",
            None,
            _CORE,
            freeze=True,
            checklists=_ALL,
        ),
        SeverityLevel(
            "SEV2",
            2,
            "Partial outage, limited scope, workaround exists; integrity issue limited to one "
            "dataset/version or workflow",
            60,
            "< 4 h to mitigation",
            None,
            ("ic", "tech_lead", "scribe"),
            checklists=_DONE,
        ),
        SeverityLevel(
            "SEV3",
            1,
            "Minor bug, transient blip or internal-only issue; no exposure, no public misinfo",
            None,
            "next business day",
            None,
            ("ic",),
        ),
    ),
)

CLASSIC = Ladder(
    "classic",
    (
        SeverityLevel(
            "SEV1",
            3,
            "Customer-facing service down, major data loss, or security breach",
            30,
            "page immediately; war room within 15 min",
            30,
            ("ic", "tech_lead", "comms"),
            freeze=True,
            checklists=_ALL,
            response_minutes=15,
        ),
        SeverityLevel(
            "SEV2",
            2,
            "Significant degradation for many customers; potential data issue",
            60,
            "page on-call; war room within 1 h",
            120,
            ("ic", "tech_lead"),
            checklists=_DONE,
            response_minutes=60,
        ),
        SeverityLevel(
            "SEV3",
            1,
            "Limited customer impact or internal-only issue",
            None,
            "ticket; next business day",
            None,
            ("ic",),
        ),
    ),
)

FIVE_LEVEL = Ladder(
    "five-level",
    (
        SeverityLevel(
            "SEV4",
            5,
            "Catastrophic: multi-region impact, legally required notifications",
            15,
            "RTO asap; executive bridge",
            None,
            ("ic", "comms", "scribe", "sme"),
            freeze=True,
            checklists=_ALL,
        ),
        SeverityLevel(
            "SEV3",
            4,
            "Critical: full outage, security breach, data corruption",
            30,
            "RTO 1 h; continuous bridge",
            None,
            ("ic", "comms", "scribe"),
            freeze=True,
            checklists=_ALL,
        ),
        SeverityLevel(
            "SEV2",
            3,
            "Major impact: checkout errors < 15%, partial data exposure",
            60,
            "RTO 4 h",
            None,
            ("ic", "comms"),
            checklists=_DONE,
        ),
        SeverityLevel(
            "SEV1",
            2,
            "Minor impact: single feature degraded with workaround",
            120,
            "RTO 8 h",
            None,
            ("ic",),
        ),
        SeverityLevel(
            "SEV0",
            1,
            "Informational: scheduled maintenance, noise-only alerts",
            None,
            "RTO n/a",
            None,
            (),
        ),
    ),
)

PRESETS: dict[str, Ladder] = {ladder.name: ladder for ladder in (KFM, CLASSIC, FIVE_LEVEL)}
