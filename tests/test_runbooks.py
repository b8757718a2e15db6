"""The runbook parser and schema: front matter, sections, checklists, fences, links, import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.config import load_settings
from fireline.errors import ConfigError, RunbookError
from fireline.runbooks import DEFAULT_SCHEMA, frontmatter, load_runbook, make_schema, parse_runbook
from fireline.runbooks.schema import parse_fields, schema_from_settings
from tests.test_runbook_lint import IMPORTED

RUNBOOK = """\
---
id: RBK-api-5xx-spike
title: API 5xx spike
owner: team-api
last_reviewed: 2026-11-01
severity: SEV1
tags: [api, http]
services: [gateway]
alerts: [Api5xxHigh]
---
# API 5xx spike

## Summary
When the gateway returns 5xx.

## Signals & Detection
See [dashboards](../dash.md#top) and ![graph](img/g.png).
Also [home](https://example.com).

## Triage Checklist
- [ ] Check the gateway
  - [x] Look at the error rate
    over the last hour
    - [ ] Compare with yesterday
- [ ]
- not a task
1. [X] Ordered task

Run on: prod bastion
```bash
kubectl get pods
```

```sh {run=ci}
make check
```

```promql
rate(x[5m])
```
"""


def test_front_matter_fields_become_typed_attributes() -> None:
    book = parse_runbook(RUNBOOK, path="lib/RBK-api-5xx-spike.md")
    assert book.path == "lib/RBK-api-5xx-spike.md"
    assert book.id == "RBK-api-5xx-spike"
    assert book.title == "API 5xx spike"
    assert book.owner == "team-api"
    assert book.last_reviewed == date(2026, 11, 1)
    assert book.severity == "SEV1"
    assert book.tags == ("api", "http")
    assert book.services == ("gateway",)
    assert book.alerts == ("Api5xxHigh",)
    assert book.format == "fireline"
    assert book.has_front_matter
    assert book.problems == ()
    assert book.text == RUNBOOK
    assert book.front_matter["owner"] == "team-api"


def test_sections_keep_written_title_canonical_name_body_and_file_line() -> None:
    book = parse_runbook(RUNBOOK, path="RBK-api-5xx-spike.md")
    assert [(s.title, s.canonical, s.line) for s in book.sections] == [
        ("Summary", "Summary", 13),
        ("Signals & Detection", "Signals / Detection", 16),
        ("Triage Checklist", "Triage Checklist", 20),
    ]
    assert book.sections[0].body == "When the gateway returns 5xx."
    signals = book.section("signals / detection")
    assert signals is not None
    assert signals.title == "Signals & Detection"
    assert book.section("Signals & Detection") is signals
    assert book.section("SIGNAL / DETECTIONS") is signals
    assert book.section("Rollback Plan") is None
    assert book.section("🧯") is None


def test_checklist_items_nest_with_depth_line_and_state() -> None:
    book = parse_runbook(RUNBOOK, path="RBK-api-5xx-spike.md")
    assert [(i.text, i.depth, i.line, i.checked, i.section) for i in book.checklist] == [
        ("Check the gateway", 0, 21, False, "Triage Checklist"),
        ("Look at the error rate over the last hour", 1, 22, True, "Triage Checklist"),
        ("Compare with yesterday", 2, 24, False, "Triage Checklist"),
        ("", 0, 25, False, "Triage Checklist"),
        ("Ordered task", 0, 27, True, "Triage Checklist"),
    ]


def test_fences_say_where_they_run_by_info_string_or_preceding_line() -> None:
    book = parse_runbook(RUNBOOK, path="RBK-api-5xx-spike.md")
    assert [(f.language, f.runs_on, f.line) for f in book.fences] == [
        ("bash", "prod bastion", 30),
        ("sh", "ci", 34),
        ("promql", None, 38),
    ]


def test_links_and_images_are_collected_on_their_own_lines() -> None:
    book = parse_runbook(RUNBOOK, path="RBK-api-5xx-spike.md")
    assert [(link.target, link.line) for link in book.links] == [
        ("../dash.md#top", 17),
        ("img/g.png", 17),
        ("https://example.com", 18),
    ]


def test_checklist_before_any_section_has_an_empty_section_name() -> None:
    book = parse_runbook("- [ ] early\n\n## Summary\n- [x] late\n", path="x.md")
    assert [(i.section, i.text) for i in book.checklist] == [("", "early"), ("Summary", "late")]


def test_without_front_matter_id_and_title_fall_back_to_h1_and_file_name() -> None:
    book = parse_runbook("# Disk full\n\n## Summary\ntext\n", path="a/b/RBK-os-disk.md")
    assert (book.id, book.title, book.has_front_matter) == ("RBK-os-disk", "Disk full", False)
    assert parse_runbook("text", path="RBK-x-y.md").title == "RBK-x-y"
    assert book.owner is None
    assert book.last_reviewed is None


@pytest.mark.parametrize(
    ("front", "message", "line"),
    [
        ("---\nid: [unclosed\n---\n", "front matter is not valid YAML", 3),
        ("---\nlast_reviewed: 2026-13-45\n---\n", "front matter is not valid YAML", 1),
        ("---\n- a\n- b\n---\n", "front matter must be a mapping, got a list", 2),
        ("---\nid: x\n", "front matter opened with --- is never closed", 1),
    ],
)
def test_unreadable_front_matter_is_a_problem_not_an_exception(
    front: str, message: str, line: int
) -> None:
    book = parse_runbook(front + "## Summary\nx\n", path="x.md")
    assert book.front_matter == {}
    assert book.has_front_matter
    assert len(book.problems) == 1
    assert book.problems[0].message.startswith(message)
    assert book.problems[0].line == line


def test_empty_front_matter_and_odd_values_do_not_break_typed_attributes() -> None:
    assert parse_runbook("---\n---\n# T\n", path="x.md").front_matter == {}
    odd = "---\nid: 7\nowner: true\nlast_reviewed: soon\ntags: solo\nalerts: [A, 3, '']\n---\n"
    book = parse_runbook(odd, path="x.md")
    assert (book.id, book.owner, book.last_reviewed) == ("7", None, None)
    assert (book.tags, book.alerts) == (("solo",), ("A", "3"))
    quoted = parse_runbook("---\nlast_reviewed: '2026-01-02'\n---\n", path="x.md")
    assert quoted.last_reviewed == date(2026, 1, 2)
    stamp = parse_runbook("---\nlast_reviewed: 2026-01-02 10:00:00\n---\n", path="x.md")
    assert stamp.last_reviewed == date(2026, 1, 2)


def test_crlf_and_bom_are_read_like_plain_text() -> None:
    text = "\ufeff---\r\nid: RBK-a-b\r\n---\r\n## Summary\r\nbody\r\n"
    book = parse_runbook(text, path="x.md")
    assert book.id == "RBK-a-b"
    assert book.sections[0].body == "body"
    assert book.sections[0].line == 4


def test_four_section_alert_runbook_is_imported_onto_the_schema() -> None:
    text = IMPORTED.replace("Look at the mount point:", "- [ ] Look at the mount point")
    book = parse_runbook(text, path="node/DiskFillingUp.md")
    assert book.format == "imported"
    assert [(s.title, s.covers) for s in book.sections] == [
        ("Meaning", ("Summary",)),
        ("Impact", ("Impact / Blast Radius",)),
        ("Diagnosis", ("Triage Checklist",)),
        ("Mitigation", ("Containment Steps", "Recovery Steps")),
    ]
    assert book.title == "Disk Filling Up"
    assert book.id == "DiskFillingUp"
    mitigation = book.section("Recovery Steps")
    assert mitigation is not None
    assert mitigation.title == "Mitigation"
    assert book.checklist[0].section == "Triage Checklist"


def test_a_fireline_runbook_with_one_meaning_heading_stays_fireline() -> None:
    text = "## Summary\na\n## Meaning\nb\n## Triage\nc\n## Rollback\nd\n"
    book = parse_runbook(text, path="x.md")
    assert book.format == "fireline"
    assert [s.canonical for s in book.sections] == [
        "Summary",
        None,
        "Triage Checklist",
        "Rollback Plan",
    ]


@pytest.mark.parametrize(
    ("heading", "canonical"),
    [
        ("Signals / Detection", "Signals / Detection"),
        ("Signals & Detection", "Signals / Detection"),
        ("signals and detection", "Signals / Detection"),
        ("Detection", "Signals / Detection"),
        ("🛰️ 2. Detection", "Signals / Detection"),
        ("3) Impact", "Impact / Blast Radius"),
        ("Blast radius", "Impact / Blast Radius"),
        ("IMMEDIATE SAFETY CHECKS", "Immediate Safety Checks"),
        ("Safety check", "Immediate Safety Checks"),
        ("Triage", "Triage Checklist"),
        ("Containment", "Containment Steps"),
        ("Recovery step", "Recovery Steps"),
        ("Verify", "Verification Steps"),
        ("Roll-back", "Rollback Plan"),
        ("Evidence", "Evidence Capture"),
        ("Communications", "Comms Template"),
        ("Post-mortem", "Postmortem Trigger"),
        ("Hardening", "Hardening Tasks"),
        ("Overview", "Summary"),
        ("Steps", None),
        ("Checklist", None),
        ("Recovery & Verification", None),
        ("Appendix", None),
        ("🧯", None),
    ],
)
def test_canonical_matching_is_tolerant_but_not_ambiguous(
    heading: str, canonical: str | None
) -> None:
    assert DEFAULT_SCHEMA.canonical(heading) == canonical


def test_default_schema_is_the_seed_standard() -> None:
    assert len(DEFAULT_SCHEMA.sections) == 13
    assert DEFAULT_SCHEMA.sections[0] == "Summary"
    assert DEFAULT_SCHEMA.sections[-1] == "Hardening Tasks"
    fields = {f.name: (f.kind, f.required) for f in DEFAULT_SCHEMA.fields}
    assert fields["last_reviewed"] == ("date", True)
    assert fields["severity"] == ("str", False)
    assert fields["alerts"] == ("list", True)


def test_schema_follows_the_settings(tmp_path: Path) -> None:
    (tmp_path / "fireline.toml").write_text(
        'runbook_sections = ["Overview", "Fix it"]\nrunbook_front_matter = "id,team?"\n'
        'runbook_stale_days = "30"\nrunbook_command_languages = "Bash,nu"\n'
    )
    settings = load_settings({}, cwd=tmp_path)
    schema = schema_from_settings(settings)
    assert schema.sections == ("Overview", "Fix it")
    assert [(f.name, f.kind, f.required) for f in schema.fields] == [
        ("id", "str", True),
        ("team", "any", False),
    ]
    assert schema.canonical("fix-it") == "Fix it"
    assert settings.runbook_stale_days == 30
    assert settings.runbook_command_languages == ("bash", "nu")
    assert parse_runbook("## Fix it\nx\n", path="x.md", schema=schema).sections[0].canonical


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('runbook_stale_days = "soon"', "setting 'runbook_stale_days' must be a whole number"),
        ('runbook_stale_days = "0"', "setting 'runbook_stale_days' must be a whole number"),
        ("runbook_sections = 3", "setting 'runbook_sections' in"),
    ],
)
def test_bad_runbook_settings_fail_loudly(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "fireline.toml").write_text(toml + "\n")
    with pytest.raises(ConfigError, match=message):
        load_settings({}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("front_matter", "sections", "message"),
    [
        ("id,", [], "runbook_sections names no sections"),
        ("id", ["Summary", "summary!"], "runbook_sections repeats a section"),
        ("id", ["Summary", "🧯"], "runbook_sections repeats a section or has one without words"),
        (",,", ["Summary"], "runbook_front_matter names no front-matter fields"),
        ("id,id?", ["Summary"], "names a front-matter field twice"),
        ("id,bad name", ["Summary"], "invalid front-matter field 'bad name'"),
    ],
)
def test_unusable_schema_settings_are_config_errors(
    front_matter: str, sections: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_schema(front_matter, sections)


def test_parse_fields_marks_optional_fields() -> None:
    assert [(f.name, f.required) for f in parse_fields("a, b? ,c")] == [
        ("a", True),
        ("b", False),
        ("c", True),
    ]


def test_load_runbook_reads_utf8(tmp_path: Path) -> None:
    path = tmp_path / "RBK-api-x.md"
    path.write_text("## Summary\nCafé ☕\n", encoding="utf-8")
    book = load_runbook(path)
    assert book.path == str(path)
    assert book.sections[0].body == "Café ☕"


def test_load_runbook_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match=r"cannot read runbook .*nope\.md: No such file"):
        load_runbook(tmp_path / "nope.md")


def test_load_runbook_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="cannot read runbook"):
        load_runbook(tmp_path)


def test_load_runbook_refuses_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes("## Summary\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(RunbookError, match=r"is not UTF-8 text \(byte 14\)"):
        load_runbook(path)


def test_runbook_error_exits_2() -> None:
    assert RunbookError("x").exit_code == 2


pieces = list("#-*[]x ()`~>|:/!\n\tab1.{}=") + ["---\n", "```", "- [ ] ", "## ", "Run on: "]
markdown_chars = st.lists(st.sampled_from(pieces), max_size=120).map("".join)


@given(st.one_of(st.text(max_size=300), markdown_chars))
def test_parser_never_raises_on_arbitrary_text(text: str) -> None:
    book = parse_runbook(text, path="RBK-x-y.md")
    assert book.text == text.removeprefix("\ufeff")
    assert all(item.depth >= 0 and item.line >= 1 for item in book.checklist)
    assert all(section.line >= 1 for section in book.sections)
    assert book.format in ("fireline", "imported")


keys = st.sampled_from(["id", "title", "owner", "tags", "on", "Yes", "x-y", "last_reviewed"])
words = st.from_regex(r"[A-Za-z][A-Za-z0-9 _./@()+-]{0,12}", fullmatch=True)
scalars = st.one_of(
    words,
    st.sampled_from(["yes", "No", "TRUE", "off", "null", "~", "3", "1.5", "-x", "a: b", "a #b"]),
    st.from_regex(r"\d{4}-\d\d-\d\d", fullmatch=True),
    st.from_regex(r"\"[^\"\\\n]{0,8}\"|'[^'\n]{0,8}'", fullmatch=True),
)
values = st.one_of(
    scalars, st.just(""), st.lists(scalars, max_size=3).map(lambda xs: f"[{', '.join(xs)}]")
)


@given(st.lists(st.tuples(keys, values), max_size=6))
def test_flat_front_matter_reads_exactly_as_yaml_does(pairs: list[tuple[str, str]]) -> None:
    lines = [f"{key}: {value}".rstrip() for key, value in pairs]
    flat = frontmatter.load_flat(lines)
    if flat is not None:
        assert frontmatter.load_yaml("\n".join(lines)) == (flat, None)


def test_flat_front_matter_leaves_anything_else_to_yaml() -> None:
    for line in ("a: 3", "a: yes", "on: x", "a: b: c", "a: 'it''s'", "  a: b", "# c", "a: [[x]]"):
        assert frontmatter.load_flat([line]) is None, line
    assert frontmatter.load_flat(["a: x", "a: y"]) is None
    assert frontmatter.load_flat(["id: RBK-a-b", "", "tags: [a, 'b c']", "d: 2026-01-02"]) == {
        "id": "RBK-a-b",
        "tags": ["a", "b c"],
        "d": date(2026, 1, 2),
    }
