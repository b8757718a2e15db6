"""`runbook attach`, `check`, `uncheck`, `checklist` and `show` progress, as a user drives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, Store
from tests.test_checklists import RUNBOOK
from tests.test_cli import INC, ok, refuse

pytestmark = pytest.mark.adapter


@pytest.fixture
def incident(cli: Cli, tmp_path: Path) -> str:
    """A SEV1 declared by the test's actor (its acting IC), and a runbook folder beside it."""
    folder = tmp_path / "runbooks" / "api"
    folder.mkdir(parents=True)
    (folder / "RBK-api-5xx-spike.md").write_bytes(RUNBOOK)
    (tmp_path / "broken.md").write_text("---\nid: RBK-broken\n")
    out = ok(cli, "declare", "Catalog API 5xx spike", "--sev", "SEV1", "--impact", "search down")
    assert out.startswith(INC)
    return INC


def test_attach_by_id_check_and_show_progress(cli: Cli, incident: str) -> None:
    out = ok(cli, "runbook", "attach", incident, "RBK-api-5xx-spike")
    assert out.splitlines()[0] == f"{incident} event 2: runbook.attached"
    assert "RBK-api-5xx-spike (api/RBK-api-5xx-spike.md): 5 checklist items, sha256" in out
    assert ok(cli, "check", incident, "RBK-api-5xx-spike:2", "--note", "4f2c1e at 14:01") == (
        f"{incident} event 3: checklist.item_checked\n"
    )
    shown = ok(cli, "show", incident)
    assert "Checklists: 1/24 items checked" in shown
    assert "  RBK-api-5xx-spike  API 5xx spike  1/5  (api/RBK-api-5xx-spike.md)" in shown
    assert "    Triage Checklist 1/4" in shown
    assert "    Containment Steps 0/1" in shown
    assert "  mitigated  Definition of done — mitigated  0/4  (built-in)" in shown
    listing = ok(cli, "checklist", incident, "--checklist", "RBK-api-5xx-spike")
    assert "RBK-api-5xx-spike — Triage Checklist" in listing
    assert "[x] RBK-api-5xx-spike:2" in listing
    assert "(checked by tester " in listing
    assert ": 4f2c1e at 14:01)" in listing
    assert "    [ ] RBK-api-5xx-spike:3    Diff the config" in listing  # nested: indented
    ok(cli, "uncheck", incident, "RBK-api-5xx-spike:2", "--note", "wrong deploy")
    assert "(unchecked by tester " in ok(cli, "checklist", incident)


def test_attach_by_path_and_json_views(cli: Cli, incident: str, tmp_path: Path) -> None:
    path = tmp_path / "runbooks" / "api" / "RBK-api-5xx-spike.md"
    ok(cli, "runbook", "attach", incident, str(path))
    shown = json.loads(ok(cli, "show", incident, "--format", "json"))
    [runbook] = [c for c in shown["checklists"] if c["name"] == "RBK-api-5xx-spike"]
    assert (runbook["total"], runbook["done"], runbook["builtin"]) == (5, 0, False)
    assert runbook["sections"][0] == {"section": "Triage Checklist", "done": 0, "total": 4}
    assert [c["name"] for c in shown["checklists"]] == [
        "first-15-minutes",
        "mitigated",
        "resolved",
        "RBK-api-5xx-spike",
    ]
    ok(cli, "check", incident, "mitigated:1")
    items = json.loads(ok(cli, "checklist", incident, "--format", "json"))
    assert len(items) == 24
    first = next(i for i in items if i["item"] == "mitigated:1")
    assert (first["checked"], first["changed_by"], first["section"]) == (
        True,
        "tester",
        "Mitigated",
    )


