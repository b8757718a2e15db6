"""Runbook lint rules, the imported format, the scaffold, and the report renderings."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.errors import InvalidCommandError, RunbookError
from fireline.runbooks import DEFAULT_SCHEMA, make_schema, parse_runbook
from fireline.runbooks import report as render
from fireline.runbooks.lint import (
    PLACEHOLDER,
    RULES,
    Finding,
    LintOptions,
    LintReport,
    collect,
    lint_paths,
    lint_runbook,
)
from fireline.runbooks.scaffold import file_name, scaffold

TODAY = date(2026, 12, 1)
OPTIONS = LintOptions(today=TODAY)
NAME = "RBK-api-5xx-spike.md"


def make_runbook(
    *,
    front: dict[str, str] | None = None,
    sections: dict[str, str] | None = None,
    order: list[str] | None = None,
) -> str:
    """A runbook that lints clean; `front`/`sections` override lines, `order` reorders."""
    fields = {
        "id": "RBK-api-5xx-spike",
        "title": "API 5xx spike",
        "owner": "team-api",
        "last_reviewed": "2026-11-20",
        "tags": "[api]",
        "services": "[gateway]",
        "alerts": "[Api5xxHigh]",
    }
    fields.update(front or {})
    bodies = {name: f"What to do for {name.lower()}." for name in DEFAULT_SCHEMA.sections}
    bodies["Triage Checklist"] = (
        "- [ ] Check the error rate\n  - [ ] Per route\n\n```bash {run=prod-bastion}\nls\n```"
    )
    bodies.update(sections or {})
    head = [f"{key}: {value}" for key, value in fields.items() if value != "<absent>"]
    names = order or list(DEFAULT_SCHEMA.sections)
    body = [f"## {name}\n\n{bodies[name]}\n" for name in names if bodies[name] != "<absent>"]
    return "---\n" + "\n".join(head) + "\n---\n# API 5xx spike\n\n" + "\n".join(body)


def lint(text: str, path: str = NAME, options: LintOptions = OPTIONS) -> list[Finding]:
    return lint_runbook(parse_runbook(text, path=path), options)


def rules(text: str, path: str = NAME, options: LintOptions = OPTIONS) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in lint(text, path, options)]


def test_a_complete_runbook_has_no_findings() -> None:
    assert lint(make_runbook()) == []


def test_no_front_matter_is_an_error() -> None:
    text = make_runbook().split("---\n", 2)[2]
    assert rules(text) == [("front-matter-missing", "error")]


def test_invalid_yaml_is_reported_on_its_line() -> None:
    found = lint(make_runbook(front={"tags": "[api"}))
    assert [(f.rule, f.line) for f in found] == [("front-matter-invalid", 7)]
    assert found[0].message.startswith("front matter is not valid YAML")


@pytest.mark.parametrize("field", ["id", "title", "owner", "last_reviewed", "tags", "alerts"])
def test_each_missing_required_field_is_reported(field: str) -> None:
    found = lint(make_runbook(front={field: "<absent>"}))
    assert [(f.rule, f.message) for f in found if f.rule == "field-missing"] == [
        ("field-missing", f"front matter lacks {field!r}")
    ]


def test_an_empty_value_is_missing_but_an_empty_list_is_present() -> None:
    assert rules(make_runbook(front={"owner": "''"})) == [("field-missing", "error")]
    assert rules(make_runbook(front={"alerts": "[]"})) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("owner", "[a, b]", "front-matter 'owner' must be a string, got ['a', 'b']"),
        ("tags", "api", "front-matter 'tags' must be a list of non-empty strings, got 'api'"),
        (
            "tags",
            "[api, 3]",
            "front-matter 'tags' must be a list of non-empty strings, got ['api', 3]",
        ),
        ("last_reviewed", "soon", "front-matter 'last_reviewed' must be a date YYYY-MM-DD"),
        ("last_reviewed", "2027-01-01", "front-matter 'last_reviewed' is in the future"),
        ("severity", "3", "front-matter 'severity' must be a string, got 3"),
    ],
)
def test_wrong_field_values_are_invalid_on_their_line(field: str, value: str, message: str) -> None:
    found = lint(make_runbook(front={field: value}))
    assert [f.rule for f in found] == ["field-invalid"]
    assert found[0].message.startswith(message)
    assert (
        found[0].line
        == make_runbook(front={field: value}).split("\n").index(f"{field}: {value}") + 1
    )


def test_a_quoted_date_and_a_timestamp_are_accepted() -> None:
    assert lint(make_runbook(front={"last_reviewed": "'2026-11-20'"})) == []
    assert lint(make_runbook(front={"last_reviewed": "2026-11-20 09:00:00"})) == []


def test_a_review_older_than_the_window_is_stale() -> None:
    old = (TODAY - timedelta(days=181)).isoformat()
    found = lint(make_runbook(front={"last_reviewed": old}))
    assert [(f.rule, f.severity) for f in found] == [("stale", "error")]
    assert "is 181 days old (more than 180)" in found[0].message
    edge = (TODAY - timedelta(days=180)).isoformat()
    assert lint(make_runbook(front={"last_reviewed": edge})) == []
    tight = LintOptions(today=TODAY, stale_days=5)
    assert rules(make_runbook(), options=tight) == [("stale", "error")]


def test_missing_sections_are_listed_where_they_belong() -> None:
    text = make_runbook(sections={"Rollback Plan": "<absent>", "Summary": "<absent>"})
    found = [f for f in lint(text) if f.rule == "section-missing"]
    book = parse_runbook(text, path=NAME)
    lines = {s.canonical: s.line for s in book.sections}
    assert [(f.message, f.line) for f in found] == [
        ("missing section 'Summary'", lines["Signals / Detection"]),
        ("missing section 'Rollback Plan'", lines["Evidence Capture"]),
    ]


def test_a_missing_last_section_points_at_the_end_of_the_file() -> None:
    text = make_runbook(sections={"Hardening Tasks": "<absent>"})
    found = lint(text)
    assert [(f.rule, f.line) for f in found] == [("section-missing", len(text.splitlines()))]


def test_sections_out_of_order_are_named_with_where_they_belong() -> None:
    names = list(DEFAULT_SCHEMA.sections)
    names.remove("Rollback Plan")
    names.insert(1, "Rollback Plan")
    found = lint(make_runbook(order=names))
    assert [(f.rule, f.message) for f in found] == [
        (
            "section-order",
            "section 'Rollback Plan' is out of order: it belongs after 'Verification Steps'",
        )
    ]


def test_a_first_section_placed_last_belongs_before_the_next() -> None:
    names = [*DEFAULT_SCHEMA.sections[1:], "Summary"]
    found = lint(make_runbook(order=names))
    assert [f.message for f in found] == [
        "section 'Summary' is out of order: it belongs before 'Signals / Detection'"
    ]


def test_empty_sections_and_comment_only_sections_are_errors() -> None:
    text = make_runbook(sections={"Summary": "", "Rollback Plan": "<!-- later -->"})
    assert [f.message for f in lint(text)] == [
        "section 'Summary' is empty",
        "section 'Rollback Plan' is empty",
    ]


def test_a_section_written_twice_is_a_duplicate() -> None:
    text = make_runbook() + "\n## Summary & overview\n\nagain\n"
    found = lint(text)
    assert [f.rule for f in found] == ["section-duplicate"]
    assert "'Summary & overview' repeats section 'Summary' (first at line 12)" in found[0].message


def test_tolerant_headings_lint_clean() -> None:
    text = make_runbook().replace("## Signals / Detection", "## 🛰️ Signals & Detection")
    text = text.replace("## Rollback Plan", "## 9. rollback")
    assert lint(text) == []


def test_checklist_section_without_items_and_items_without_text() -> None:
    text = make_runbook(sections={"Triage Checklist": "Look around.\n\n- plain item"})
    assert [f.message for f in lint(text)] == [
        "checklist section 'Triage Checklist' has no '- [ ]' items"
    ]
    empty = make_runbook(sections={"Triage Checklist": "- [ ] Check\n- [ ]\n"})
    assert [f.message for f in lint(empty)] == ["checklist item has no text"]


def test_checklist_items_of_the_next_section_do_not_count() -> None:
    text = make_runbook(
        sections={"Triage Checklist": "prose", "Containment Steps": "- [ ] Contain it"}
    )
    assert rules(text) == [("checklist-empty", "error")]


@pytest.mark.parametrize(
    ("fence", "clean"),
    [
        ("```bash\nls\n```", False),
        ("```sh\nls\n```", False),
        ("```console\n$ ls\n```", False),
        ("```bash {run=prod}\nls\n```", True),
        ("```bash host=db-1\nls\n```", True),
        ('```bash {where="ci runner"}\nls\n```', True),
        ("Run on: a prod bastion\n```bash\nls\n```", True),
        ("**Runs on:** laptop\n```bash\nls\n```", True),
        ("Where: ci\n```bash\nls\n```", True),
        ("Run on:\n```bash\nls\n```", False),
        ("```promql\nup\n```", True),
        ("```\nplain\n```", True),
    ],
)
def test_command_fences_must_say_where_they_run(fence: str, clean: bool) -> None:
    text = make_runbook(sections={"Containment Steps": fence})
    assert rules(text) == ([] if clean else [("command-where", "error")])


def test_command_languages_come_from_the_options() -> None:
    text = make_runbook(sections={"Containment Steps": "```nu\nls\n```"})
    assert rules(text) == []
    nushell = LintOptions(today=TODAY, command_languages=frozenset({"nu"}))
    assert rules(text, options=nushell) == [("command-where", "error")]


def test_relative_links_must_point_at_existing_files(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "dash board.md").write_text("x")
    links = (
        "[ok](docs/dash%20board.md#top) [ext](https://example.com/x.md) [abs](/etc/nowhere) "
        "[anchor](#summary) [mail](mailto:a@b.c)\n[gone](docs/gone.md) ![img](img/missing.png)"
    )
    text = make_runbook(sections={"Evidence Capture": links})
    found = lint(text, path=str(tmp_path / NAME))
    assert [(f.rule, f.message) for f in found] == [
        ("link-broken", "link target 'docs/gone.md' does not exist"),
        ("link-broken", "link target 'img/missing.png' does not exist"),
    ]
    line = text.split("\n").index("[gone](docs/gone.md) ![img](img/missing.png)") + 1
    assert {f.line for f in found} == {line}


@pytest.mark.parametrize(
    "name", ["api-5xx.md", "RBK-api.md", "RBK-API-5xx.md", "RBK-api-5xx_spike.md", "rbk-a-b.md"]
)
def test_file_names_follow_rbk_domain_slug(name: str) -> None:
    text = make_runbook(front={"id": name.removesuffix(".md")})
    assert rules(text, path=f"lib/{name}") == [("file-name", "error")]


def test_front_matter_id_must_match_the_file_name() -> None:
    found = lint(make_runbook(), path="lib/RBK-api-other.md")
    assert [(f.rule, f.line) for f in found] == [("id-mismatch", 2)]


def test_placeholders_are_errors_on_their_lines() -> None:
    text = make_runbook(sections={"Summary": "<<FILL: what it covers>> and <<FILL>>"})
    found = lint(text)
    assert [f.rule for f in found] == ["placeholder", "placeholder"]
    assert found[0].message == "placeholder left from the scaffold: <<FILL: what it covers>>"


IMPORTED = """\
---
title: Disk Filling Up
weight: 20
---
# DiskFillingUp

