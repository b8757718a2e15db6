# Closure gates: the seeds' definition of done, as lists of unmet items.
#
# fireline supplies input.incident.facts (see docs/policy.md); `fireline gates INC` prints
# data.fireline.gates.unmet, and fireline.authz refuses a status change whose gate has unmet
# items unless an exception approved by both the IC and a steward covers it.
package fireline.gates

import rego.v1

# Which gate guards each target status.
gates_for := {
	"mitigated": ["mitigated"],
	"resolved": ["resolved"],
	"closed": ["resolved"],
}

facts := input.incident.facts

missing contains ["mitigated", "state the user harm (declare --impact, or an update with --impact)"] if {
	not facts.impact_stated
}

missing contains ["mitigated", "record at least one mitigation entry"] if {
	facts.mitigations == 0
}

missing contains ["mitigated", "record the detection (declare --detected-at, or log a detection entry)"] if {
	not facts.detection_recorded
}

missing contains ["mitigated", "schedule the next status update"] if {
	not facts.next_update_scheduled
}

missing contains ["resolved", "record the root cause (log root-cause, with --partial if not fully understood)"] if {
	not facts.root_cause_recorded
}

missing contains ["resolved", item] if {
	count(facts.action_items_without_due) > 0
	item := concat("", ["give every follow-up an owner and a due date (", concat(", ", facts.action_items_without_due), ")"])
}

# A grant is active until it is revoked or input.now passes its expiry: no event needed.
active_breakglass := [grant.grant |
	some grant in facts.breakglass
	not grant.revoked
	grant.expires_at > input.now
]

missing contains ["resolved", item] if {
	count(active_breakglass) > 0
	item := concat("", ["revoke active breakglass access (", concat(", ", active_breakglass), ")"])
}

missing contains ["resolved", "schedule the postmortem (fireline postmortem schedule)"] if {
	not facts.postmortem_scheduled
}

missing contains ["resolved", "a steward must sign off the governance review (fireline review)"] if {
	facts.ever_flagged
	not facts.governance_signed_off
}

# The seeds' definitions of done as checklists: when the built-in checklist named after a gate
# is attached (the severity ladder says which levels attach it), every item must be checked.
# A runbook's own checklist is a fact too (facts.checklists[<id>]) for a team's policy to use.
missing contains [gate, item] if {
	some gate in ["mitigated", "resolved"]
	checklist := object.get(object.get(facts, "checklists", {}), gate, null)
	checklist.builtin
	count(checklist.open) > 0
	item := concat("", ["check the '", gate, "' definition-of-done checklist (open: ", concat(", ", checklist.open), ")"])
}

items(gate) := sort([pair[1] |
	some pair in missing
	pair[0] == gate
])

unmet := {"mitigated": items("mitigated"), "resolved": items("resolved")}

# Governed switches (docs/switches.md): a switch this incident left flipped must be turned
# back, or taken over by another open incident, before it resolves; after one returns to
# normal its stability window must pass, with no alert firing on the incident's groups,
# before mitigated holds.
switch_facts := object.get(facts, "switches", {})

missing contains ["resolved", item] if {
	held := object.get(switch_facts, "held", [])
	count(held) > 0
	item := concat("", ["turn back or hand over the switches this incident left flipped (", concat(", ", held), ")"])
}

missing contains ["mitigated", item] if {
	some back in object.get(switch_facts, "returned", [])
	back.stable_at > input.now
	item := concat("", ["wait out the stability window: ", back.switch, " returned to ", back.state, ", stable at ", back.stable_at])
}

missing contains ["mitigated", item] if {
	count(object.get(switch_facts, "returned", [])) > 0
	firing := object.get(switch_facts, "firing_groups", [])
	count(firing) > 0
	item := concat("", ["alerts still firing after a switch returned to normal (", concat(", ", firing), ")"])
}
