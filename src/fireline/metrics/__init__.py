"""Response metrics from the milestone projection: durations, rates, charts and gauges.
Drill incidents are never counted."""
