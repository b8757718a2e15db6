"""Suggestion on libraries of other styles: content indexing, alert fields by meaning, the
service field, name matches as evidence, passages and the relative abstain flag. Pure."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.runbooks import parse_runbook
from fireline.runbooks.files import runbook_files
from fireline.suggest.alert import Alert, alert_query, parse_alerts, service_terms
from fireline.suggest.confidence import margin, with_confidence
from fireline.suggest.documents import entry, read_entries
from fireline.suggest.engine import fitting, suggest
from fireline.suggest.passages import split_passages
from fireline.suggest.rank import Corpus
from fireline.suggest.text import stem
from tests.test_suggest import write_runbooks

PAGES = ("README.md", "index.md")

# A library of topic pages: one README per service, `#`/`###` headings only, a preamble, and an
# upstream runbook that shares an alert's name with a team's broader page.
LIBRARY = {
    "README.md": "# Operations manual\n\nHow this library is organised.\n",
    "payments/README.md": """# Payments service

The payments service charges cards and settles with the bank every night.

### Settlement job failing
If the nightly settlement job fails, re-run it from the admin console.

### Card gateway latency
Slow card authorisations come from the gateway; check its status page.
""",
    "search/index.md": """---
title: Search
---
Search serves queries from an Elasticsearch cluster; reindexing runs hourly.
Cluster status red means a shard is unassigned: check disk space on the data nodes.
""",
    "upstream/KubeJobFailed.md": """# KubeJobFailed

## Meaning
A Kubernetes job failed to complete.

## Mitigation
Look at the job's pod logs.
""",
    "payments/batch-jobs.md": """---
title: Payments batch jobs
services: [payments]
alerts: []
---
Every batch job of the payments service, settlement and refunds, and what to do when a
Kubernetes job of theirs has failed.

## Settlement job failed
Re-run settlement from the admin console after checking the bank's file arrived.
""",
    "dns/records.md": "# DNS records\n\nHow to change a DNS record.\n",
    "tls/certificates.md": "# TLS certificates\n\nRenewing certificates before expiry.\n",
}


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return write_runbooks(tmp_path / "manual", LIBRARY)


@pytest.fixture
def corpus(library: Path) -> Corpus:
    return Corpus([e.document() for e in read_entries(library, folder_pages=PAGES)])


def test_passages_keep_the_preamble_every_heading_level_and_fenced_hashes() -> None:
    body = "Lead text.\n\n# Title\nintro\n\n### Deep\n```sh\n# not a heading\n```\n## Two\nend\n"
    found = split_passages(body)
    assert [(p.level, p.heading) for p in found] == [(0, ""), (1, "Title"), (3, "Deep"), (2, "Two")]
    assert found[0].text == "Lead text."
    assert "# not a heading" in found[2].text


def test_a_document_without_level_two_headings_is_indexed_whole() -> None:
    text = LIBRARY["payments/README.md"]
    indexed = entry(parse_runbook(text, path="payments/README.md"), sha256="x")
    assert stem("charges") in indexed.fields["signals"], "the preamble is the lead"
    assert stem("settlement") in indexed.fields["body"]
    assert stem("gateway") in indexed.fields["body"]
    assert len(indexed.passages) == 3
    assert indexed.names == ("payments",), "a folder page is named by its folder"


def test_folder_pages_are_runbooks_only_in_subfolders_and_only_when_configured(
    library: Path,
) -> None:
    found = [p.relative_to(library).as_posix() for p in runbook_files(library, folder_pages=PAGES)]
    assert "payments/README.md" in found
    assert "search/index.md" in found
    assert "README.md" not in found, "the library's own README is not a runbook"
    plain = [p.relative_to(library).as_posix() for p in runbook_files(library)]
    assert "payments/README.md" not in plain, "lint and attach keep their old answer"


def test_the_summary_is_read_under_any_of_its_names() -> None:
    for key in ("summary", "title", "message", "description"):
        query = alert_query(Alert("X", {}, {key: "settlement failing"}))
        assert query.weights[stem("settlement")] == 1.0, key


def test_pointers_urls_and_numbers_are_not_query_text() -> None:
    notes = {
        "summary": "Search degraded, see https://grafana.example/d/abc123/search?x=1 for 42",
        "grafana_path": "d/xyz789/latency",
        "dashboard_uid": "qwerty",
    }
    query = alert_query(Alert("X", {}, notes))
    assert "grafana" not in query.weights
    assert "xyz" not in query.weights
    assert "qwerty" not in query.weights
    assert "42" not in query.weights
    assert "search" in query.weights


def test_service_field_reads_labels_and_expression_matchers() -> None:
    (parsed,) = parse_alerts(
        {
            "labels": {"alertname": "X", "service": "payments", "pod": "p-1", "team": "money"},
            "annotations": {"summary": "job failed"},
            "expr": 'kube_job_failed{namespace="batch", job_name!="skip"} > 0',
        }
    )
    service = service_terms(parsed)
    assert service[stem("payments")] == 1.0
    assert service["batch"] == 1.0
    assert service["money"] == 0.5, "the team label counts, less"
    assert "skip" not in service
    assert "p" not in service


def test_service_field_finds_the_services_folder_page(corpus: Corpus) -> None:
    found = suggest(
        corpus,
        [Alert("Xq7", {"service": "payments"}, {"summary": "card gateway latency high"})],
        threshold=0.0,
        limit=3,
    )
    assert found[0].path == "payments/README.md"
    assert "service" in found[0].reason


def test_a_name_match_is_evidence_not_a_verdict(corpus: Corpus) -> None:
    alert = Alert(
        "KubeJobFailed",
        {"alertname": "KubeJobFailed", "namespace": "payments"},
        {"summary": "Settlement job failed in payments"},
    )
    found = suggest(corpus, [alert], threshold=0.53, limit=3)
    assert found[0].path == "upstream/KubeJobFailed.md"
    assert found[0].score == 0.98
    assert found[0].fits
    assert "payments/batch-jobs.md" in [s.path for s in found[:3]], "the team's page stays"


def test_ranking_never_abstains_and_flags_low_confidence(corpus: Corpus) -> None:
    weak = [Alert("Xq7", {}, {"summary": "records of certificates"})]
    found = suggest(corpus, weak, threshold=0.99, limit=3)
    assert found, "the ranked list is always returned"
    assert not any(s.fits for s in found)
    assert fitting(found) == []
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_confidence_is_the_margin_over_the_background() -> None:
    assert margin(3.0, 1.0) == 0.5
    assert margin(1.0, 1.0) == 0.0
    assert margin(0.5, 1.0) == 0.0, "below the background is no confidence, not negative"
    assert margin(0.0, 0.0) == 0.0
    assert with_confidence([]) == []
