"""`runbook index|search|suggest` through the CLI, on every backend, and every refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fireline.db import RUNBOOK_FTS, runbook_index
from tests.conftest import Cli, Store
from tests.factories import snapshot
from tests.test_suggest import RUNBOOKS, write_runbooks


def ok(cli: Cli, *args: str) -> str:
    result = cli(*args)
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.stdout


def state(store: Store) -> dict[str, Any]:
    """Ledger, projections and the runbook index with its full-text rows."""
    engine = sa.create_engine(store.settings.database_url)
    try:
        with engine.connect() as conn:
            index_rows = sorted(
                tuple(repr(v) for v in row) for row in conn.execute(sa.select(runbook_index))
            )
            fts = conn.execute(sa.text(f"SELECT count(*) FROM {RUNBOOK_FTS}")).scalar()
        return {"tables": snapshot(engine), "index": index_rows, "fts": fts}
    finally:
        engine.dispose()


def refuse(cli: Cli, store: Store, args: tuple[str, ...], code: int, message: str) -> None:
    before = state(store)
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert result.stderr.splitlines() == [result.stderr.strip()], "exactly one stderr line"
    assert result.stderr.startswith("fireline: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert state(store) == before, "a refused command wrote something"


@pytest.fixture
def indexed(cli: Cli, tmp_path: Path) -> Path:
    folder = write_runbooks(tmp_path / "library")
    out = ok(cli, "runbook", "index", str(folder))
    assert out == f"indexed 4 runbooks from {folder.resolve()}\n"
    return folder


def write_alert(tmp_path: Path, data: object, name: str = "alert.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_index_records_folder_paths_ids_titles_and_digests(
    cli: Cli, store: Store, indexed: Path
) -> None:
    engine = sa.create_engine(store.settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                runbook_index.c.path,
                runbook_index.c.folder,
                runbook_index.c.runbook_id,
                runbook_index.c.title,
                runbook_index.c.sha256,
            ).order_by(runbook_index.c.path)
        ).all()
        fts = conn.execute(sa.text(f"SELECT count(*) FROM {RUNBOOK_FTS}")).scalar()
    engine.dispose()
    import hashlib

    digest = hashlib.sha256(RUNBOOKS["api/RBK-api-5xx-spike.md"].encode()).hexdigest()
    assert rows[0] == (
        "api/RBK-api-5xx-spike.md",
        str(indexed.resolve()),
        "RBK-api-5xx-spike",
        "API 5xx spike",
        digest,
    )
    assert [r.path for r in rows] == [
        "api/RBK-api-5xx-spike.md",
        "db/RBK-db-replication-lag.md",
        "etcd/RBK-etcd-leader-changes.md",
        "kubernetes/KubePodCrashLooping.md",
    ]
    assert fts == 4


def test_reindexing_replaces_the_index(
    cli: Cli, store: Store, indexed: Path, tmp_path: Path
) -> None:
    other = write_runbooks(
        tmp_path / "other", {"RBK-dns-outage.md": RUNBOOKS["db/RBK-db-replication-lag.md"]}
    )
    out = json.loads(ok(cli, "runbook", "index", str(other), "--format", "json"))
    assert out["runbooks"] == 1
    assert out["folder"] == str(other.resolve())
    found = json.loads(ok(cli, "runbook", "search", "etcd leader", "--format", "json"))
    assert found == []
    assert state(store)["fts"] == 1


def test_search_ranks_matching_runbooks(cli: Cli, indexed: Path) -> None:
    found = json.loads(ok(cli, "runbook", "search", "etcd leader changes", "--format", "json"))
    assert found[0]["path"] == "etcd/RBK-etcd-leader-changes.md"
    assert set(found[0]) == {"path", "id", "title", "score"}
    assert len(json.loads(ok(cli, "runbook", "search", "the", "--format", "json"))) == 0
    text = ok(cli, "runbook", "search", "replication lag", "--limit", "1")
    assert text.splitlines()[0].endswith("db/RBK-db-replication-lag.md  Database replication lag")
    assert len(text.splitlines()) == 1
    assert ok(cli, "runbook", "search", "printer toner") == "no runbook matches\n"


def test_suggest_json_shape_and_order(cli: Cli, indexed: Path, tmp_path: Path) -> None:
    alert = write_alert(
        tmp_path,
        {
            "status": "firing",
            "labels": {"alertname": "ApiHighErrorRate", "severity": "page"},
            "annotations": {"summary": "API 5xx error rate above 2%"},
            "generatorURL": "http://prom/graph?g0.expr=rate%28http_requests_total%29",
        },
    )
    found = json.loads(ok(cli, "runbook", "suggest", "--alert", alert, "--format", "json"))
    assert found[0] == {
        "path": "api/RBK-api-5xx-spike.md",
        "id": "RBK-api-5xx-spike",
        "title": "API 5xx spike",
        "score": 0.99,
        "fits": True,
        "reason": "alert name ApiHighErrorRate is in its front-matter alerts",
    }
    for item in found:
        assert set(item) == {"path", "id", "title", "score", "fits", "reason"}
    limited = json.loads(
        ok(cli, "runbook", "suggest", "--alert", alert, "--format", "json", "--limit", "1")
    )
    assert limited == found[:1]
    text = ok(cli, "runbook", "suggest", "--alert", alert)
    assert text.splitlines()[:2] == [
        "1. api/RBK-api-5xx-spike.md  API 5xx spike  (score 0.990, fits)",
        "   alert name ApiHighErrorRate is in its front-matter alerts",
    ]


def test_suggest_abstains_with_an_empty_list(cli: Cli, indexed: Path, tmp_path: Path) -> None:
    alert = write_alert(tmp_path, {"annotations": {"summary": "office printer out of toner"}})
    assert json.loads(ok(cli, "runbook", "suggest", "--alert", alert, "--format", "json")) == []
    assert "abstained" in ok(cli, "runbook", "suggest", "--alert", alert)


def test_suggest_all_lists_low_confidence_runbooks_flagged(
    cli: Cli, indexed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRELINE_SUGGEST_THRESHOLD", "1")
    alert = write_alert(tmp_path, {"annotations": {"summary": "etcd leader changes"}})
    args = ("runbook", "suggest", "--alert", alert)
    ranked = json.loads(ok(cli, *args, "--all", "--format", "json"))
    assert ranked[0]["path"] == "etcd/RBK-etcd-leader-changes.md"
    assert [item["fits"] for item in ranked] == [False] * len(ranked)
    lines = ok(cli, *args, "--all").splitlines()
    assert lines[0] == "no runbook fits this alert well enough (abstained)"
    assert lines[1].startswith("1. etcd/RBK-etcd-leader-changes.md  etcd leader changes  (score ")
    assert lines[1].endswith(", low confidence)")


def test_index_reads_folder_pages_as_configured(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_runbooks(tmp_path / "library")
    (folder / "payments").mkdir()
    (folder / "payments" / "README.md").write_text("# Payments\n\nCard settlement.\n")
    assert ok(cli, "runbook", "index", str(folder)).startswith("indexed 5 runbooks")
    alert = write_alert(tmp_path, {"annotations": {"summary": "card settlement failing"}})
    args = ("runbook", "suggest", "--alert", alert, "--all", "--format", "json")
    assert json.loads(ok(cli, *args))[0]["path"] == "payments/README.md"
    monkeypatch.setenv("FIRELINE_RUNBOOK_INDEX_PAGES", "")
    assert ok(cli, "runbook", "index", str(folder)).startswith("indexed 4 runbooks")


def test_cached_corpus_is_built_once_until_the_index_changes(
    cli: Cli, store: Store, indexed: Path
) -> None:
    from fireline.suggest.store import cached_corpus

    engine = sa.create_engine(store.settings.database_url)
    try:
        with engine.connect() as conn:
            first = cached_corpus(conn)[1]
            assert cached_corpus(conn)[1] is first
        ok(cli, "runbook", "index", str(indexed))
        with engine.connect() as conn:
            again = cached_corpus(conn)[1]
        assert again is not first
        assert [d.path for d in again.documents] == [d.path for d in first.documents]
    finally:
        engine.dispose()


def test_suggest_threshold_comes_from_the_settings(
    cli: Cli, indexed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert = write_alert(tmp_path, {"annotations": {"summary": "etcd leader changes"}})
    assert json.loads(ok(cli, "runbook", "suggest", "--alert", alert, "--format", "json"))
    monkeypatch.setenv("FIRELINE_SUGGEST_THRESHOLD", "1")
    assert json.loads(ok(cli, "runbook", "suggest", "--alert", alert, "--format", "json")) == []


def test_suggest_and_search_refuse_before_an_index_exists(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    alert = write_alert(tmp_path, {"labels": {"alertname": "X"}})
    message = "no runbook index yet; run `fireline runbook index DIR` first"
    refuse(cli, store, ("runbook", "suggest", "--alert", alert), 3, message)
    refuse(cli, store, ("runbook", "search", "etcd"), 3, message)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON"),
        ('{"labels": {}, "annotations": {}}', "has no labels or annotations"),
        ('{"alerts": "x"}', "`alerts` must be a non-empty list"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_suggest_refuses_bad_alert_files(
    cli: Cli, store: Store, indexed: Path, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    refuse(cli, store, ("runbook", "suggest", "--alert", str(path)), 2, message)


def test_suggest_refuses_a_file_that_is_not_utf8(
    cli: Cli, store: Store, indexed: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe{}")
    refuse(cli, store, ("runbook", "suggest", "--alert", str(path)), 2, "cannot read alert file")


def test_search_refuses_empty_text(cli: Cli, store: Store, indexed: Path) -> None:
    refuse(cli, store, ("runbook", "search", "  "), 2, "search text is empty")


def test_index_refuses_unusable_folders(
    cli: Cli, store: Store, indexed: Path, tmp_path: Path
) -> None:
    refuse(cli, store, ("runbook", "index", str(tmp_path / "nope")), 2, "does not exist")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "_index.md").write_text("---\ntitle: x\n---\n")
    refuse(cli, store, ("runbook", "index", str(empty)), 2, "no runbooks (*.md) in")
    broken = write_runbooks(tmp_path / "broken", {"ok.md": RUNBOOKS["api/RBK-api-5xx-spike.md"]})
    (broken / "bad.md").write_bytes(b"# title\n\xff\xfe")
    refuse(cli, store, ("runbook", "index", str(broken)), 2, "runbook bad.md is not UTF-8 text")


def test_index_refuses_an_uninitialised_store(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_runbooks(tmp_path / "library")
    monkeypatch.setenv("FIRELINE_HOME", str(tmp_path / "nowhere"))
    monkeypatch.delenv("FIRELINE_DATABASE_URL", raising=False)
    result = cli("runbook", "index", str(folder))
    assert result.exit_code == 6
    assert result.stderr.startswith("fireline: error: no fireline store at")
    assert not (tmp_path / "nowhere").exists()


def test_search_order_is_fireline_ranking_on_every_backend(cli: Cli, indexed: Path) -> None:
    found = json.loads(ok(cli, "runbook", "search", "crash loop", "--format", "json"))
    # "CrashLoopBackOff" is one word to a full-text engine; fireline indexes its parts.
    assert [f["path"] for f in found] == ["kubernetes/KubePodCrashLooping.md"]
    both = json.loads(ok(cli, "runbook", "search", "etcd database replication", "--format", "json"))
    assert [f["path"] for f in both] == [
        "db/RBK-db-replication-lag.md",
        "etcd/RBK-etcd-leader-changes.md",
    ]


@pytest.mark.parametrize("value", ["abc", "1.5", "-0.1"])
def test_a_bad_threshold_is_refused(
    cli: Cli, indexed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    alert = write_alert(tmp_path, {"annotations": {"summary": "etcd leader changes"}})
    monkeypatch.setenv("FIRELINE_SUGGEST_THRESHOLD", value)
    result = cli("runbook", "suggest", "--alert", alert)
    assert result.exit_code == 5
    message = f"setting 'suggest_threshold' must be a number from 0 to 1, got {value!r}"
    assert result.stderr == f"fireline: error: {message}\n"
