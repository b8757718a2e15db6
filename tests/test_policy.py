"""The policy engine: the default bundle, its tests, and a bundle that cannot decide refused as
that (exit 5, one line naming the rule and module) by every command, never read as a deny or
an empty answer."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.commands import LogEntry
from fireline.db import events
from fireline.errors import ConfigError, PolicyUndecidableError
from fireline.policy import PolicyEngine, default_bundle_dir, rego_c
from fireline.service import Context, open_context
from tests.conftest import Cli, Store
from tests.factories import make_incident, run, snapshot

DECIDE = "package fireline.authz\nimport rego.v1\n"
# The least a bundle must answer besides its decision: closure gates and need-to-know.
GATES = "package fireline.gates\nimport rego.v1\nunmet := {}\n"
SEE_ALL = (
    "package fireline.visibility\nimport rego.v1\n"
    'access := {"visible": [i.id | some i in input.incidents], "recorded": []}\n'
)
ALLOW = 'decision := {"allow": true, "reasons": []}\n'


def bundle(tmp_path: Path, text: str, *, name: str = "authz.rego") -> Path:
    """A bundle of `text` as its authz module, with permissive gates and visibility beside."""
    folder = tmp_path / "bundle"
    folder.mkdir(exist_ok=True)
    (folder / "gates.rego").write_text(GATES)
    (folder / "visibility.rego").write_text(SEE_ALL)
    (folder / name).write_text(text)
    return folder


def default_with(tmp_path: Path, modules: dict[str, str], *, without: tuple[str, ...] = ()) -> Path:
    """A copy of the default bundle with modules added or replaced, and some left out."""
    folder = tmp_path / "default-copy"
    folder.mkdir()
    for path in default_bundle_dir().glob("*.rego"):
        if path.name not in without:
            (folder / path.name).write_text(path.read_text())
    for name, text in modules.items():
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
        ("", r"does not compile: Invalid file \(in authz\.rego\)"),
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


VISIBILITY = "package fireline.visibility\nimport rego.v1\n"
AUTHZ = DECIDE
# Bundles that cannot decide, and what the one error line says about each. Every one of them
# is caught when the bundle loads, whichever command loads it.
BROKEN: dict[str, tuple[dict[str, str], tuple[str, ...], str]] = {
    "two modules of one package define a rule differently": (
        {"extra.rego": VISIBILITY + 'restricted_labels := {"secret"}\n'},
        (),
        "cannot decide: data.fireline.authz.decision fails: rule "
        "data.fireline.visibility.restricted_labels (in extra.rego, visibility.rego) "
        "does not evaluate: conflicting values",
    ),
    "a complete rule with two values": (
        {"extra.rego": VISIBILITY + "access := 5\n"},
        (),
        "cannot decide: data.fireline.visibility.access (in extra.rego, visibility.rego) "
        "does not evaluate: conflicting values",
    ),
    "division by zero in a deny rule": (
        {"extra.rego": AUTHZ + 'deny contains "never" if 1 / 0 > 1\n'},
        (),
        "fails: rule data.fireline.authz.deny (in extra.rego) does not evaluate",
    ),
    "a type error in a deny rule": (
        {"extra.rego": AUTHZ + "deny contains msg if msg := input.actor.id + 1\n"},
        (),
        "fails: rule data.fireline.authz.deny (in extra.rego) does not evaluate",
    ),
    "a rule of a missing module": (
        {},
        ("visibility.rego",),
        "fails: rule data.fireline.authz.hidden (in authz.rego) does not evaluate: "
        "Function not found: data.fireline.visibility.restricted",
    ),
    "a syntax error": (
        {"extra.rego": AUTHZ + "allow if {\n"},
        (),
        "does not compile",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_bundle_that_cannot_decide_is_refused_when_it_loads(tmp_path: Path, case: str) -> None:
    modules, without, message = BROKEN[case]
    folder = default_with(tmp_path, modules, without=without)
    with pytest.raises(PolicyUndecidableError) as refused:
        PolicyEngine.load(folder)
    assert refused.value.exit_code == 5
    assert refused.value.message.startswith(f"policy bundle {folder} ")
    assert message in refused.value.message
    assert "\n" not in refused.value.message


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            "other := 1\n",
            "cannot decide: data.fireline.authz.decision is missing "
            "(no module of package fireline.authz defines rule decision)",
        ),
        ('decision := {"allow": "yes", "reasons": []}\n', "allow must be a boolean"),
        ('decision := {"allow": false, "reasons": [1]}\n', "reasons must be a list of strings"),
        ('decision := {"allow": true, "hidden": 1}\n', "hidden must be a boolean"),
        ("decision := 7\n", "data.fireline.authz.decision (in authz.rego) answers out of shape"),
        (ALLOW.replace("\n", " if input.nothing\n"), "(in authz.rego) is undefined"),
    ],
)
def test_a_decision_that_is_missing_or_out_of_shape_is_refused_when_it_loads(
    tmp_path: Path, rules: str, message: str
) -> None:
    with pytest.raises(PolicyUndecidableError, match=re.escape(message)):
        PolicyEngine.load(bundle(tmp_path, DECIDE + rules))


@pytest.mark.parametrize(
    ("module", "text", "message"),
    [
        (
            "gates.rego",
            "package fireline.gates\nother := 1\n",
            "data.fireline.gates.unmet is missing",
        ),
        (
            "gates.rego",
            'package fireline.gates\nunmet := {"resolved": "no"}\n',
            "data.fireline.gates.unmet (in gates.rego) answers out of shape "
            "(must map each gate to a list of strings",
        ),
        (
            "visibility.rego",
            'package fireline.visibility\naccess := {"visible": []}\n',
            "recorded must be a list of incident ids, got None",
        ),
    ],
)
def test_gates_and_visibility_must_answer_too(
    tmp_path: Path, module: str, text: str, message: str
) -> None:
    folder = bundle(tmp_path, DECIDE + ALLOW)
    (folder / module).write_text(text)
    with pytest.raises(PolicyUndecidableError, match=re.escape(message)):
        PolicyEngine.load(folder)


def test_a_deny_without_reasons_still_says_it_is_a_deny(tmp_path: Path) -> None:
    engine = PolicyEngine.load(bundle(tmp_path, DECIDE + 'decision := {"allow": false}\n'))
    assert engine.decide({}).reasons == ("denied by policy (no reason given)",)


def test_a_bundle_that_fails_on_a_real_input_cannot_decide_either(
    ctx: Context, tmp_path: Path
) -> None:
    """Passes the probe (which changes a status), fails when an entry is logged."""
    inc = make_incident(ctx)
    ctx.policy = PolicyEngine.load(
        default_with(
            tmp_path,
            {
                "extra.rego": AUTHZ
                + 'deny contains "x" if { input.action == "entry.log"; 1 / 0 > 1 }\n'
            },
        )
    )
    before = snapshot(ctx.engine)
    with pytest.raises(
        PolicyUndecidableError, match=r"rule data\.fireline\.authz\.deny \(in extra\.rego\)"
    ):
        run(ctx, LogEntry(incident_id=inc, kind="fact", text="x"))
    assert snapshot(ctx.engine) == before


def test_unreadable_engine_output_cannot_decide(tmp_path: Path) -> None:
    quoted = 'decision := {"allow": false, "reasons": [concat("", ["say ", input.quote])]}'
    rules = f"{ALLOW.strip()} if not input.quote\n{quoted} if input.quote\n"
    engine = PolicyEngine.load(bundle(tmp_path, DECIDE + rules))
    with pytest.raises(PolicyUndecidableError, match="the engine returned unreadable output"):
        engine.decide({"quote": 'a "quoted" word'})


def test_policy_test_command_reports_each_case(cli: Cli) -> None:
    result = cli("policy", "test")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    assert "ok   authz_test.rego::the IC may change the status" in result.stdout


def test_policy_test_fails_on_a_failing_case(cli: Cli, tmp_path: Path) -> None:
    folder = bundle(tmp_path, DECIDE + ALLOW)
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
    folder = bundle(tmp_path, DECIDE + ALLOW)
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
    with pytest.raises(PolicyUndecidableError, match="has no package fireline.authz"):
        PolicyEngine.load(folder)


ECHO = DECIDE + ALLOW + "echo := input\n"
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


# Every command that loads the policy: reads, writes, the policy tools and the CI gate.
COMMANDS = (
    ("list",),
    ("show", "{i}"),
    ("timeline", "{i}"),
    ("gates", "{i}"),
    ("log", "{i}", "fact", "cache warm"),
    ("declare", "Another one", "--sev", "SEV3"),
    ("freeze", "check"),
    ("freeze", "check", "--format", "json"),
    ("verify", "{i}"),
    ("rebuild",),
    ("policy", "show"),
    ("policy", "check"),
    ("policy", "test"),
)


@pytest.mark.parametrize(
    "case",
    [
        "two modules of one package define a rule differently",
        "a type error in a deny rule",
        "a syntax error",
    ],
)
def test_every_command_refuses_a_bundle_that_cannot_decide(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    incident = cli("declare", "Checkout down", "--sev", "SEV1").stdout.strip()  # freezes deploys
    modules, without, message = BROKEN[case]
    folder = default_with(tmp_path, modules, without=without)
    monkeypatch.setenv("FIRELINE_POLICY_DIR", str(folder))
    engine = sa.create_engine(store.settings.database_url)
    before = snapshot(engine)
    for command in COMMANDS:
        result = cli(*(part.format(i=incident) for part in command))
        assert result.exit_code == 5, (command, result.output)
        assert result.stdout == "", command
        assert result.stderr.startswith(f"fireline: error: policy bundle {folder} "), command
        assert message in result.stderr
        assert result.stderr.count("\n") == 1, command
    assert snapshot(engine) == before
    engine.dispose()


def test_policy_check_passes_the_default_bundle(cli: Cli) -> None:
    result = cli("policy", "check")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"ok: policy bundle {default_bundle_dir()} decides data.fireline.authz.decision, "
        "data.fireline.gates.unmet, data.fireline.visibility.access",
        f"digest  {PolicyEngine.load().digest}",
    ]


def test_a_listing_the_policy_cannot_decide_is_no_empty_listing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passes the probe (view `show`), fails for `list`: never "no incidents"."""
    incident = cli("declare", "Checkout down", "--sev", "SEV3").stdout.strip()
    listing_only = (
        VISIBILITY + 'access := {"visible": [], "recorded": []} if input.view == "list"\n'
    )
    folder = default_with(tmp_path, {"extra.rego": listing_only})
    monkeypatch.setenv("FIRELINE_POLICY_DIR", str(folder))
    assert cli("show", incident).exit_code == 0
    result = cli("list")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr == (
        f"fireline: error: policy bundle {folder} cannot decide: data.fireline.visibility.access"
        " (in extra.rego, visibility.rego) does not evaluate: conflicting values for one rule,"
        " or a built-in function's error such as a type error\n"
    )


