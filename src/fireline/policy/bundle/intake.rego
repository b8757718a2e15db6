# Alert routing: what a new or changed alert group means (see docs/intake.md).
#
# fireline evaluates data.fireline.intake.route for every alert group that starts firing (or
# fires again), with input {source: {name, kind}, group: {id, key, labels, common_labels,
# summary, status, previous, firing, total, flapping, incident}, open_incidents: [{id,
# severity, systems, labels, title}], ladder: [severity names, worst first]}, and reads
#   {"action": "ignore" | "record" | "attach" | "declare", "reason": …,
#    "incident": id (attach), "severity": name, "labels": [...] (declare)}.
# When the rule is undefined, errors, or answers out of shape, fireline records the alerts,
# opens nothing, and says so on /readyz and in /metrics (fail closed).
package fireline.intake

import rego.v1

# Alertmanager's and PagerDuty's severity words, to the default (kfm) ladder.
severities := {"critical": "SEV1", "page": "SEV1", "error": "SEV2", "high": "SEV2"}

quiet := {"none", "info", "informational"}

labels := object.get(input.group, "common_labels", {})

severity_word := lower(object.get(labels, "severity", ""))

service := object.get(labels, "service", "")

# The open incident already about this group (it fired before), then one on the same service.
linked := input.group.incident if is_string(input.group.incident)

same_service contains incident.id if {
	service != ""
	some incident in input.open_incidents
	service in incident.systems
}

route := {"action": "attach", "incident": linked, "reason": "the group's incident is still open"} if {
	linked
} else := {"action": "ignore", "reason": concat("", ["severity ", severity_word, " is not paged"])} if {
	severity_word in quiet
} else := {"action": "attach", "incident": min(same_service), "reason": concat("", ["an open incident is about ", service])} if {
	count(same_service) > 0
} else := {"action": "declare", "severity": severities[severity_word], "labels": [], "reason": concat("", ["severity ", severity_word])} if {
	severities[severity_word]
	severities[severity_word] in input.ladder
} else := {"action": "record", "reason": "no rule pages for this group"}
