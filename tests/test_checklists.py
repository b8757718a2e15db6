"""Runbooks inside incidents: attaching, checking, built-in stage checklists, gates, rebuild."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fireline import checklists, governance, progress, queries
from fireline.checklists.locate import clean_commit, locate, read_source
from fireline.commands import (
    AddUser,
    ApproveGateException,
    AssignRole,
    AttachRunbook,
    ChangeSeverity,
    CheckItem,
    Command,
    PublishUpdate,
    RequestGateException,
    Transition,
    UncheckItem,
)
from fireline.domain import BUILTIN_CHECKLISTS, ActorId, IncidentId
from fireline.errors import InvalidCommandError, NotFoundError, PolicyDeniedError
from fireline.integrity import load_store_public_key, verify_store
from fireline.ladders import PRESETS
from fireline.service import Context, rebuild
from tests.factories import (
    check_definitions_of_done,
    make_incident,
    meet_gates,
    projection_state,
    run,
    snapshot,
)

RUNBOOK = b"""---
id: RBK-api-5xx-spike
title: API 5xx spike
owner: team-api
---

# API 5xx spike

## Triage Checklist

- [ ] Check the gateway dashboard
- [ ] Compare with the last deploy
  - [ ] Diff the config
- [ ] Look at upstream health

## Containment Steps

