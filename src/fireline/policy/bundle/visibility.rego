# Need-to-know: who may see a restricted incident at all. Everyone else gets "not found".
#
# fireline asks for data.fireline.visibility.access with input {actor, incidents: [...]},
# where each incident carries its labels, current role holders and acting IC: `visible` are
# the ids the actor may see, `recorded` those whose reading goes on the access trail.
package fireline.visibility

import rego.v1

restricted_labels := {"restricted"}

cleared_roles := {"security", "steward"}

restricted(incident) if {
	some label in incident.labels
	label in restricted_labels
}

cleared if {
	some role in object.get(input.actor, "roles", [])
	role in cleared_roles
}

assigned(incident) if input.actor.id in incident.acting_ic

assigned(incident) if {
	some people in incident.roles
	input.actor.id in people
}

visible contains incident.id if {
	some incident in input.incidents
	not restricted(incident)
}

visible contains incident.id if {
	some incident in input.incidents
	restricted(incident)
	cleared
}

visible contains incident.id if {
	some incident in input.incidents
	restricted(incident)
	assigned(incident)
}

recorded contains incident.id if {
	some incident in input.incidents
	restricted(incident)
	incident.id in visible
}

access := {"visible": visible, "recorded": recorded}
