"""Metrics and drills through a real server: client mode prints what local mode prints."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fireline.cli import app
from fireline.commands import Declare
from fireline.service import Context
from tests.conftest import Store
from tests.factories import run
from tests.reads_server import serving

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]


def test_metrics_and_drills_in_client_mode_match_local_mode(store: Store, ctx: Context) -> None:
    run(ctx, Declare(title="Checkout down", severity="SEV1", ic="alice", labels=("internal",)))
    run(ctx, Declare(title="Tabletop", severity="SEV2", ic="alice", drill=True))
    runner = CliRunner()
    reads = (
        ["metrics", "--since", "2026-01-01", "--until", "2100-01-01", "--by", "label"],
        ["metrics", "--since", "2026-01-01", "--until", "2100-01-01", "--format", "json"],
        ["drill", "due", "--format", "json"],
        ["drill", "list"],
    )
    local = [runner.invoke(app, list(args)) for args in reads]
    with serving(store.env, "alice:read") as url:
        remote = [runner.invoke(app, list(args), env={"FIRELINE_URL": url}) for args in reads]
        empty = runner.invoke(
            app,
            ["metrics", "--since", "2020-01-01", "--until", "2020-02-01"],
            env={"FIRELINE_URL": url},
        )
    for here, there in zip(local, remote, strict=True):
        assert here.exit_code == there.exit_code == 0, there.output
        assert here.stdout == there.stdout
    assert json.loads(remote[1].stdout)["groups"][-1]["incidents"] == 1  # the drill left out
    assert empty.exit_code == 3
    assert "no incidents declared from 2020-01-01" in empty.stderr