def test_gates_show_the_open_definition_of_done(cli: Cli, incident: str) -> None:
    gates = ok(cli, "gates", incident)
    assert "  [ ] check the 'mitigated' definition-of-done checklist (open: mitigated:1, " in gates


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("runbook", "attach", "INC-20261123-999", "RBK-api-5xx-spike"), 3, "no incident"),
        (("runbook", "attach", INC, "RBK-nope"), 3, "no runbook 'RBK-nope' in"),
        (("runbook", "attach", INC, "nope/missing.md"), 3, "no runbook file nope/missing.md"),
        (("runbook", "attach", INC, "broken.md"), 2, "does not parse: line 1"),
        (("check", INC, "RBK-api-5xx-spike:1"), 3, "no checklist 'RBK-api-5xx-spike'"),
        (("check", INC, "mitigated:9"), 3, "no item mitigated:9"),
        (("check", INC, "mitigated"), 2, "'mitigated' names a checklist, not an item"),
        (("uncheck", INC, "mitigated:1"), 2, "mitigated:1 on INC-"),
        (("check", "INC-20261123-999", "mitigated:1"), 3, "no incident INC-20261123-999"),
        (("check", INC, "mitigated:1", "--as", "mallory"), 4, "only responders of"),
        (("check", INC, "mitigated:1-2", "mitigated:9"), 3, "no item mitigated:9"),
        (("check", INC, "mitigated:3-9"), 3, "no item mitigated:5 on INC-"),
        (("check", INC, "mitigated:1", "mitigated:1-2"), 2, "mitigated:1 is named twice"),
        (("check", INC, "mitigated:2-1"), 2, "malformed checklist item 'mitigated:2-1'"),
        (("check", INC, "mitigated:1,,2"), 2, "malformed checklist item 'mitigated:1,,2'"),
        (("check", INC, "mitigated:1", "RBK-x:1"), 3, "no checklist 'RBK-x'"),
        (("check", INC, "mitigated:1", "--all"), 2, "--all takes checklist names, not items"),
        (("check", INC, "RBK-x", "--all"), 3, "no checklist 'RBK-x'"),
        (("check", INC), 2, "name at least one checklist item"),
        (("uncheck", INC, "mitigated", "--all"), 2, "every item of mitigated on INC-"),
        (("checklist", INC, "--checklist", "RBK-x"), 3, "no checklist 'RBK-x'"),
        (("checklist", "INC-20261123-999"), 3, "no incident INC-20261123-999"),
    ],
)
def test_bad_input_is_one_line_nonzero_and_writes_nothing(
    cli: Cli, store: Store, incident: str, args: tuple[str, ...], code: int, message: str
) -> None:
    refuse(cli, store, args, code, message)


def test_double_attach_and_double_check_are_refused(cli: Cli, store: Store, incident: str) -> None:
    ok(cli, "runbook", "attach", incident, "RBK-api-5xx-spike")
    refuse(
        cli,
        store,
        ("runbook", "attach", incident, "RBK-api-5xx-spike"),
        2,
        f"runbook RBK-api-5xx-spike is already attached to {incident} (event 2)",
    )
    ok(cli, "check", incident, "first-15-minutes:1")
    refuse(cli, store, ("check", incident, "first-15-minutes:1"), 2, "is already checked")


def test_attach_finds_an_id_through_the_runbook_index(
    cli: Cli, incident: str, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "etcd.md").write_text(
        "---\nid: RBK-etcd-leader\ntitle: etcd leader changes\n---\n"
        "## Triage Checklist\n- [ ] Count leader changes in the last hour\n"
    )
    ok(cli, "runbook", "index", str(library))
    out = ok(cli, "runbook", "attach", incident, "RBK-etcd-leader")
    assert f"RBK-etcd-leader ({library / 'etcd.md'}): 1 checklist item" in out


def test_check_takes_several_items_ranges_and_whole_checklists(cli: Cli, incident: str) -> None:
    out = ok(cli, "check", incident, "mitigated:1-2", "resolved:1,3", "--note", "verified")
    assert out.splitlines() == [
        f"{incident} event {seq}: checklist.item_checked" for seq in range(2, 6)
    ]
    out = ok(cli, "check", incident, "mitigated", "resolved", "--all")
    assert len(out.splitlines()) == 2 + 3  # mitigated:3-4, resolved:2 and 4-5
    listing = ok(cli, "checklist", incident, "--checklist", "mitigated")
    assert "[ ]" not in listing
    assert "verified)" in listing
    assert "(checked by tester " in ok(cli, "checklist", incident, "--checklist", "resolved")
    out = ok(cli, "uncheck", incident, "mitigated:3-4", "--note", "reopened")
    assert out.count("checklist.item_unchecked") == 2


def test_a_refused_batch_checks_none_of_its_items(cli: Cli, store: Store, incident: str) -> None:
    ok(cli, "check", incident, "mitigated:3")
    refuse(cli, store, ("check", incident, "mitigated:1-4"), 2, "mitigated:3 on INC-")
    listing = ok(cli, "checklist", incident, "--checklist", "mitigated")
    assert listing.count("[x]") == 1
