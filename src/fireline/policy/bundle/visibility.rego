# Need-to-know: who may see a restricted incident at all. Everyone else gets "not found".
#
# fireline asks for data.fireline.visibility.access with input {actor, view, incidents: [...]},
# where each incident carries its labels, current role holders and acting IC and `view` names
# the command reading (`show`, `list`, `freeze check`, `verify` …): `visible` are the ids the
# actor may see, `recorded` those whose reading goes on the access trail. A view that cannot
# write the trail (`freeze check` and `verify` only read) shows none of the recorded ones.
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

# fireline's own services (intake, notifier, scheduler) act for the record on every incident;
# what they may write is limited by kind in authz.rego.
cleared if is_string(object.get(input.actor, "system", null))

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

# These views disclose no content (an id with its severity and status, or that a chain
# verifies), so reading through them leaves no trail: they may show restricted incidents to
# those who may see them. Add a view here to its set to hide restricted incidents from it.
untrailed_views := {"freeze check", "verify", "switches"}

recorded contains incident.id if {
	some incident in input.incidents
	restricted(incident)
	incident.id in visible
	not input.view in untrailed_views
}

access := {"visible": visible, "recorded": recorded}
