"""Runbook suggestion: the three stages, abstaining, and the alert shapes read. Pure, no store."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.errors import InvalidCommandError
from fireline.suggest.alert import Alert, alert_query, parse_alerts
from fireline.suggest.documents import discover, read_entries
from fireline.suggest.engine import Suggestion, fitting, suggest
from fireline.suggest.rank import Corpus
from fireline.suggest.text import normalise_name, split_identifier, strip_templates, terms

FRONT = """---
id: {id}
title: {title}
owner: sre
last_reviewed: 2026-10-01
tags: [{tags}]
services: [{services}]
alerts: [{alerts}]
---
"""

RUNBOOKS = {
    "db/RBK-db-replication-lag.md": FRONT.format(
        id="RBK-db-replication-lag",
        title="Database replication lag",
        tags="database, postgres",
        services="orders-db",
        alerts="PostgresReplicationLagHigh",
    )
    + """
## Summary
Replicas fall behind the primary and serve stale reads.

## Signals / Detection
- Replication lag above 30 seconds on a replica.
- `pg_replication_lag_seconds` rising; WAL receiver stalled.

## Containment Steps
- [ ] Take the lagging replica out of the read pool.
""",
    "api/RBK-api-5xx-spike.md": FRONT.format(
        id="RBK-api-5xx-spike",
        title="API 5xx spike",
        tags="api, http",
        services="catalog-api",
        alerts="ApiHighErrorRate",
    )
    + """
## Summary
The public API returns server errors.

## Signals / Detection
- HTTP 5xx responses above 2% of requests at the load balancer.
- `http_requests_total{code=~"5.."}` error ratio climbing.

## Containment Steps
- [ ] Roll back the last deploy.
""",
    "etcd/RBK-etcd-leader-changes.md": FRONT.format(
        id="RBK-etcd-leader-changes",
        title="etcd leader changes",
        tags="etcd, kubernetes",
        services="control-plane",
        alerts="",
    )
    + """
## Summary
The etcd cluster keeps electing new leaders.

## Signals / Detection
- Frequent leader elections; `etcd_server_leader_changes_seen_total` increasing.
- Slow disk fsync on etcd members.
""",
    "kubernetes/KubePodCrashLooping.md": """---
title: Pod Crash Looping
---

# KubePodCrashLooping

## Meaning
A container in a pod keeps restarting: CrashLoopBackOff.

## Impact
The workload is degraded or down.

## Diagnosis
Check `kubectl describe pod` and the previous container logs.

