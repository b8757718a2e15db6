# fireline's default authorisation policy (see docs/policy.md for the input document).
#
# fireline evaluates data.fireline.authz.decision before every write and refuses unless
# `allow` is true, showing the sorted `reasons`. Messages are built with concat: the Rego
# engine fireline embeds quotes strings that sprintf("%s") receives from concat.
package fireline.authz

import data.fireline.gates
import data.fireline.visibility
import rego.v1

default allow := false

allow if count(deny) == 0

decision := {"allow": allow, "reasons": sort([reason | some reason in deny]), "hidden": hidden}

# Need-to-know applies to writes too: to someone who may not see the incident it does not
# exist, so they learn nothing from a refusal either. One exception: a registry admin may
# override a role assignment on any incident (IC handover when the IC cannot be reached),
# on the record with a reason; it does not let the admin read the incident.
default hidden := false

hidden if {
	visibility.restricted(input.incident)
	not visibility.cleared
	not visibility.assigned(input.incident)
	not admin_override
}

admin_override if {
	input.action == "role.override"
	admin
}

registry_actions := {"user.add", "user.update"}

ic_actions := {
	"status.change": "change the status",
	"severity.change": "change the severity",
	"freeze.lift": "lift the deploy freeze",
	"breakglass.grant": "grant breakglass access",
	"breakglass.revoke": "revoke breakglass access",
}

# Until the first user is registered everyone acts as a responder, so a fresh store works
# out of the box; from then on only registered users may write.
open_registry if input.registry.empty

known if open_registry

known if input.actor.registered

# fireline's own services write as system actors (`intake:<source>`, `notifier:outbox`,
# `scheduler:deadlines`), names no user can hold. Each may write only the event kinds of its
# job, listed here per kind; anything else is refused like any unlisted write.
system_kind := kind if {
	kind := object.get(input.actor, "system", null)
	is_string(kind)
}

system_writes := {
	"intake": {"incident.declared", "role.assigned", "entry.detection", "entry.fact", "runbook.attached", "alert.received", "alert.routed"},
	"notifier": {"notification.delivered", "notification.failed"},
	"scheduler": {"postmortem.overdue", "update.reminder", "update.overdue", "obligation.missed"},
}

known if system_kind

deny contains msg if {
	kind := system_kind
	some event in input.events
	not event.kind in system_writes[kind]
	msg := concat("", [input.actor.id, " may not write ", event.kind])
}

# Alert records: only the intake, as the source they came from (`intake:<source>`), records
# received alerts; how a group was routed is the intake's to say too, or a responder's who
# declares from an alert or attaches it by hand on the Alerts page. Only an admin (or anyone
# before the registry starts) adds or removes a source. (Comments here name no rule: the
# diagnosis reads each rule's text, comments included, to find where a failure starts.)
deny contains msg if {
	some event in input.events
	event.kind == "alert.received"
	input.actor.id != concat("", ["intake:", event.payload.source])
	msg := concat("", ["only intake:", event.payload.source, " records alerts from ", event.payload.source, " (", input.actor.id, " may not)"])
}

deny contains msg if {
	some event in input.events
	event.kind == "alert.routed"
	system_kind
	input.actor.id != concat("", ["intake:", event.payload.source])
	msg := concat("", ["only intake:", event.payload.source, " routes alerts from ", event.payload.source, " (", input.actor.id, " may not)"])
}

deny contains msg if {
	input.action in {"source.add", "source.remove"}
	not open_registry
	not admin
	msg := concat("", ["only an admin may add or remove alert sources (", input.actor.id, " is not one)"])
}

# The deadline scheduler (`fireline.deadlines.tick`) records what fell due on any incident.
deadline_scheduler if system_kind == "scheduler"

actor_roles := object.get(input.actor, "roles", [])

admin if "admin" in actor_roles

steward if "steward" in actor_roles

viewer_only if {
	not open_registry
	count(actor_roles) > 0
	every role in actor_roles {
		role == "viewer"
	}
}

# The incident's role holders; writes about no incident (declare, the user registry) have
# none. fireline evaluates with strict built-in errors, so object.get must never see null.
incident_roles := input.incident.roles if is_object(input.incident)

default incident_roles := {}

holders(role) := object.get(incident_roles, role, [])

# The IC, or the declarer while nobody holds the IC role.
acting_ic if input.actor.id in input.incident.acting_ic

commanders := concat(", ", input.incident.acting_ic)

target_status := input.events[0].payload.to_status

deny contains msg if {
	not known
	msg := concat("", [input.actor.id, " is not a registered user; an admin can add them with `fireline user add`"])
}

# A masked export records itself in the ledger but changes nothing: viewers may export.
trail_actions := {"incident.export"}

# A user's own credentials: everyone registered, viewers too, keeps their own password and
# tokens (a viewer's CI needs a read token); only an admin touches another user's.
credential_actions := {"password.set", "token.create", "token.revoke", "token.expiry", "account.lock"}

