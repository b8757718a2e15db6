# Tests for the default bundle, run by `fireline policy test`.
#
# Each entry of `cases` names a rule, an input and the value the rule must have for it.
# (Table-driven rather than `with input as`: the embedded Rego engine does not evaluate
# `with` reliably against rules built from partial sets.)
package fireline.authz_test

import rego.v1

facts := {
	"impact_stated": true, "mitigations": 1, "detection_recorded": true,
	"next_update_scheduled": true, "root_cause_recorded": true, "action_items_without_due": [],
	"breakglass": [], "postmortem_scheduled": true, "ever_flagged": false,
	"governance_signed_off": false,
}

incident := {
	"id": "INC-20261123-001", "status": "investigating", "severity": "SEV1",
	"severity_position": 1, "flags": [], "labels": [],
	"roles": {"ic": ["alice"], "comms": ["dana"]}, "acting_ic": ["alice"],
	"facts": facts, "excepted_gates": [],
}

request(actor, action, to) := {
	"actor": {"id": actor, "registered": true, "roles": ["responder"], "clearances": []},
	"registry": {"empty": false},
	"action": action,
	"incident": incident,
	"command": {},
	"events": [{"kind": "status.changed", "payload": {"to_status": to}}],
}

allowed := "data.fireline.authz.decision.allow"

reasons := "data.fireline.authz.decision.reasons"

flagged := object.union(incident, {"flags": ["policy-bypass"]})