## Meaning
The disk fills.

## Impact
Writes fail.

## Diagnosis
Look at the mount point:

```shell
df -h
```

## Mitigation
Delete old files. See [the node guide](node.md).
"""


def test_an_imported_runbook_is_reported_as_imported_with_warnings_only(tmp_path: Path) -> None:
    (tmp_path / "node.md").write_text("x")
    found = lint(IMPORTED, path=str(tmp_path / "DiskFillingUp.md"))
    assert [(f.rule, f.severity, f.line) for f in found] == [
        ("file-name", "warning", 1),
        ("imported", "warning", 7),
        ("checklist-empty", "warning", 13),
        ("command-where", "warning", 16),
    ]
    assert found[1].message == (
        "imported four-section runbook (Meaning/Impact/Diagnosis/Mitigation); missing sections: "
        "Signals / Detection, Immediate Safety Checks, Verification Steps, Rollback Plan, "
        "Evidence Capture, Comms Template, Postmortem Trigger, Hardening Tasks; "
        "front matter lacks id, owner, last_reviewed, tags, services, alerts"
    )
    report = LintReport(1, tuple(found))
    assert (report.errors, report.warnings, report.exit_code) == (0, 4, 0)


def test_imported_runbook_without_front_matter_says_so() -> None:
    text = IMPORTED.split("---\n", 2)[2].replace(" See [the node guide](node.md).", "")
    found = lint(text, path="DiskFillingUp.md")
    assert found[1].message.endswith("Hardening Tasks; no front matter")


def test_what_is_broken_in_an_imported_runbook_stays_an_error(tmp_path: Path) -> None:
    text = IMPORTED.replace("Writes fail.", "").replace("weight: 20", "weight: [20")
    found = lint(text, path=str(tmp_path / "DiskFillingUp.md"))
    errors = [(f.rule, f.line) for f in found if f.severity == "error"]
    assert errors == [("front-matter-invalid", 4), ("section-empty", 10), ("link-broken", 21)]


def test_strict_turns_every_warning_into_an_error() -> None:
    strict = LintOptions(today=TODAY, strict=True)
    found = lint(IMPORTED.replace(" See [the node guide](node.md).", ""), "D.md", strict)
    assert found
    assert {f.severity for f in found} == {"error"}


def test_every_rule_is_described() -> None:
    assert set(RULES) >= {
        "front-matter-missing",
        "front-matter-invalid",
        "field-missing",
        "field-invalid",
        "stale",
        "section-missing",
        "section-order",
        "section-empty",
        "section-duplicate",
        "checklist-empty",
        "command-where",
        "link-broken",
        "file-name",
        "id-mismatch",
        "placeholder",
        "imported",
    }


def test_a_configured_schema_is_what_lint_checks() -> None:
    schema = make_schema("id,owner", ["Overview", "Fix"])
    options = LintOptions(today=TODAY, schema=schema)
    text = "---\nid: RBK-api-x\nowner: me\n---\n## Overview\nx\n## Fix\ny\n"
    book = parse_runbook(text, path="RBK-api-x.md", schema=schema)
    assert lint_runbook(book, options) == []
    shuffled = parse_runbook(text.replace("id:", "team:"), path="RBK-api-x.md", schema=schema)
    assert [f.rule for f in lint_runbook(shuffled, options)] == ["field-missing"]


# The scaffold


def fill(text: str) -> str:
    return PLACEHOLDER.sub("filled", text)


def test_the_scaffold_fails_only_on_placeholders_and_passes_once_filled() -> None:
    name, text = scaffold("api", "5xx-spike", today=TODAY, owner="team-api")
    assert name == NAME
    found = lint(text, path=name)
    assert found
    assert {f.rule for f in found} == {"placeholder"}
    assert lint(fill(text), path=name) == []
    book = parse_runbook(fill(text), path=name)
    assert book.owner == "team-api"
    assert book.last_reviewed == TODAY
    assert [s.canonical for s in book.sections] == list(DEFAULT_SCHEMA.sections)
    assert [(i.depth, i.section) for i in book.checklist] == [
        (0, "Triage Checklist"),
        (1, "Triage Checklist"),
    ]


def test_the_scaffold_follows_a_configured_schema() -> None:
    schema = make_schema("id,team,due?,links", ["Overview", "Run checklist"])
    name, text = scaffold("db", "slow", today=TODAY, schema=schema)
    options = LintOptions(today=TODAY, schema=schema)
    assert {f.rule for f in lint_runbook(parse_runbook(text, path=name, schema=schema), options)}
    filled = parse_runbook(fill(text), path=name, schema=schema)
    assert lint_runbook(filled, options) == []


names = st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)
slugs = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,3}", fullmatch=True)
lines = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda s: s.strip() and "<<" not in s)


@given(names, slugs, lines, lines)
def test_scaffold_round_trips_any_valid_name_owner_and_title(
    domain: str, slug: str, owner: str, title: str
) -> None:
    name, text = scaffold(domain, slug, today=TODAY, owner=owner, title=title)
    book = parse_runbook(fill(text), path=name)
    assert book.id == f"RBK-{domain}-{slug}"
    assert book.owner == owner.strip()
    assert book.title == title.strip()
    assert lint_runbook(book, OPTIONS) == []


@pytest.mark.parametrize(
    ("domain", "slug", "message"),
    [
        ("API", "x", "invalid domain 'API'"),
        ("a-b", "x", "invalid domain 'a-b'"),
        ("", "x", "invalid domain ''"),
        ("api", "5xx_spike", "invalid slug '5xx_spike'"),
        ("api", "-x", "invalid slug '-x'"),
        ("api", "", "invalid slug ''"),
    ],
)
def test_scaffold_refuses_names_lint_would_refuse(domain: str, slug: str, message: str) -> None:
    with pytest.raises(InvalidCommandError, match=message):
        file_name(domain, slug)


@pytest.mark.parametrize(("owner", "title"), [(" ", None), (None, "a\nb"), ("x\ry", None)])
def test_scaffold_refuses_blank_or_multiline_owner_and_title(
    owner: str | None, title: str | None
) -> None:
    with pytest.raises(InvalidCommandError, match="must be one non-empty line"):
        scaffold("api", "x", today=TODAY, owner=owner, title=title)


# Collecting files


def test_collect_searches_folders_and_skips_readme_index_and_hidden(tmp_path: Path) -> None:
    for rel in ("a/RBK-a-b.md", "a/README.md", "a/_index.md", ".git/x.md", "_drafts/y.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    (tmp_path / "a" / "notes.txt").write_text("x")
    readme = tmp_path / "a" / "README.md"
    assert collect([tmp_path, readme, tmp_path / "a"]) == [tmp_path / "a" / "RBK-a-b.md", readme]


def test_collect_refuses_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="no such runbook file or folder: .*nope"):
        collect([tmp_path / "nope"])


def test_collect_refuses_a_folder_without_runbooks(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="no runbooks"):
        collect([tmp_path])


def test_lint_paths_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(b"\xff\xfe")
    with pytest.raises(RunbookError, match="is not UTF-8"):
        lint_paths([tmp_path], OPTIONS)


def test_lint_paths_counts_runbooks_and_keeps_file_order(tmp_path: Path) -> None:
    (tmp_path / "RBK-api-5xx-spike.md").write_text(make_runbook())
    (tmp_path / "RBK-api-b.md").write_text("## Summary\n")
    result = lint_paths([tmp_path], OPTIONS)
    assert result.runbooks == 2
    assert {f.file for f in result.findings} == {str(tmp_path / "RBK-api-b.md")}
    assert result.exit_code == 1


# Renderings


def sample() -> LintReport:
    return LintReport(
        2,
        (
            Finding("section-empty", "error", "lib/RBK-a-b.md", 9, "section 'Summary' is empty"),
            Finding("imported", "warning", "x,y:z.md", 3, "100% done\nnext"),
        ),
    )


def test_human_report_lines_and_summary() -> None:
    assert render.human(sample()) == [
        "lib/RBK-a-b.md:9: error section-empty: section 'Summary' is empty",
        "x,y:z.md:3: warning imported: 100% done\nnext",
        "2 runbooks checked: 1 error, 1 warning",
    ]
    assert render.human(LintReport(1, ())) == ["1 runbook checked: no findings"]


def test_json_report_has_counts_and_every_field() -> None:
    data = json.loads(render.as_json(sample()))
    assert data["runbooks"] == 2
    assert (data["errors"], data["warnings"]) == (1, 1)
    assert data["findings"][0] == {
        "rule": "section-empty",
        "severity": "error",
        "file": "lib/RBK-a-b.md",
        "line": 9,
        "message": "section 'Summary' is empty",
    }


def test_github_annotations_escape_properties_and_data() -> None:
    assert render.github(sample()) == [
        "::error file=lib/RBK-a-b.md,line=9,title=section-empty::section 'Summary' is empty",
        "::warning file=x%2Cy%3Az.md,line=3,title=imported::100%25 done%0Anext",
        "2 runbooks checked: 1 error, 1 warning",
    ]


def test_reference_links_and_titled_links_are_checked_but_code_is_not(tmp_path: Path) -> None:
    text = make_runbook(
        sections={
            "Evidence Capture": (
                'Use `[not](a/link.md)` and [titled](gone.md "Title") and [ref][r].\n\n'
                "[r]: ref-gone.md\n\n```bash {run=ci}\necho [x](nope.md)\n```\n\n"
                '[hugo]({{< ref "./other.md" >}})'
            )
        }
    )
    found = lint(text, path=str(tmp_path / NAME))
    assert [f.message for f in found] == [
        "link target 'gone.md' does not exist",
        "link target 'ref-gone.md' does not exist",
    ]