## Mitigation
Fix the crashing container's configuration or image.
""",
    "_index.md": "---\ntitle: section page\n---\n",
    "README.md": "# Our runbooks\n\nA library of runbooks about etcd leader changes.\n",
}


def write_runbooks(folder: Path, files: dict[str, str] = RUNBOOKS) -> Path:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return Corpus([e.document() for e in read_entries(write_runbooks(tmp_path / "runbooks"))])


def alert(name: str = "", summary: str = "", **annotations: str) -> Alert:
    labels = {"alertname": name} if name else {}
    notes = {"summary": summary, **annotations} if summary else dict(annotations)
    return Alert(name=name, labels=labels, annotations=notes)


def paths(found: list[Suggestion]) -> list[str]:
    return [s.path for s in found]


def test_discover_skips_section_pages_and_readmes(tmp_path: Path) -> None:
    folder = write_runbooks(tmp_path / "runbooks")
    found = [p.relative_to(folder).as_posix() for p in discover(folder)]
    assert found == [
        "api/RBK-api-5xx-spike.md",
        "db/RBK-db-replication-lag.md",
        "etcd/RBK-etcd-leader-changes.md",
        "kubernetes/KubePodCrashLooping.md",
    ]


def test_explicit_runbook_url_annotation_wins(corpus: Corpus) -> None:
    found = suggest(
        corpus,
        [
            alert(
                "ApiHighErrorRate",
                "API returns 5xx errors",
                runbook_url="https://runbooks.example.com/db/rbk-db-replication-lag",
            )
        ],
        threshold=0.08,
        limit=5,
    )
    assert found[0].path == "db/RBK-db-replication-lag.md"
    assert found[0].score == 1.0
    assert found[0].reason == "the alert's runbook_url annotation names it"
    assert found[1].path == "api/RBK-api-5xx-spike.md"


def test_runbook_annotation_may_name_an_id(corpus: Corpus) -> None:
    found = suggest(corpus, [alert(runbook="RBK-etcd-leader-changes")], threshold=0.08, limit=5)
    assert paths(found) == ["etcd/RBK-etcd-leader-changes.md"]


def test_annotation_naming_no_indexed_runbook_falls_through(corpus: Corpus) -> None:
    found = suggest(
        corpus,
        [alert("ApiHighErrorRate", runbook_url="https://wiki.example.com/nothing-here")],
        threshold=0.08,
        limit=5,
    )
    assert paths(found) == ["api/RBK-api-5xx-spike.md"]
    assert "front-matter alerts" in found[0].reason


@pytest.mark.parametrize(
    "name",
    [
        "PostgresReplicationLagHigh",
        "postgres_replication_lag_high",
        "postgres-replication-lag-high",
    ],
)
def test_alert_name_matches_front_matter_alerts_in_any_spelling(corpus: Corpus, name: str) -> None:
    found = suggest(corpus, [alert(name)], threshold=0.08, limit=5)
    assert found[0].path == "db/RBK-db-replication-lag.md"
    assert found[0].reason == f"alert name {name} is in its front-matter alerts"


def test_alert_name_matches_an_imported_runbooks_file_name(corpus: Corpus) -> None:
    found = suggest(corpus, [alert("kube_pod_crash_looping")], threshold=0.08, limit=5)
    assert found[0].path == "kubernetes/KubePodCrashLooping.md"
    assert found[0].reason == "alert name kube_pod_crash_looping matches its file name or id"


def test_text_matches_signals_when_the_name_is_unknown(corpus: Corpus) -> None:
    found = suggest(
        corpus,
        [alert("Xq7", "etcd cluster has seen many leader changes", description="elections")],
        threshold=0.08,
        limit=5,
    )
    assert found[0].path == "etcd/RBK-etcd-leader-changes.md"
    assert found[0].reason.startswith("text match in title, signals")
    assert "leader" in found[0].reason
    assert 0.08 <= found[0].score < 1.0


def test_imported_meaning_plays_signals(corpus: Corpus) -> None:
    found = suggest(
        corpus, [alert("Xq7", "container restarting in CrashLoopBackOff")], threshold=0.08, limit=5
    )
    assert found[0].path == "kubernetes/KubePodCrashLooping.md"


def test_abstains_when_nothing_fits(corpus: Corpus) -> None:
    found = suggest(
        corpus, [alert("Xq7", "office printer is out of toner paper")], threshold=0.08, limit=5
    )
    assert found == []


def test_threshold_decides_abstaining(corpus: Corpus) -> None:
    weak = [alert("Xq7", "stale reads from a database")]
    assert suggest(corpus, weak, threshold=0.0, limit=5)[0].path == "db/RBK-db-replication-lag.md"
    ranked = suggest(corpus, weak, threshold=1.0, limit=5)
    assert ranked[0].path == "db/RBK-db-replication-lag.md", "ranking never abstains"
    assert not ranked[0].fits
    assert fitting(ranked) == []


def test_limit_caps_the_list(corpus: Corpus) -> None:
    found = suggest(corpus, [alert("Xq7", "etcd database api pod")], threshold=0.0, limit=2)
    assert len(found) == 2


def test_webhook_alerts_are_merged_keeping_each_runbooks_best(corpus: Corpus) -> None:
    webhook = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {"labels": {"alertname": "ApiHighErrorRate"}, "annotations": {}},
            {"labels": {"alertname": "KubePodCrashLooping"}, "annotations": {}},
        ],
    }
    found = suggest(corpus, list(parse_alerts(webhook)), threshold=0.08, limit=5)
    assert paths(found)[:2] == ["api/RBK-api-5xx-spike.md", "kubernetes/KubePodCrashLooping.md"]


def test_expression_comes_from_the_generator_url() -> None:
    (found,) = parse_alerts(
        {
            "labels": {"alertname": "X"},
            "generatorURL": "http://prom:9090/graph?g0.expr=rate%28etcd_server_leader_changes_seen_total%5B15m%5D%29&g0.tab=1",
        }
    )
    assert found.expr == "rate(etcd_server_leader_changes_seen_total[15m])"
    assert set(terms("etcd server leader changes seen")) <= set(alert_query(found).weights)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"labels": {}, "annotations": {}}, "has no labels or annotations"),
        ({"labels": {"a": 1}}, "labels must be an object of strings"),
        ({"annotations": "x"}, "annotations must be an object of strings"),
        ({"alerts": []}, "`alerts` must be a non-empty list"),
        ({"alerts": [{"labels": {}}]}, "alerts[0] has no labels or annotations"),
    ],
)
def test_unusable_alerts_are_refused(data: object, message: str) -> None:
    with pytest.raises(InvalidCommandError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_alerts(data)


def test_identifiers_split_and_normalise() -> None:
    assert split_identifier("KubeAPIDown") == ["kube", "api", "down"]
    assert split_identifier("etcdGRPCRequestsSlow") == ["etcd", "grpc", "requests", "slow"]
    assert split_identifier("k8s") == ["k8s"]
    assert normalise_name("KubePodCrashLooping") == normalise_name("kube-pod-crash-looping")
    assert normalise_name("KubePodCrashLooping") == normalise_name("kube_pod_crash_looping")


def test_templates_keep_only_their_label_names() -> None:
    text = "Pod {{ $labels.namespace }}/{{ $labels.pod }} is at {{ $value | humanize }}"
    assert strip_templates(text).split() == ["Pod", "namespace", "/", "pod", "is", "at"]


def test_promql_terms_drop_functions_and_split_metric_names() -> None:
    expr = 'sum by (job) (rate(node_network_receive_errs_total{job="node"}[5m])) > 0'
    assert terms(expr, promql=True) == terms("node network receive errs node")


def test_stemming_makes_word_forms_meet() -> None:
    assert len({terms(w)[0] for w in ("failing", "failed", "failure", "fails")}) == 1


def test_named_runbooks_come_before_text_matches_of_other_alerts(corpus: Corpus) -> None:
    alerts = [
        alert("Xq7", "etcd cluster leader changes and leader elections"),
        alert("KubePodCrashLooping"),
    ]
    found = suggest(corpus, alerts, threshold=0.0, limit=5)
    assert paths(found)[:2] == [
        "kubernetes/KubePodCrashLooping.md",
        "etcd/RBK-etcd-leader-changes.md",
    ]
    assert found[0].score < 1.0
    assert found[1].reason.startswith("text match")


def test_a_rule_names_itself_at_the_top_level(corpus: Corpus) -> None:
    rule = {"alert": "KubePodCrashLooping", "expr": "x > 0", "annotations": {"summary": "s"}}
    (parsed,) = parse_alerts(rule)
    assert parsed.name == "KubePodCrashLooping"
    assert parsed.expr == "x > 0"
    found = suggest(corpus, [parsed], threshold=0.29, limit=1)
    assert paths(found) == ["kubernetes/KubePodCrashLooping.md"]
