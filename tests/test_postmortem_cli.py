"""`fireline postmortem …` end to end in-process, and the export's 90_postmortem/ with its
HTML escaped and verified offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

pytestmark = pytest.mark.adapter


@pytest.mark.slow
def test_draft_edit_review_publish_and_export(cli: Cli, tmp_path: Path) -> None:
    inc = cli("declare", "API down", "--sev", "SEV2", actor="alice").stdout.strip()
    cli("log", inc, "root_cause", "pool exhausted", actor="alice")
    assert cli("postmortem", "draft", inc, "--template", "kfm", actor="alice").exit_code == 0
    hostile = tmp_path / "rc.md"
    hostile.write_text('<script>alert(1)</script> "><img src=x onerror=alert(1)>\n')
    edited = cli("postmortem", "edit", inc, "--section", "Root cause", "--file", str(hostile))
    assert edited.stdout.strip() == f"{inc} event 4: postmortem.edited"
    missing = cli("postmortem", "edit", inc, "--section", "Root cause", "--file", "nope.md")
    assert (missing.exit_code, missing.stderr.strip()) == (
        2,
        "fireline: error: --file nope.md does not exist",
    )
    cli("postmortem", "submit", inc, "--reviewer", "erin", actor="alice")
    own = cli("postmortem", "approve", inc, "--reviewer", "x", actor="alice")
    assert own.exit_code == 2  # no such option: a usage error, one line
    assert cli("postmortem", "approve", inc, actor="erin").exit_code == 0
    assert cli("postmortem", "publish", inc, actor="alice").exit_code == 0
    listed = cli("postmortem", "list", actor="alice")
    assert listed.stdout.startswith(f"{inc} [published, external draft] due unset")
    shown = cli("postmortem", "show", inc, "--html", actor="alice")
    assert "<script>" not in shown.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.stdout
    out = tmp_path / "out"
    assert cli("export", inc, "--out", str(out), actor="alice").exit_code == 0
    folder = out / inc / "90_postmortem"
    page = (folder / "postmortem.html").read_text()
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "## Root cause\n\n<script>" in (folder / "postmortem.md").read_text()
    assert "(external version)" in (folder / "postmortem-external.md").read_text()
    assert cli("verify", str(out / inc)).exit_code == 0
    (folder / "postmortem-external.html").write_text("<p>changed</p>\n")
    broken = cli("verify", str(out / inc))
    assert broken.exit_code != 0
    assert "90_postmortem/postmortem-external.html" in broken.stdout + broken.stderr