def test_freeze_check_fast_path_refuses_a_bundle_that_cannot_decide(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    modules, without, message = BROKEN["a complete rule with two values"]
    env = {**os.environ, **store.env}
    env["FIRELINE_POLICY_DIR"] = str(default_with(tmp_path, modules, without=without))
    argv = [sys.executable, "-m", "fireline", "freeze", "check"]
    clear = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert (clear.returncode, clear.stdout) == (0, "no deploy freeze\n")  # no policy needed
    cli("declare", "Checkout down", "--sev", "SEV0")
    frozen = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert (frozen.returncode, frozen.stdout) == (5, "")
    assert message in frozen.stderr
    assert frozen.stderr.count("\n") == 1


def test_the_probe_sends_what_fireline_sends(ctx: Context) -> None:
    """The probe inputs carry the fields governance builds, so a rule probed is a rule run."""
    from fireline import governance, queries
    from fireline.policy.contract import DECISION_RULE, PROBES, VISIBILITY_RULE

    inc = make_incident(ctx)
    with ctx.engine.connect() as conn:
        state = queries.get_state(conn, inc)
        view = governance.incident_view(
            conn, state, ctx.ladder(state.ladder), facts=True, public_key=ctx.signer.public_key
        )
        seen = governance.visibility_input(conn, "tester", [inc], view="show")
    probe = PROBES[DECISION_RULE][0]["incident"]
    assert set(probe) == set(view)
    assert set(probe["facts"]) == set(view["facts"])
    visibility = PROBES[VISIBILITY_RULE][0]
    assert set(visibility) == set(seen)
    assert set(visibility["incidents"][0]) == set(seen["incidents"][0])
