"""The policy engine: the default bundle, its tests, and failing closed on a broken bundle."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.commands import LogEntry
from fireline.db import events
from fireline.errors import ConfigError, PolicyDeniedError
from fireline.policy import PolicyEngine, default_bundle_dir, rego_c
from fireline.service import Context, open_context
from tests.conftest import Cli, Store
from tests.factories import make_incident, run, snapshot

DECIDE = "package fireline.authz\nimport rego.v1\n"


def bundle(tmp_path: Path, text: str, *, name: str = "authz.rego") -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def echo_engine(tmp_path_factory: pytest.TempPathFactory) -> PolicyEngine:
    return PolicyEngine.load(bundle(tmp_path_factory.mktemp("echo"), ECHO))


def test_default_bundle_compiles_and_its_own_tests_pass() -> None:
    engine = PolicyEngine.load()
    assert len(engine.digest) == 64
    results = engine.run_tests()
    assert len(results) >= 20
    assert [r.name for r in results if not r.passed] == []


def test_digest_follows_the_bundle_contents(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in default_bundle_dir().glob("*.rego"):
        (copy / path.name).write_text(path.read_text())
    assert PolicyEngine.load(copy).digest == PolicyEngine.load().digest
    (copy / "authz.rego").write_text((copy / "authz.rego").read_text() + "\n# changed\n")
    assert PolicyEngine.load(copy).digest != PolicyEngine.load().digest


def test_every_event_records_the_policy_that_allowed_it(ctx: Context) -> None:
    inc = make_incident(ctx)
    run(ctx, LogEntry(incident_id=inc, kind="fact", text="x"))
    with ctx.engine.connect() as conn:
        digests = set(conn.execute(sa.select(events.c.policy)).scalars())
    assert digests == {ctx.policy.digest}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("package fireline.authz\nallow if {", "does not compile"),
        ("", "does not compile"),
    ],
)
def test_a_bundle_that_does_not_compile_stops_writes(
    store: Store, tmp_path: Path, text: str, message: str
) -> None:
    settings = replace(store.settings, policy_dir=bundle(tmp_path, text))
    with pytest.raises(ConfigError, match=message):
        open_context(settings)


def test_an_empty_bundle_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="has no .rego modules"):
        PolicyEngine.load(tmp_path / "empty")
    with pytest.raises(ConfigError, match="is not a folder"):
        PolicyEngine.load(tmp_path / "missing")


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        ("other := 1\n", "the policy defines no data.fireline.authz.decision"),
        ('decision := {"allow": "yes", "reasons": []}\n', "allow must be a boolean"),
        ('decision := {"allow": false, "reasons": [1]}\n', "a list of strings"),
        ('decision := {"allow": false, "reasons": []}\n', "denied by policy (no reason given)"),
        ("decision := 7\n", "policy decision is malformed"),
        (
            'decision := {"allow": false, "reasons": [concat("", ["say ", input.quote])]}\n',
            "the engine returned unreadable output",
        ),
    ],
)
def test_a_decision_that_is_not_a_clean_allow_is_a_deny(
    tmp_path: Path, rules: str, reason: str
) -> None:
    engine = PolicyEngine.load(bundle(tmp_path, DECIDE + rules))
    decision = engine.decide({"quote": 'a "quoted" word'})
    assert not decision.allow
    assert any(reason in r for r in decision.reasons), decision.reasons


def test_a_denying_bundle_writes_nothing(ctx: Context, tmp_path: Path) -> None:
    inc = make_incident(ctx)
    ctx.policy = PolicyEngine.load(bundle(tmp_path, DECIDE + "other := 1\n"))
    before = snapshot(ctx.engine)
    with pytest.raises(PolicyDeniedError, match="defines no data.fireline.authz.decision"):
        run(ctx, LogEntry(incident_id=inc, kind="fact", text="x"))
    assert snapshot(ctx.engine) == before


def test_policy_test_command_reports_each_case(cli: Cli) -> None:
    result = cli("policy", "test")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    assert "ok   authz_test.rego::the IC may change the status" in result.stdout


def test_policy_test_fails_on_a_failing_case(cli: Cli, tmp_path: Path) -> None:
    folder = bundle(tmp_path, DECIDE + 'decision := {"allow": true, "reasons": []}\n')
    (folder / "authz_test.rego").write_text(
        "package fireline.authz_test\nimport rego.v1\n"
        'cases := [{"name": "deny bob", "rule": "data.fireline.authz.decision.allow",'
        ' "input": {}, "expect": false}]\n'
        "test_truth if { 1 == 1 }\n"
    )
    result = cli("policy", "test", str(folder))
    assert result.exit_code == 1
    assert "FAIL authz_test.rego::deny bob — expected false, got true" in result.stdout
    assert "ok   authz_test.rego::test_truth" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_policy_test_without_tests_is_refused(cli: Cli, tmp_path: Path) -> None:
    folder = bundle(tmp_path, DECIDE + 'decision := {"allow": true, "reasons": []}\n')
    result = cli("policy", "test", str(folder))
    assert result.exit_code == 2
    assert "has no tests" in result.stderr


def test_policy_show_names_the_digest(cli: Cli) -> None:
    out = cli("policy", "show").stdout
    assert f"digest  {PolicyEngine.load().digest}" in out
    assert "module  authz.rego (package fireline.authz)" in out


def test_broken_configured_bundle_refuses_cli_writes(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli("declare", "x", "--sev", "SEV2")
    assert out.exit_code == 0
    monkeypatch.setenv("FIRELINE_POLICY_DIR", str(bundle(tmp_path, "package x\nallow if {")))
    engine = sa.create_engine(store.settings.database_url)
    before = snapshot(engine)
    result = cli("log", out.stdout.strip(), "fact", "x")
    assert result.exit_code == 5
    assert result.stderr.startswith("fireline: error: policy bundle ")
    assert "does not compile" in result.stderr
    assert snapshot(engine) == before
    engine.dispose()


def test_a_bundle_without_the_authz_package_refuses_to_load(tmp_path: Path) -> None:
    folder = bundle(tmp_path, "package other\nimport rego.v1\nx := 1\n")
    with pytest.raises(ConfigError, match="has no package fireline.authz"):
        PolicyEngine.load(folder)


ECHO = DECIDE + "echo := input\n"
input_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(st.characters(blacklist_categories=["Cs"]), max_size=6), inner)
    ),
    max_leaves=16,
)


def _through_regopy(engine: PolicyEngine, value: dict[str, Any]) -> tuple[bool, str]:
    from regopy import Input

    engine._runner.set_input(Input(value))
    return rego_c.query(engine._runner, engine._bundle("data.fireline.authz.echo"))


@settings(max_examples=60, deadline=None)
@given(value=st.dictionaries(st.text(max_size=6), input_values, max_size=5))
def test_the_direct_input_document_is_the_one_regopy_builds(
    echo_engine: PolicyEngine, value: dict[str, Any]
) -> None:
    rule = echo_engine._bundle("data.fireline.authz.echo")
    rego_c.set_input(echo_engine._runner, value)
    direct = rego_c.query(echo_engine._runner, rule)
    assert direct == _through_regopy(echo_engine, value)
    assert direct[0]


def test_values_the_direct_builder_does_not_know_go_through_regopy(
    echo_engine: PolicyEngine,
) -> None:
    value = {"set": frozenset({"b", "a"}), "plain": ["x", 1]}
    assert echo_engine.evaluate("data.fireline.authz.echo", value) == {
        "plain": ["x", 1],
        "set": ["a", "b"],
    }