deny contains msg if {
	input.action in credential_actions
	some event in input.events
	event.payload.user != input.actor.id
	not admin
	msg := concat("", ["only an admin may manage the credentials of another user (", input.actor.id, " is not one)"])
}

deny contains msg if {
	viewer_only
	not input.action in trail_actions
	not input.action in credential_actions
	msg := concat("", [input.actor.id, " is a viewer and cannot change the record"])
}

deny contains "the first registered user must have the admin role" if {
	input.action == "user.add"
	open_registry
	not "admin" in input.command.roles
}

deny contains msg if {
	input.action in registry_actions
	not open_registry
	not admin
	msg := concat("", ["only an admin may change the user registry (", input.actor.id, " is not one)"])
}

deny contains msg if {
	some action, text in ic_actions
	input.action == action
	not acting_ic
	msg := concat("", ["only the incident commander (", commanders, ") may ", text])
}

deny contains msg if {
	input.action == "update.publish"
	not acting_ic
	not input.actor.id in holders("comms")
	msg := concat("", ["only the comms lead or the incident commander may publish an update (", input.actor.id, " is neither)"])
}

# The public status page shows only updates published as public (by the comms lead or the IC,
# like every update: the rule above), never anything of a restricted or drill incident.
deny contains msg if {
	input.action == "update.publish"
	input.command.public
	visibility.restricted(input.incident)
	msg := concat("", [input.incident.id, " is restricted: its updates never go on the public status page"])
}

deny contains msg if {
	input.action == "update.publish"
	input.command.public
	input.incident.drill
	msg := concat("", [input.incident.id, " is a DRILL: its updates never go on the public status page"])
}

# Milestones stated after the fact (impact began, detected, acknowledged) feed the metrics:
# the incident's responders say when; drills done are recorded by the drill's IC.
deny contains msg if {
	input.action == "milestone.record"
	not responder
	msg := concat("", ["only responders of ", input.incident.id, " (its role holders) may record a milestone (", input.actor.id, " holds no role)"])
}

deny contains msg if {
	input.action == "drill.record"
	not acting_ic
	msg := concat("", ["only the incident commander (", commanders, ") may record the drill's outcome"])
}

deny contains msg if {
	input.action in {"role.assign", "role.release"}
	count(holders("ic")) > 0
	not acting_ic
	not admin
	msg := concat("", ["only the incident commander (", commanders, ") may assign or release roles"])
}

# Rebuilding replays every chain into the read tables: store administration, not response.
store_actions := {"store.rebuild": "rebuild the projections"}

deny contains msg if {
	some action, text in store_actions
	input.action == action
	not open_registry
	not admin
	msg := concat("", ["only an admin may ", text, " (", input.actor.id, " is not one)"])
}

deny contains msg if {
	input.action == "role.override"
	not admin
	msg := concat("", ["only a registry admin may override a role assignment (", input.actor.id, " is not one)"])
}

deny contains msg if {
	input.action == "entry.erase"
	not acting_ic
	not steward
	not admin
	msg := concat("", ["only the incident commander, a steward or an admin may erase an entry (", input.actor.id, " is none of them)"])
}

deny contains msg if {
	input.action == "governance.review"
	not steward
	not open_registry
	msg := concat("", ["only a steward may sign off a governance review (", input.actor.id, " is not one)"])
}

# Runbooks and checklists are the responders' tools: anyone holding a role on the incident
# (or the acting IC) may attach a runbook and check or uncheck its items.
responder_actions := {
	"runbook.attach": "attach a runbook",
	"checklist.check": "check a checklist item",
	"checklist.uncheck": "uncheck a checklist item",
	"dataset.mark": "mark a dataset",
	"manifest.check": "record a manifest check",
	"receipt.record": "record a rebuild receipt",
	"step.record": "record a step",
}

responder if acting_ic

responder if {
	some people in incident_roles
	input.actor.id in people
}

deny contains msg if {
	some action, text in responder_actions
	input.action == action
	not responder
	msg := concat("", ["only responders of ", input.incident.id, " (its role holders) may ", text, " (", input.actor.id, " holds no role)"])
}

gate_verbs := {"gate.request": "request", "gate.approve": "approve"}

deny contains msg if {
	some action, verb in gate_verbs
	input.action == action
	not acting_ic
	not input.actor.id in holders("governance_steward")
	msg := concat("", ["only the incident commander or the governance steward may ", verb, " a gate exception (", input.actor.id, " is neither)"])
}

# The seeds: a SEV0/SEV1 with governance risk needs a Governance Steward in the room.
deny contains msg if {
	input.action == "status.change"
	input.incident.severity_position <= 1
	count(input.incident.flags) > 0
	input.incident.status in {"declared", "investigating"}
	not target_status in {"declared", "investigating"}
	count(holders("governance_steward")) == 0
	msg := concat("", [
		input.incident.id, " is ", input.incident.severity, " with policy flags (",
		concat(", ", input.incident.flags),
		"): assign a governance_steward before leaving investigating",
	])
}