- [ ] Roll back the last deploy
"""


def attach(
    ctx: Context, inc: IncidentId, content: bytes = RUNBOOK, actor: str = "alice", **kw: str
) -> Mapping[str, Any]:
    command = AttachRunbook(
        incident_id=inc, path=kw.get("path", "RBK-api-5xx-spike.md"), content=content
    )
    [event] = run(ctx, command, actor)
    assert event.kind == "runbook.attached"
    assert event.payload is not None
    return event.payload


def items(
    ctx: Context, inc: str, checklist: str | None = None
) -> list[progress.ChecklistItemState]:
    with ctx.engine.connect() as conn:
        return progress.list_items(conn, inc, checklist=checklist)


def summaries(ctx: Context, inc: str) -> dict[str, progress.ChecklistSummary]:
    with ctx.engine.connect() as conn:
        return {c.name: c for c in progress.list_checklists(conn, inc)}


def test_attach_records_the_digests_and_every_item_with_section_and_depth(ctx: Context) -> None:
    inc = make_incident(ctx)
    payload = attach(ctx, inc)
    assert payload["checklist"] == "RBK-api-5xx-spike"
    assert payload["title"] == "API 5xx spike"
    assert payload["builtin"] is False
    assert payload["sha256"] == hashlib.sha256(RUNBOOK).hexdigest()
    assert payload["git_blob"] == checklists.git_blob_id(RUNBOOK)
    assert payload["git_commit"] is None
    listed = items(ctx, inc, "RBK-api-5xx-spike")
    assert [(i.ref, i.section, i.depth, i.line) for i in listed] == [
        ("RBK-api-5xx-spike:1", "Triage Checklist", 0, 11),
        ("RBK-api-5xx-spike:2", "Triage Checklist", 0, 12),
        ("RBK-api-5xx-spike:3", "Triage Checklist", 1, 13),
        ("RBK-api-5xx-spike:4", "Triage Checklist", 0, 14),
        ("RBK-api-5xx-spike:5", "Containment Steps", 0, 18),
    ]
    assert listed[2].text == "Diff the config"
    assert not any(i.checked for i in listed)
    summary = summaries(ctx, inc)["RBK-api-5xx-spike"]
    assert (summary.total, summary.done, summary.path) == (5, 0, "RBK-api-5xx-spike.md")
    assert [(s.section, s.done, s.total) for s in summary.sections] == [
        ("Triage Checklist", 0, 4),
        ("Containment Steps", 0, 1),
    ]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_git_blob_id_is_the_one_git_computes(tmp_path: Path) -> None:
    path = tmp_path / "rb.md"
    path.write_bytes(RUNBOOK)
    out = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True)
    assert checklists.git_blob_id(RUNBOOK) == out.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_commit_is_recorded_only_for_a_clean_tracked_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "runbooks").mkdir(parents=True)
    path = repo / "runbooks" / "RBK-api-5xx-spike.md"
    path.write_bytes(RUNBOOK)
    assert clean_commit(path) is None  # not in a work tree

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@x", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    assert clean_commit(path) is None  # untracked
    git("add", ".")
    git("commit", "-q", "-m", "runbook")
    head = git("rev-parse", "HEAD")
    assert clean_commit(path) == head
    source = read_source(path, runbook_dir=repo / "runbooks")
    assert (source.path, source.git_commit) == ("RBK-api-5xx-spike.md", head)
    path.write_bytes(RUNBOOK + b"- [ ] one more\n")
    assert clean_commit(path) is None  # modified since the commit


def test_a_clean_commit_is_recorded_in_the_event(ctx: Context) -> None:
    inc = make_incident(ctx)
    commit = "0123456789abcdef0123456789abcdef01234567"
    command = AttachRunbook(incident_id=inc, path="x.md", content=RUNBOOK, git_commit=commit)
    [event] = run(ctx, command)
    assert event.payload is not None
    assert event.payload["git_commit"] == commit
    assert summaries(ctx, inc)["RBK-api-5xx-spike"].git_commit == commit


def test_locate_finds_a_runbook_by_file_name_by_front_matter_id_or_by_path(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "runbooks"
    (folder / "api").mkdir(parents=True)
    named = folder / "api" / "RBK-api-5xx-spike.md"
    named.write_bytes(RUNBOOK)
    other = folder / "etcd.md"
    other.write_text("---\nid: RBK-etcd-leader\n---\n# etcd\n")
    assert locate("RBK-api-5xx-spike", runbook_dir=folder) == named
    assert locate("RBK-etcd-leader", runbook_dir=folder) == other
    assert locate(str(other), runbook_dir=tmp_path / "elsewhere") == other
    with pytest.raises(NotFoundError, match="no runbook 'RBK-nope' in"):
        locate("RBK-nope", runbook_dir=folder)
    with pytest.raises(NotFoundError, match="no runbook file missing.md"):
        locate("missing.md", runbook_dir=folder)
    with pytest.raises(NotFoundError, match="does not exist"):
        locate("RBK-api-5xx-spike", runbook_dir=tmp_path / "absent")
    (folder / "copy.md").write_text("---\nid: RBK-etcd-leader\n---\n")
    with pytest.raises(InvalidCommandError, match="matches 2 files"):
        locate("RBK-etcd-leader", runbook_dir=folder)


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"---\nid: x\n", InvalidCommandError, "does not parse: line 1: front matter"),
        (b"\xff\xfe not utf-8", InvalidCommandError, "is not UTF-8"),
        (b"## Triage\n- [ ] one\n- [ ]\n", InvalidCommandError, "line 3: a checklist item has no"),
        (b"---\nid: mitigated\n---\n- [ ] x\n", InvalidCommandError, "names a built-in"),
        (b"---\nid: 'a:b'\n---\n- [ ] x\n", InvalidCommandError, "a checklist name is"),
        (b"- [ ] x\n" * 200_000, InvalidCommandError, "the limit is 1,000,000"),
    ],
)
def test_attach_refuses_a_runbook_it_cannot_use_and_writes_nothing(
    ctx: Context, content: bytes, error: type[Exception], message: str
) -> None:
    inc = make_incident(ctx)
    before = snapshot(ctx.engine)
    with pytest.raises(error, match=message):
        attach(ctx, inc, content)
    assert snapshot(ctx.engine) == before


def test_attaching_the_same_runbook_twice_is_refused(ctx: Context) -> None:
    inc = make_incident(ctx)
    attach(ctx, inc)
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match="already attached to .* \\(event 3\\)"):
        attach(ctx, inc, RUNBOOK + b"\n- [ ] changed\n", path="elsewhere.md")
    assert snapshot(ctx.engine) == before


def test_a_malformed_commit_is_refused(ctx: Context) -> None:
    inc = make_incident(ctx)
    with pytest.raises(InvalidCommandError, match="malformed git commit"):
        run(ctx, AttachRunbook(incident_id=inc, path="x.md", content=RUNBOOK, git_commit="HEAD"))


def test_check_and_uncheck_record_who_and_when(ctx: Context) -> None:
    inc = make_incident(ctx)
    attach(ctx, inc)
    run(ctx, AssignRole(incident_id=inc, role="scribe", holder="bob"))
    [event] = run(
        ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:3",), note=" diffed "), "bob"
    )
    assert event.kind == "checklist.item_checked"
    assert event.payload is not None
    assert {k: event.payload[k] for k in ("checklist", "number", "note")} == {
        "checklist": "RBK-api-5xx-spike",
        "number": 3,
        "note": "diffed",
    }
    item = items(ctx, inc, "RBK-api-5xx-spike")[2]
    assert (item.checked, item.changed_by, item.changed_at, item.note) == (
        True,
        "bob",
        event.ts,
        "diffed",
    )
    assert summaries(ctx, inc)["RBK-api-5xx-spike"].sections[0].done == 1
    [undo] = run(ctx, UncheckItem(incident_id=inc, items=("RBK-api-5xx-spike:3",)), "alice")
    assert undo.kind == "checklist.item_unchecked"
    item = items(ctx, inc, "RBK-api-5xx-spike")[2]
    assert (item.checked, item.changed_by, item.changed_at) == (False, "alice", undo.ts)
    timeline = [e.summary for e in queries_timeline(ctx, inc)]
    assert "Checked RBK-api-5xx-spike:3: diffed" in timeline
    assert "Unchecked RBK-api-5xx-spike:3" in timeline


def test_several_items_and_ranges_are_one_command_and_one_event_each(ctx: Context) -> None:
    inc = make_incident(ctx)
    attach(ctx, inc)
    events = run(
        ctx,
        CheckItem(
            incident_id=inc,
            items=("RBK-api-5xx-spike:1-2,4", "mitigated:3", "RBK-api-5xx-spike:5"),
            note="done",
        ),
    )
    marks = [(e.payload or {})["checklist"] + f":{(e.payload or {})['number']}" for e in events]
    assert marks == [
        "RBK-api-5xx-spike:1",
        "RBK-api-5xx-spike:2",
        "RBK-api-5xx-spike:4",
        "mitigated:3",
        "RBK-api-5xx-spike:5",
    ]
    assert {e.kind for e in events} == {"checklist.item_checked"}
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + 5))
    assert len({e.ts for e in events}) == 1  # one transaction, one instant
    assert all((e.payload or {})["note"] == "done" for e in events)
    checked = [i.number for i in items(ctx, inc, "RBK-api-5xx-spike") if i.checked]
    assert checked == [1, 2, 4, 5]


def test_every_checks_what_is_open_of_each_named_checklist(ctx: Context) -> None:
    inc = make_incident(ctx)
    attach(ctx, inc)
    run(ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:2",)))
    events = run(ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike",), every=True))
    assert [(e.payload or {})["number"] for e in events] == [1, 3, 4, 5]
    assert all(i.checked for i in items(ctx, inc, "RBK-api-5xx-spike"))
    undone = run(ctx, UncheckItem(incident_id=inc, items=("RBK-api-5xx-spike:1-3",), note="redo"))
    assert [e.kind for e in undone] == ["checklist.item_unchecked"] * 3
    again = run(ctx, UncheckItem(incident_id=inc, items=("RBK-api-5xx-spike",), every=True))
    assert [(e.payload or {})["number"] for e in again] == [4, 5]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ("mitigated:3", ("mitigated", ((3, 3),))),
        ("mitigated:1-4", ("mitigated", ((1, 4),))),
        (" RBK-api-5xx-spike:1,3,5-6 ", ("RBK-api-5xx-spike", ((1, 1), (3, 3), (5, 6)))),
        ("a.b:2-2", ("a.b", ((2, 2),))),
    ],
)
def test_item_selections_parse_into_ranges(
    selection: str, expected: tuple[str, tuple[tuple[int, int], ...]]
) -> None:
    assert checklists.parse_item_selection(selection) == expected


@pytest.mark.parametrize(
    "selection",
    [
        "mitigated",
        "mitigated:",
        "mitigated:0",
        "mitigated:4-1",
        "mitigated:1-",
        "mitigated:-3",
        "mitigated:1,,2",
        "mitigated:1,",
        "mitigated:1-2-3",
        "mitigated:x",
        "mitigated:\u00b2",
        "mitigated:1 - 2",
        "mitigated:" + "9" * 10,
        "mitigated:" + "1" * 5000,
        ":1",
        "bad name:1",
    ],
)
def test_malformed_item_selections_are_refused(selection: str) -> None:
    with pytest.raises(InvalidCommandError, match="malformed checklist item"):
        checklists.parse_item_selection(selection)


def queries_timeline(ctx: Context, inc: str) -> list[queries.TimelineEntry]:
    with ctx.engine.connect() as conn:
        return queries.get_timeline(conn, inc)


@pytest.mark.parametrize(
    ("command", "error", "message"),
    [
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:1",)), InvalidCommandError,
         "already checked"),
        (lambda i: UncheckItem(incident_id=i, items=("RBK-api-5xx-spike:2",)), InvalidCommandError,
         "is not checked"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:6",)), NotFoundError,
         "no item RBK-api-5xx-spike:6 .* has 5 items"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-nope:1",)), NotFoundError,
         "no checklist 'RBK-nope' on .*; attached: first-15-minutes, mitigated, resolved, RBK"),
        (lambda i: CheckItem(incident_id=i, items=("3",)), InvalidCommandError,
         "malformed checklist item '3'; expected CHECKLIST:N"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:0",)), InvalidCommandError,
         "malformed checklist item"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:\u00b2",)),
         InvalidCommandError, "malformed checklist item"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:2",), note="x" * 2001),
         InvalidCommandError, "note is 2001 characters"),
        (lambda i: CheckItem(incident_id=IncidentId("INC-20261123-999"), items=("x:1",)),
         NotFoundError, "no incident INC-20261123-999"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:2-6",)), NotFoundError,
         "no item RBK-api-5xx-spike:6 .* has 5 items"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:7-9",)), NotFoundError,
         "no item RBK-api-5xx-spike:7 .* has 5 items"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:2-3", "RBK-api-5xx-spike:1")),
         InvalidCommandError, "RBK-api-5xx-spike:1 on .* is already checked"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:2", "RBK-nope:1")),
         NotFoundError, "no checklist 'RBK-nope'"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:2-3", "RBK-api-5xx-spike:3")),
         InvalidCommandError, "RBK-api-5xx-spike:3 is named twice"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:2", "mitigated:4-1")),
         InvalidCommandError, "malformed checklist item 'mitigated:4-1'"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike",)), InvalidCommandError,
         "'RBK-api-5xx-spike' names a checklist, not an item; .* or --all"),
        (lambda i: CheckItem(incident_id=i, items=()), InvalidCommandError,
         "name at least one checklist item"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:2",), every=True),
         InvalidCommandError, "--all takes checklist names, not items"),
        (lambda i: CheckItem(incident_id=i, items=("RBK-nope",), every=True), NotFoundError,
         "no checklist 'RBK-nope'"),
        (lambda i: CheckItem(incident_id=i, items=("mitigated", "mitigated"), every=True),
         InvalidCommandError, "mitigated:1 is named twice"),
        (lambda i: UncheckItem(incident_id=i, items=("RBK-api-5xx-spike:1-2",)),
         InvalidCommandError, "RBK-api-5xx-spike:2 on .* is not checked"),
        (lambda i: UncheckItem(incident_id=i, items=("mitigated",), every=True),
         InvalidCommandError, "every item of mitigated on .* is already unchecked"),
        (lambda i: AttachRunbook(incident_id=IncidentId("INC-20261123-999"), path="x.md",
                                 content=RUNBOOK), NotFoundError, "no incident INC-20261123-999"),
    ],
)  # fmt: skip
def test_bad_checks_are_refused_and_write_nothing(
    ctx: Context,
    command: Callable[[IncidentId], Command],
    error: type[Exception],
    message: str,
) -> None:
    inc = make_incident(ctx)
    attach(ctx, inc)
    run(ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:1",)))
    before = snapshot(ctx.engine)
    with pytest.raises(error, match=message):
        run(ctx, command(inc))
    assert snapshot(ctx.engine) == before


@pytest.mark.parametrize(
    "command",
    [
        lambda i: CheckItem(incident_id=i, items=("RBK-api-5xx-spike:2",)),
        lambda i: UncheckItem(incident_id=i, items=("RBK-api-5xx-spike:1",)),
        lambda i: AttachRunbook(incident_id=i, path="o.md", content=b"---\nid: RBK-o\n---\n"),
    ],
)
def test_a_closed_incident_takes_no_checklist_work(
    ctx: Context, command: Callable[[IncidentId], Command]
) -> None:
    inc = make_incident(ctx)
    attach(ctx, inc)
    run(ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:1",)))
    meet_gates(ctx, inc)
    for status in ("mitigated", "resolved", "closed"):
        run(ctx, Transition(incident_id=inc, status=status))
    before = snapshot(ctx.engine)
    with pytest.raises(InvalidCommandError, match="is closed"):
        run(ctx, command(inc))
    assert snapshot(ctx.engine) == before


def test_only_responders_of_the_incident_may_attach_and_check(ctx: Context) -> None:
    inc = make_incident(ctx)
    attach(ctx, inc)
    before = snapshot(ctx.engine)
    for command in (
        CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:1",)),
        CheckItem(incident_id=inc, items=("first-15-minutes:1",)),
        AttachRunbook(incident_id=inc, path="o.md", content=b"---\nid: RBK-o\n---\n"),
    ):
        with pytest.raises(
            PolicyDeniedError, match=r"only responders of .* may .*\(mallory holds no role\)"
        ):
            run(ctx, command, "mallory")
    assert snapshot(ctx.engine) == before
    run(ctx, AssignRole(incident_id=inc, role="sme", holder="mallory"))
    run(ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:1",)), "mallory")


def test_a_viewer_cannot_check(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(ctx, AddUser(name="alice", roles=("admin", "commander")))
    run(ctx, AddUser(name="vic", roles=("viewer",)))
    run(ctx, AssignRole(incident_id=inc, role="sme", holder="vic"))
    with pytest.raises(PolicyDeniedError, match="vic is a viewer"):
        run(ctx, CheckItem(incident_id=inc, items=("mitigated:1",)), "vic")


# --- built-in stage checklists ----------------------------------------------------------------


def test_the_builtins_parse_with_the_runbook_parser() -> None:
    sizes = {name: len(checklists.builtin(name).items) for name in BUILTIN_CHECKLISTS}
    assert sizes == {"first-15-minutes": 10, "mitigated": 4, "resolved": 5}
    first = checklists.builtin("first-15-minutes")
    assert first.builtin
    assert first.path == "fireline/checklists/first-15-minutes.md"
    assert [i.depth for i in first.items].count(1) == 2  # the nested security follow-ups
    assert {i.section for i in first.items} == {
        "Minute 0–5 (contain chaos)",
        "Minute 5–15 (stop the bleeding)",
    }
    with pytest.raises(NotFoundError, match="no built-in checklist 'nope'"):
        checklists.builtin("nope")


def test_every_preset_says_which_builtins_its_levels_need() -> None:
    for ladder in PRESETS.values():
        worst, *_rest, least = ladder.ordered()
        assert worst.checklists == BUILTIN_CHECKLISTS, ladder.name
        assert least.checklists == (), ladder.name
        for level in ladder.levels:
            assert set(level.checklists) <= set(BUILTIN_CHECKLISTS)


def test_declaring_attaches_the_levels_builtins_in_the_declaration(ctx: Context) -> None:
    major = make_incident(ctx, severity="SEV1")
    with ctx.engine.connect() as conn:
        kinds = [e.kind for e in queries.get_timeline(conn, major)]
    assert kinds == ["incident.declared", "role.assigned"]  # no extra events: one declaration
    attached = summaries(ctx, major)
    assert list(attached) == ["first-15-minutes", "mitigated", "resolved"]
    assert {c.seq for c in attached.values()} == {1}
    assert attached["mitigated"].sha256 == checklists.builtin("mitigated").sha256
    assert list(summaries(ctx, make_incident(ctx, severity="SEV2"))) == ["mitigated", "resolved"]
    assert summaries(ctx, make_incident(ctx, severity="SEV3")) == {}


def test_raising_the_severity_attaches_what_the_new_level_needs(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV3")
    [event] = run(ctx, ChangeSeverity(incident_id=inc, severity="SEV2", reason="spreading"))
    assert event.payload is not None
    assert [c["checklist"] for c in event.payload["checklists"]] == ["mitigated", "resolved"]
    [event] = run(ctx, ChangeSeverity(incident_id=inc, severity="SEV0", reason="exposure"))
    assert event.payload is not None
    assert [c["checklist"] for c in event.payload["checklists"]] == ["first-15-minutes"]
    [event] = run(ctx, ChangeSeverity(incident_id=inc, severity="SEV3", reason="contained"))
    assert event.payload is not None
    assert event.payload["checklists"] == []  # lowering keeps what was attached
    assert list(summaries(ctx, inc)) == ["mitigated", "resolved", "first-15-minutes"]
    assert queries_timeline(ctx, inc)[3].summary == (
        "Severity SEV2 → SEV0: exposure (checklists first-15-minutes attached)"
    )


# --- gates --------------------------------------------------------------------------------------


def test_the_definitions_of_done_gate_mitigated_and_resolved(ctx: Context) -> None:
    inc = make_incident(ctx)
    meet_gates(ctx, inc)
    run(ctx, UncheckItem(incident_id=inc, items=("mitigated:2",)))
    before = snapshot(ctx.engine)
    unmet = r"gate 'mitigated' is not met: check the 'mitigated' definition-of-done checklist"
    with pytest.raises(PolicyDeniedError, match=unmet + r" \(open: mitigated:2\)"):
        run(ctx, Transition(incident_id=inc, status="mitigated"))
    assert snapshot(ctx.engine) == before
    run(ctx, CheckItem(incident_id=inc, items=("mitigated:2",), note="30 min flat"))
    run(ctx, Transition(incident_id=inc, status="mitigated"))
    run(ctx, UncheckItem(incident_id=inc, items=("resolved:4",)))
    with pytest.raises(PolicyDeniedError, match=r"open: resolved:4"):
        run(ctx, Transition(incident_id=inc, status="resolved"))


def test_a_level_without_builtins_is_not_gated_by_checklists(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV3")
    meet_gates(ctx, inc)
    soon = datetime(2026, 11, 24, tzinfo=UTC)  # SEV3 has no cadence: promise an update
    run(ctx, PublishUpdate(incident_id=inc, impact="minor", next_update_at=soon))
    for status in ("mitigated", "resolved", "closed"):
        run(ctx, Transition(incident_id=inc, status=status))


def test_an_approved_exception_covers_an_unchecked_definition_of_done(ctx: Context) -> None:
    inc = make_incident(ctx)
    meet_gates(ctx, inc)
    run(ctx, UncheckItem(incident_id=inc, items=("mitigated:1",)))
    run(ctx, AssignRole(incident_id=inc, role="governance_steward", holder="erin"))
    [request] = run(
        ctx, RequestGateException(incident_id=inc, gate="mitigated", justification="drill")
    )
    run(ctx, ApproveGateException(incident_id=inc, exception_seq=request.seq), "erin")
    run(ctx, Transition(incident_id=inc, status="mitigated"))


def test_checklist_completion_is_a_gate_fact(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV2")
    attach(ctx, inc)
    run(ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:1",)))
    with ctx.engine.connect() as conn:
        facts = governance.gate_facts(conn, queries.get_state(conn, inc))["checklists"]
    assert facts["RBK-api-5xx-spike"] == {
        "title": "API 5xx spike",
        "builtin": False,
        "total": 5,
        "checked": 1,
        "open": [f"RBK-api-5xx-spike:{n}" for n in (2, 3, 4, 5)],
    }
    assert facts["mitigated"]["builtin"] is True
    assert facts["mitigated"]["open"] == [
        "mitigated:1",
        "mitigated:2",
        "mitigated:3",
        "mitigated:4",
    ]


# --- rebuild --------------------------------------------------------------------------------------


def test_rebuild_reproduces_checklists_exactly(ctx: Context) -> None:
    inc = make_incident(ctx, severity="SEV3")
    attach(ctx, inc)
    run(ctx, ChangeSeverity(incident_id=inc, severity="SEV1", reason="worse"))
    check_definitions_of_done(ctx, inc)
    run(ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:2",), note="n"))
    run(ctx, UncheckItem(incident_id=inc, items=("mitigated:3",), note="not yet"))
    live = projection_state(ctx.engine)
    assert len(live["checklist_items"]) == 5 + 19
    assert rebuild(ctx, actor=ActorId("tester")) > 0
    assert projection_state(ctx.engine) == live
    with ctx.engine.connect() as conn:
        report = verify_store(conn, load_store_public_key(ctx.settings.public_key_path))
    assert report.ok, report.breaks


def test_secrets_in_a_runbook_or_a_note_never_land_but_the_digests_do(ctx: Context) -> None:
    inc = make_incident(ctx)
    leaky = RUNBOOK + b"- [ ] Log in with password=hunter2xyz\n"
    payload = attach(ctx, inc, leaky)
    assert payload["sha256"] == hashlib.sha256(leaky).hexdigest()  # the file as it was read
    items = payload["items"]
    assert isinstance(items, list)
    assert items[-1]["text"] == "Log in with password=[REDACTED:password#1]"
    [event] = run(
        ctx, CheckItem(incident_id=inc, items=("RBK-api-5xx-spike:6",), note="password=x1y2z3w4")
    )
    assert event.payload is not None
    assert event.payload["note"] == "password=[REDACTED:password#1]"
    assert event.payload["redacted"] == {"password": 1}
