"""What fireline asks of a policy bundle: its entry-point rules, the shape of each answer, and
the probe inputs every entry point must answer when the bundle loads.

Pure: no engine, no I/O. A reader raises `MalformedAnswer` naming the shape it expected, so a
bundle that answers out of shape is reported as one that cannot decide, never read as a deny
or as "nothing visible".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DECISION_RULE = "data.fireline.authz.decision"
GATES_RULE = "data.fireline.gates.unmet"
VISIBILITY_RULE = "data.fireline.visibility.access"
ENTRY_POINTS = (DECISION_RULE, GATES_RULE, VISIBILITY_RULE)


class MalformedAnswer(Exception):
    """An entry point answered, but not in the shape fireline reads."""


@dataclass(frozen=True)
class Decision:
    """What the policy said: allowed or not, and the human-readable reasons for a deny."""

    allow: bool
    reasons: tuple[str, ...]
    hidden: bool = False  # the incident is not the actor's to see: answer "not found"


@dataclass(frozen=True)
class Visibility:
    """The incident ids an actor may see, and those whose reading goes on the access trail."""

    visible: frozenset[str]
    recorded: frozenset[str]


def read_decision(value: Any) -> Decision:
    """`{"allow": bool, "reasons": [str], "hidden": bool?}`; a deny always carries a reason."""
    if not isinstance(value, dict) or not isinstance(value.get("allow"), bool):
        raise MalformedAnswer(f"allow must be a boolean, got {_shown(value)}")
    reasons = value.get("reasons", [])
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise MalformedAnswer(f"reasons must be a list of strings, got {_shown(reasons)}")
    hidden = value.get("hidden", False)
    if not isinstance(hidden, bool):
        raise MalformedAnswer(f"hidden must be a boolean, got {_shown(hidden)}")
    if not value["allow"] and not reasons:
        reasons = ["denied by policy (no reason given)"]
    return Decision(value["allow"] and not hidden, tuple(reasons), hidden)


def read_gates(value: Any) -> dict[str, list[str]]:
    """`{gate: [unmet item]}`."""
    if not isinstance(value, dict) or not all(
        isinstance(items, list) and all(isinstance(i, str) for i in items)
        for items in value.values()
    ):
        raise MalformedAnswer(f"must map each gate to a list of strings, got {_shown(value)}")
    return {gate: list(items) for gate, items in value.items()}


def read_visibility(value: Any) -> Visibility:
    """`{"visible": [id], "recorded": [id]}`; only a visible incident can be recorded."""
    ids = {}
    for key in ("visible", "recorded"):
        found = value.get(key) if isinstance(value, dict) else None
        if not isinstance(found, list) or not all(isinstance(i, str) for i in found):
            raise MalformedAnswer(f"{key} must be a list of incident ids, got {_shown(found)}")
        ids[key] = frozenset(found)
    return Visibility(ids["visible"], ids["recorded"] & ids["visible"])


READERS = {DECISION_RULE: read_decision, GATES_RULE: read_gates, VISIBILITY_RULE: read_visibility}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# The probe inputs: every field fireline sends each entry point (governance.py builds the real
# ones; a test holds the two to the same keys), with values that reach deep into the default
# rules: a restricted, flagged SEV1 leaving investigating with open gates and an active grant.
_FACTS: Mapping[str, Any] = {
    "impact_stated": False,
    "mitigations": 0,
    "detection_recorded": False,
    "next_update_scheduled": False,
    "root_cause_recorded": False,
    "action_items_without_due": ["#4"],
    "breakglass": [
        {
            "grant": "#5 probe-dba (db)",
            "expires_at": "2000-01-01T01:00:00.000000Z",
            "revoked": False,
        }
    ],
    "postmortem_scheduled": False,
    "ever_flagged": True,
    "governance_signed_off": False,
    "checklists": {
        "mitigated": {
            "title": "Mitigated",
            "builtin": True,
            "total": 2,
            "checked": 1,
            "open": ["mitigated:2"],
        }
    },
    "switches": {
        "held": ["promotions (paused)"],
        "returned": [
            {
                "switch": "global-readonly",
                "state": "off",
                "stable_at": "2000-01-01T00:30:00.000000Z",
            }
        ],
        "firing_groups": ["probe-group"],
    },
}
_ROLES = {"ic": ["probe-ic"], "comms": ["probe-comms"]}
_ACTOR = {
    "actor": {"id": "probe-actor", "registered": True, "roles": ["responder"], "clearances": []},
    "registry": {"empty": False},
}
_INCIDENT = {
    "id": "INC-20000101-001",
    "status": "investigating",
    "severity": "SEV1",
    "severity_position": 1,
    "ladder": "kfm",
    "labels": ["restricted"],
    "flags": ["policy-bypass"],
    "declared_by": "probe-ic",
    "roles": _ROLES,
    "acting_ic": ["probe-ic"],
    "excepted_gates": [],
    "drill": False,
    "facts": _FACTS,
}
_NOW = "2000-01-01T00:00:00.000000Z"
PROBES: Mapping[str, tuple[Mapping[str, Any], ...]] = {
    DECISION_RULE: (
        {
            **_ACTOR,
            "action": "status.change",
            "incident": _INCIDENT,
            "command": {"incident_id": _INCIDENT["id"], "to_status": "mitigated", "reason": ""},
            "events": [{"kind": "status.changed", "payload": {"to_status": "mitigated"}}],
            "now": _NOW,
        },
        {  # a write about no incident, by the first user of an empty registry
            "actor": {"id": "probe-root", "registered": False, "roles": [], "clearances": []},
            "registry": {"empty": True},
            "action": "user.add",
            "incident": None,
            "command": {"name": "probe-root", "roles": ["admin"], "clearances": []},
            "events": [{"kind": "user.added", "payload": {"name": "probe-root"}}],
            "now": _NOW,
        },
    ),
    GATES_RULE: ({"incident": _INCIDENT, "now": _NOW},),
    VISIBILITY_RULE: (
        {
            **_ACTOR,
            "view": "show",
            "incidents": [
                {
                    "id": _INCIDENT["id"],
                    "labels": ["restricted"],
                    "roles": _ROLES,
                    "acting_ic": ["probe-ic"],
                },
                {"id": "INC-20000101-002", "labels": [], "roles": {}, "acting_ic": ["probe-ic"]},
            ],
        },
    ),
}