# Closure gates: the definition of done, unless an approved exception covers the gate.
deny contains msg if {
	input.action == "status.change"
	some gate in gates.gates_for[target_status]
	count(gates.unmet[gate]) > 0
	not gate in input.incident.excepted_gates
	msg := concat("", ["gate '", gate, "' is not met: ", concat("; ", gates.unmet[gate])])
}

# Postmortems are reviewed by someone other than who wrote them: an author (who drafted,
# edited or submitted that version; the approval event names them) may not approve it.
deny contains msg if {
	input.action == "postmortem.approve"
	some event in input.events
	input.actor.id in event.payload.authors
	msg := concat("", [input.actor.id, " wrote this postmortem and may not approve it; another reviewer must"])
}

# Only the scheduler records a postmortem as overdue.
deny contains msg if {
	input.action == "postmortem.overdue"
	not system_kind
	msg := concat("", ["only fireline's scheduler records an overdue postmortem (", input.actor.id, " is not it)"])
}

# Notification channels and subscriptions are store configuration: admins only (anyone while
# the registry is empty, like the rest of a fresh store).
channel_actions := {"channel.add", "channel.remove", "channel.subscribe", "channel.list", "outbox.read"}

deny contains msg if {
	input.action in channel_actions
	not open_registry
	not admin
	msg := concat("", ["only an admin may manage notification channels (", input.actor.id, " is not one)"])
}

# Delivery records are the outbox worker's alone: no person can claim a message was sent.
deny contains msg if {
	input.action == "notification.record"
	object.get(input.actor, "system", null) != "notifier"
	msg := concat("", ["only the notifier records deliveries (", input.actor.id, " is not it)"])
}

# Deadlines (docs/deadlines.md). Only the deadline scheduler records what fell due (reminders,
# overdue updates, missed obligations): no person can claim a deadline passed.
deny contains msg if {
	input.action == "deadlines.record"
	not deadline_scheduler
	msg := concat("", ["only the deadline scheduler records reminders, overdue updates and missed obligations (", input.actor.id, " is not it)"])
}

# An obligation is recorded met by its owner (a holder of its owner role) or the IC.
deny contains msg if {
	input.action == "obligation.meet"
	some event in input.events
	not acting_ic
	not input.actor.id in holders(event.payload.owner)
	msg := concat("", ["only the incident commander (", commanders, ") or the ", event.payload.owner, " role may record obligation ", event.payload.name, " met (", input.actor.id, " is neither)"])
}

# Governed switches: every flip, hand-over, quarantine or release carries the switch's
# configured rules (allowed_roles, approver_required); a flip is allowed to a holder of one
# of those roles on the incident ("ic" includes the acting IC) or to a user whose registry
# roles include one. When the switch needs an approver, the approver must be someone else
# who could flip it too.
switch_actions := {"switch.set", "switch.handover", "dataset.mark"}

switch_rules contains event.payload if {
	input.action in switch_actions
	some event in input.events
	count(object.get(event.payload, "allowed_roles", [])) > 0
}

switch_name(p) := p.switch

switch_name(p) := concat("", ["quarantine:", p.dataset_id, ":", p.version_id]) if not p.switch

may_flip(roles, who) if {
	"ic" in roles
	who in input.incident.acting_ic
}

may_flip(roles, who) if {
	some role in roles
	who in holders(role)
}

registry_may_flip(roles) if {
	some role in roles
	role in actor_roles
}

no_approver(rules) if object.get(rules, "approver", null) == null

no_approver(rules) if object.get(rules, "approver", null) == ""

deny contains msg if {
	some rules in switch_rules
	not may_flip(rules.allowed_roles, input.actor.id)
	not registry_may_flip(rules.allowed_roles)
	msg := concat("", ["only holders of ", concat(", ", rules.allowed_roles), " may flip ", switch_name(rules), " (", input.actor.id, " holds none of them on ", input.incident.id, ")"])
}

deny contains msg if {
	some rules in switch_rules
	rules.approver_required
	no_approver(rules)
	msg := concat("", ["flipping ", switch_name(rules), " needs an approver (--approver) holding ", concat(", ", rules.allowed_roles)])
}

deny contains msg if {
	some rules in switch_rules
	rules.approver_required
	rules.approver == input.actor.id
	msg := concat("", [input.actor.id, " cannot approve their own flip of ", switch_name(rules)])
}

deny contains msg if {
	some rules in switch_rules
	rules.approver_required
	not no_approver(rules)
	rules.approver != input.actor.id
	not may_flip(rules.allowed_roles, rules.approver)
	msg := concat("", ["the approver ", rules.approver, " holds none of ", concat(", ", rules.allowed_roles), " on ", input.incident.id])
}