cases := [
	{"name": "the IC may change the status", "rule": allowed,
	 "input": request("alice", "status.change", "mitigating"), "expect": true},
	{"name": "nobody else may change the status", "rule": reasons,
	 "input": request("bob", "status.change", "mitigating"),
	 "expect": ["only the incident commander (alice) may change the status"]},
	{"name": "only the IC may change the severity", "rule": allowed,
	 "input": request("bob", "severity.change", ""), "expect": false},
	{"name": "the comms lead may publish an update", "rule": allowed,
	 "input": request("dana", "update.publish", ""), "expect": true},
	{"name": "a responder may not publish an update", "rule": allowed,
	 "input": request("bob", "update.publish", ""), "expect": false},
	{"name": "any responder may log an entry", "rule": allowed,
	 "input": request("bob", "entry.log", ""), "expect": true},
	{"name": "an unregistered actor is refused", "rule": reasons,
	 "input": object.union(request("mallory", "entry.log", ""), {"actor": {"id": "mallory", "registered": false}}),
	 "expect": ["mallory is not a registered user; an admin can add them with `fireline user add`"]},
	{"name": "intake may note a detection", "rule": allowed,
	 "input": object.union(request("intake:prom", "entry.log", ""), {"actor": {"id": "intake:prom", "registered": false, "system": "intake"}, "events": [{"kind": "entry.detection", "payload": {}}]}),
	 "expect": true},
	{"name": "a system actor writes only its own kinds", "rule": reasons,
	 "input": object.union(request("intake:prom", "status.change", "resolved"), {"actor": {"id": "intake:prom", "registered": false, "system": "intake"}, "incident": object.union(incident, {"acting_ic": ["intake:prom"]}), "events": [{"kind": "status.changed", "payload": {"to_status": "resolved"}}]}),
	 "expect": ["intake:prom may not write status.changed"]},
	{"name": "a system actor acts on restricted incidents", "rule": "data.fireline.authz.decision.hidden",
	 "input": object.union(request("notifier:outbox", "entry.log", ""), {"actor": {"id": "notifier:outbox", "registered": false, "system": "notifier"}, "incident": object.union(incident, {"labels": ["restricted"]})}),
	 "expect": false},
	{"name": "an empty registry lets anyone log", "rule": allowed,
	 "input": object.union(request("anyone", "entry.log", ""), {"actor": {"id": "anyone", "registered": false}, "registry": {"empty": true}}),
	 "expect": true},
	{"name": "a viewer keeps their own tokens", "rule": allowed,
	 "input": object.union(request("vic", "token.create", ""), {"actor": {"id": "vic", "registered": true, "roles": ["viewer"]}, "events": [{"kind": "token.created", "payload": {"user": "vic"}}]}),
	 "expect": true},
	{"name": "only an admin manages another user's credentials", "rule": reasons,
	 "input": object.union(request("bob", "password.set", ""), {"events": [{"kind": "password.set", "payload": {"user": "alice"}}]}),
	 "expect": ["only an admin may manage the credentials of another user (bob is not one)"]},
	{"name": "an admin may reset another user's password", "rule": allowed,
	 "input": object.union(request("root", "password.set", ""), {"actor": {"id": "root", "registered": true, "roles": ["admin"]}, "events": [{"kind": "password.set", "payload": {"user": "alice"}}]}),
	 "expect": true},
	{"name": "a viewer cannot write", "rule": allowed,
	 "input": object.union(request("vic", "entry.log", ""), {"actor": {"id": "vic", "registered": true, "roles": ["viewer"]}}),
	 "expect": false},
	{"name": "a viewer may export (the export trail changes nothing)", "rule": allowed,
	 "input": object.union(request("vic", "incident.export", ""), {"actor": {"id": "vic", "registered": true, "roles": ["viewer"]}}),
	 "expect": true},
	{"name": "the first user must be an admin", "rule": allowed,
	 "input": object.union(request("root", "user.add", ""), {"registry": {"empty": true}, "command": {"roles": ["responder"]}}),
	 "expect": false},
	{"name": "only an admin changes the registry", "rule": allowed,
	 "input": object.union(request("bob", "user.add", ""), {"command": {"roles": ["responder"]}}),
	 "expect": false},
	{"name": "once there is an IC only the IC staffs the incident", "rule": allowed,
	 "input": request("bob", "role.assign", ""), "expect": false},
	{"name": "a registry admin may override a role assignment", "rule": allowed,
	 "input": object.union(request("pat", "role.override", ""), {"actor": {"id": "pat", "registered": true, "roles": ["admin"]}}),
	 "expect": true},
	{"name": "only a registry admin may override a role assignment", "rule": reasons,
	 "input": request("bob", "role.override", ""),
	 "expect": ["only a registry admin may override a role assignment (bob is not one)"]},
	{"name": "a restricted incident is not hidden from an admin's override", "rule": "data.fireline.authz.decision.hidden",
	 "input": object.union(request("pat", "role.override", ""), {"actor": {"id": "pat", "registered": true, "roles": ["admin"]}, "incident": object.union(incident, {"labels": ["restricted"]})}),
	 "expect": false},
	{"name": "a restricted incident stays hidden from an admin's plain assignment", "rule": "data.fireline.authz.decision.hidden",
	 "input": object.union(request("pat", "role.assign", ""), {"actor": {"id": "pat", "registered": true, "roles": ["admin"]}, "incident": object.union(incident, {"labels": ["restricted"]})}),
	 "expect": true},
	{"name": "a flagged SEV1 needs a steward to leave investigating", "rule": reasons,
	 "input": object.union(request("alice", "status.change", "mitigating"), {"incident": flagged}),
	 "expect": ["INC-20261123-001 is SEV1 with policy flags (policy-bypass): assign a governance_steward before leaving investigating"]},
	{"name": "with a steward it may leave investigating", "rule": allowed,
	 "input": object.union(request("alice", "status.change", "mitigating"), {"incident": object.union(flagged, {"roles": {"ic": ["alice"], "governance_steward": ["erin"]}})}),
	 "expect": true},
	{"name": "an unmet gate blocks the status change", "rule": reasons,
	 "input": object.union(request("alice", "status.change", "mitigated"), {"incident": object.union(incident, {"status": "mitigating", "facts": object.union(facts, {"mitigations": 0})})}),
	 "expect": ["gate 'mitigated' is not met: record at least one mitigation entry"]},
	{"name": "an approved exception lifts the gate", "rule": allowed,
	 "input": object.union(request("alice", "status.change", "mitigated"), {"incident": object.union(incident, {"status": "mitigating", "excepted_gates": ["mitigated"], "facts": object.union(facts, {"mitigations": 0})})}),
	 "expect": true},
	{"name": "closing checks the resolved gate", "rule": allowed,
	 "input": object.union(request("alice", "status.change", "closed"), {"now": "2026-11-23T15:00:00.000000Z", "incident": object.union(incident, {"status": "resolved", "facts": object.union(facts, {"breakglass": [{"grant": "#9 dave (db)", "expires_at": "2026-11-23T16:00:00.000000Z", "revoked": false}]})})}),
	 "expect": false},
	{"name": "an expired grant no longer blocks closing", "rule": allowed,
	 "input": object.union(request("alice", "status.change", "closed"), {"now": "2026-11-23T17:00:00.000000Z", "incident": object.union(incident, {"status": "resolved", "facts": object.union(facts, {"breakglass": [{"grant": "#9 dave (db)", "expires_at": "2026-11-23T16:00:00.000000Z", "revoked": false}]})})}),
	 "expect": true},
	{"name": "a role holder may check a checklist item", "rule": allowed,
	 "input": request("dana", "checklist.check", ""), "expect": true},
	{"name": "someone without a role on the incident may not attach a runbook", "rule": reasons,
	 "input": request("bob", "runbook.attach", ""),
	 "expect": ["only responders of INC-20261123-001 (its role holders) may attach a runbook (bob holds no role)"]},
	{"name": "an open definition-of-done checklist blocks mitigated", "rule": reasons,
	 "input": object.union(request("alice", "status.change", "mitigated"), {"incident": object.union(incident, {"status": "mitigating", "facts": object.union(facts, {"checklists": {"mitigated": {"title": "DoD", "builtin": true, "total": 2, "checked": 1, "open": ["mitigated:2"]}}})})}),
	 "expect": ["gate 'mitigated' is not met: check the 'mitigated' definition-of-done checklist (open: mitigated:2)"]},
	{"name": "a runbook's open checklist does not block by default", "rule": allowed,
	 "input": object.union(request("alice", "status.change", "mitigated"), {"incident": object.union(incident, {"status": "mitigating", "facts": object.union(facts, {"checklists": {"RBK-x": {"title": "X", "builtin": false, "total": 1, "checked": 0, "open": ["RBK-x:1"]}}})})}),
	 "expect": true},
	{"name": "restricted incidents are hidden from others", "rule": "data.fireline.visibility.visible",
	 "input": {"actor": {"id": "bob", "roles": ["responder"]}, "incidents": [object.union(incident, {"labels": ["restricted"]})]},
	 "expect": []},
	{"name": "security sees restricted incidents", "rule": "data.fireline.visibility.visible",
	 "input": {"actor": {"id": "sam", "roles": ["security"]}, "incidents": [object.union(incident, {"labels": ["restricted"]})]},
	 "expect": ["INC-20261123-001"]},
	{"name": "assigned responders see restricted incidents", "rule": "data.fireline.visibility.visible",
	 "input": {"actor": {"id": "dana", "roles": ["responder"]}, "incidents": [object.union(incident, {"labels": ["restricted"]})]},
	 "expect": ["INC-20261123-001"]},
	{"name": "only an admin may rebuild the projections", "rule": reasons,
	 "input": object.union(request("bob", "store.rebuild", ""), {"incident": null}),
	 "expect": ["only an admin may rebuild the projections (bob is not one)"]},
	{"name": "an admin may rebuild the projections", "rule": allowed,
	 "input": object.union(request("root", "store.rebuild", ""), {"incident": null, "actor": {"id": "root", "registered": true, "roles": ["admin"]}}),
	 "expect": true},
	{"name": "reading a restricted incident goes on its trail", "rule": "data.fireline.visibility.access",
	 "input": {"actor": {"id": "sam", "roles": ["security"]}, "view": "show", "incidents": [object.union(incident, {"labels": ["restricted"]})]},
	 "expect": {"visible": ["INC-20261123-001"], "recorded": ["INC-20261123-001"]}},
	{"name": "freeze check and verify disclose no content, so leave no trail", "rule": "data.fireline.visibility.access",
	 "input": {"actor": {"id": "sam", "roles": ["security"]}, "view": "freeze check", "incidents": [object.union(incident, {"labels": ["restricted"]})]},
	 "expect": {"visible": ["INC-20261123-001"], "recorded": []}},
]

test_every_case_has_a_name if {
	every case in cases {
		case.name != ""
	}
}
