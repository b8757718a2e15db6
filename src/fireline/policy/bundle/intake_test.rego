# Tests for the alert routing rule (data.fireline.intake.route), run by `fireline policy test`.
package fireline.intake_test

import rego.v1

ladder := ["SEV0", "SEV1", "SEV2", "SEV3"]

group(common, incident) := {
	"id": "0123456789abcdef", "key": "{}:{alertname=\"X\"}", "labels": {},
	"common_labels": common, "summary": "", "status": "firing", "previous": null,
	"firing": 1, "total": 1, "flapping": false, "incident": incident,
}

open_api := [{"id": "INC-20261203-001", "severity": "SEV2", "systems": ["api"], "labels": [], "title": "api down"}]

source := {"name": "prom-prod", "kind": "alertmanager"}

cases := [
	{
		"name": "critical declares SEV1",
		"rule": "data.fireline.intake.route",
		"input": {"source": source, "group": group({"severity": "critical", "service": "search"}, null), "open_incidents": open_api, "ladder": ladder},
		"expect": {"action": "declare", "severity": "SEV1", "labels": [], "reason": "severity critical"},
	},
	{
		"name": "same service attaches",
		"rule": "data.fireline.intake.route",
		"input": {"source": source, "group": group({"severity": "critical", "service": "api"}, null), "open_incidents": open_api, "ladder": ladder},
		"expect": {"action": "attach", "incident": "INC-20261203-001", "reason": "an open incident is about api"},
	},
	{
		"name": "a linked incident wins",
		"rule": "data.fireline.intake.route",
		"input": {"source": source, "group": group({"severity": "critical"}, "INC-20261203-007"), "open_incidents": [], "ladder": ladder},
		"expect": {"action": "attach", "incident": "INC-20261203-007", "reason": "the group's incident is still open"},
	},
	{
		"name": "info is ignored",
		"rule": "data.fireline.intake.route",
		"input": {"source": source, "group": group({"severity": "info", "service": "api"}, null), "open_incidents": open_api, "ladder": ladder},
		"expect": {"action": "ignore", "reason": "severity info is not paged"},
	},
	{
		"name": "warning is recorded",
		"rule": "data.fireline.intake.route",
		"input": {"source": source, "group": group({"severity": "warning"}, null), "open_incidents": [], "ladder": ladder},
		"expect": {"action": "record", "reason": "no rule pages for this group"},
	},
	{
		"name": "a severity off the ladder is recorded",
		"rule": "data.fireline.intake.route",
		"input": {"source": source, "group": group({"severity": "critical"}, null), "open_incidents": [], "ladder": ["P1", "P2"]},
		"expect": {"action": "record", "reason": "no rule pages for this group"},
	},
]
