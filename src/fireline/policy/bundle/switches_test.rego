# Tests for the switch rules of the default bundle (authz.rego, gates.rego), run by
# `fireline policy test`: who may flip a governed switch, the approver, and the closure gates
# a held switch and a stability window put on an incident.
package fireline.switches_test

import rego.v1

incident := {
	"id": "INC-20261203-001", "status": "mitigating", "severity": "SEV1",
	"severity_position": 1, "flags": [], "labels": [],
	"roles": {"ic": ["alice"], "tech_lead": ["tara"], "scribe": ["sam"]}, "acting_ic": ["alice"],
	"excepted_gates": [],
}

flip(actor, approver, required) := {
	"actor": {"id": actor, "registered": true, "roles": ["responder"], "clearances": []},
	"registry": {"empty": false},
	"action": "switch.set",
	"incident": incident,
	"command": {},
	"events": [{"kind": "switch.set", "payload": {
		"switch": "global-readonly", "state": "on", "previous": "off", "normal": false,
		"reason": "catalog corruption", "approver": approver,
		"allowed_roles": ["ic", "tech_lead"], "approver_required": required,
	}}],
}

quarantine(actor) := {
	"actor": {"id": actor, "registered": true, "roles": ["responder"], "clearances": []},
	"registry": {"empty": false},
	"action": "dataset.mark",
	"incident": incident,
	"command": {},
	"events": [{"kind": "dataset.marked", "payload": {
		"dataset_id": "cat-2026", "version_id": "v12", "state": "quarantined",
		"reason": "wrong extents", "approver": null,
		"allowed_roles": ["ic", "tech_lead"], "approver_required": false,
	}}],
}

gate_facts(switches) := {
	"impact_stated": true, "mitigations": 1, "detection_recorded": true,
	"next_update_scheduled": true, "root_cause_recorded": true, "action_items_without_due": [],
	"breakglass": [], "postmortem_scheduled": true, "ever_flagged": false,
	"governance_signed_off": false, "switches": switches,
}

gates_input(switches) := {
	"incident": object.union(incident, {"facts": gate_facts(switches)}),
	"now": "2026-12-03T15:20:00.000000Z",
}

allowed := "data.fireline.authz.decision.allow"

reasons := "data.fireline.authz.decision.reasons"

unmet := "data.fireline.gates.unmet"

cases := [
	{"name": "the IC may flip a switch", "rule": allowed,
	 "input": flip("alice", null, false), "expect": true},
	{"name": "a holder of an allowed role may flip it", "rule": allowed,
	 "input": flip("tara", null, false), "expect": true},
	{"name": "a responder without an allowed role may not", "rule": reasons,
	 "input": flip("sam", null, false),
	 "expect": ["only holders of ic, tech_lead may flip global-readonly (sam holds none of them on INC-20261203-001)"]},
	{"name": "a registry role named in the switch's roles may flip it", "rule": allowed,
	 "input": object.union(flip("sam", null, false), {"actor": {"id": "sam", "registered": true, "roles": ["tech_lead"], "clearances": []}}),
	 "expect": true},
	{"name": "a switch that needs an approver refuses a flip without one", "rule": reasons,
	 "input": flip("alice", null, true),
	 "expect": ["flipping global-readonly needs an approver (--approver) holding ic, tech_lead"]},
	{"name": "nobody approves their own flip", "rule": reasons,
	 "input": flip("alice", "alice", true),
	 "expect": ["alice cannot approve their own flip of global-readonly"]},
	{"name": "the approver must hold an allowed role", "rule": reasons,
	 "input": flip("alice", "sam", true),
	 "expect": ["the approver sam holds none of ic, tech_lead on INC-20261203-001"]},
	{"name": "another allowed holder may approve", "rule": allowed,
	 "input": flip("alice", "tara", true), "expect": true},
	{"name": "a quarantine follows the quarantine rules", "rule": reasons,
	 "input": quarantine("sam"),
	 "expect": ["only holders of ic, tech_lead may flip quarantine:cat-2026:v12 (sam holds none of them on INC-20261203-001)"]},
	{"name": "a held switch keeps the incident from resolving", "rule": unmet,
	 "input": gates_input({"held": ["promotions (paused)"], "returned": [], "firing_groups": []}),
	 "expect": {"mitigated": [], "resolved": ["turn back or hand over the switches this incident left flipped (promotions (paused))"]}},
	{"name": "the stability window holds mitigated until it passes", "rule": unmet,
	 "input": gates_input({"held": [], "returned": [{"switch": "global-readonly", "state": "off", "stable_at": "2026-12-03T15:30:00.000000Z"}], "firing_groups": []}),
	 "expect": {"mitigated": ["wait out the stability window: global-readonly returned to off, stable at 2026-12-03T15:30:00.000000Z"], "resolved": []}},
	{"name": "a passed stability window meets mitigated", "rule": unmet,
	 "input": gates_input({"held": [], "returned": [{"switch": "global-readonly", "state": "off", "stable_at": "2026-12-03T15:10:00.000000Z"}], "firing_groups": []}),
	 "expect": {"mitigated": [], "resolved": []}},
	{"name": "a firing alert group holds mitigated after a switch returned", "rule": unmet,
	 "input": gates_input({"held": [], "returned": [{"switch": "global-readonly", "state": "off", "stable_at": "2026-12-03T15:10:00.000000Z"}], "firing_groups": ["api-5xx"]}),
	 "expect": {"mitigated": ["alerts still firing after a switch returned to normal (api-5xx)"], "resolved": []}},
]
