"""The policy engine: Rego bundles evaluated in-process with regopy, failing closed.

A bundle is a folder of `*.rego` modules (the default ships in `bundle/`; `policy_dir` points at a
team's own). It must define `data.fireline.authz.decision` as `{"allow": bool, "reasons": [str]}`.
Anything else — a syntax error, an evaluation error, an undefined or malformed decision — is a
deny whose reason says what went wrong. The bundle's digest is recorded on every event it
authorised, so the record shows which policy allowed each write.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fireline.errors import ConfigError
from fireline.policy import rego_c

DECISION_RULE = "data.fireline.authz.decision"
GATES_RULE = "data.fireline.gates.unmet"
VISIBILITY_RULE = "data.fireline.visibility.access"
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^\s*(test_\w+)\b", re.MULTILINE)


@dataclass(frozen=True)
class Decision:
    """What the policy said: allowed or not, and the human-readable reasons for a deny."""

    allow: bool
    reasons: tuple[str, ...]
    hidden: bool = False  # the incident is not the actor's to see: answer "not found"


@dataclass(frozen=True)
class Module:
    path: str  # relative to the bundle root, with forward slashes
    text: str

    @property
    def package(self) -> str:
        found = _PACKAGE.search(self.text)
        return found.group(1) if found else ""


@dataclass(frozen=True)
class TestResult:
    name: str
    passed: bool
    detail: str = ""


def default_bundle_dir() -> Path:
    return Path(str(resources.files("fireline.policy") / "bundle"))


def read_bundle(directory: Path) -> tuple[list[Module], list[Module]]:
    """The policy modules and the test modules (`*_test.rego`) of a bundle folder."""
    if not directory.is_dir():
        raise ConfigError(f"policy bundle {directory} is not a folder")
    modules: list[Module] = []
    tests: list[Module] = []
    for path in sorted(directory.rglob("*.rego")):
        try:
            module = Module(path.relative_to(directory).as_posix(), path.read_text())
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read policy module {path}: {exc}") from None
        (tests if path.name.endswith("_test.rego") else modules).append(module)
    if not modules:
        raise ConfigError(f"policy bundle {directory} has no .rego modules")
    return modules, tests


def digest_of(modules: list[Module]) -> str:
    """sha256 over each module's path and contents, in path order: names the policy in force."""
    h = hashlib.sha256()
    for module in modules:
        h.update(f"{module.path}\0{len(module.text.encode())}\0".encode())
        h.update(module.text.encode())
    return h.hexdigest()


class PolicyEngine:
    """A compiled bundle, ready to decide. Build with `load`; one per process."""

    def __init__(self, modules: list[Module], tests: list[Module], *, source: str) -> None:
        self.modules = modules
        self.tests = tests
        self.source = source
        self.digest = digest_of(modules)
        self._compiled: dict[str, Any] = {}
        self._runner = _interpreter()
        self._bundle(DECISION_RULE)
        if not any(module.package == "fireline.authz" for module in modules):
            # A bundle that cannot decide must not start writes at all.
            raise ConfigError(f"policy bundle {source} has no package fireline.authz")

    @classmethod
    def load(cls, directory: Path | None = None) -> PolicyEngine:
        """Read and compile a bundle (default: the one shipped with fireline).

        Raises ConfigError when the bundle cannot be read or compiled: write commands must not
        start on a policy that cannot decide.
        """
        folder = directory or default_bundle_dir()
        modules, tests = read_bundle(folder)
        return cls(modules, tests, source=str(folder))

    def decide(self, policy_input: Mapping[str, Any]) -> Decision:
        """Evaluate the authorisation decision; every failure is a deny that says why."""
        try:
            value = self.evaluate(DECISION_RULE, policy_input)
        except PolicyFailure as exc:
            return Decision(False, (str(exc),))
        if not isinstance(value, dict) or not isinstance(value.get("allow"), bool):
            return Decision(
                False, (f"policy decision is malformed (allow must be a boolean): {value!r}",)
            )
        reasons = value.get("reasons", [])
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
            return Decision(
                False, (f"policy reasons are malformed (a list of strings): {reasons!r}",)
            )
        if not value["allow"] and not reasons:
            reasons = ["denied by policy (no reason given)"]
        hidden = value.get("hidden", False)
        if not isinstance(hidden, bool):
            return Decision(False, (f"policy hidden flag is malformed: {hidden!r}",), True)
        return Decision(value["allow"] and not hidden, tuple(reasons), hidden)

    def evaluate(self, rule: str, policy_input: Mapping[str, Any]) -> Any:
        """The value of `rule` (e.g. `data.fireline.gates.unmet`) for an input.

        Raises PolicyFailure when the rule is undefined or the engine fails; callers decide
        how to fail closed.
        """
        try:
            value = _query(self._runner, self._bundle(rule), policy_input)
        except ConfigError as exc:
            raise PolicyFailure(exc.message) from None
        except _EvaluationFailed as exc:
            raise PolicyFailure(f"policy evaluation failed: {exc}") from None
        if value is _UNDEFINED:
            raise PolicyFailure(f"the policy defines no {rule} for this input")
        return value

    def run_tests(self) -> list[TestResult]:
        """Run the bundle's tests: every entry of each test module's `cases`, and `test_*` rules.

        A case is {"name", "rule", "input", "expect"}: the rule evaluated with the input must
        equal `expect`. A `test_*` rule must be true.
        """
        results = []
        for test in self.tests:
            engine = PolicyEngine([*self.modules, test], [], source=test.path)
            cases = engine._value_or_none(f"data.{test.package}.cases")
            for case in cases if isinstance(cases, list) else []:
                results.append(engine._run_case(test, case))
            for name in dict.fromkeys(_TEST_RULE.findall(test.text)):
                value = engine._value_or_none(f"data.{test.package}.{name}")
                detail = "" if value is True else f"evaluated to {json.dumps(value)}"
                results.append(TestResult(f"{test.path}::{name}", value is True, detail))
        return results

    def _run_case(self, test: Module, case: Any) -> TestResult:
        name = case.get("name", "?") if isinstance(case, dict) else "?"
        label = f"{test.path}::{name}"
        if not isinstance(case, dict) or not {"rule", "input", "expect"} <= set(case):
            return TestResult(label, False, "a case needs rule, input and expect")
        try:
            value = self.evaluate(case["rule"], case["input"])
        except PolicyFailure as exc:
            return TestResult(label, False, str(exc))
        if value == case["expect"]:
            return TestResult(label, True)
        return TestResult(
            label, False, f"expected {json.dumps(case['expect'])}, got {json.dumps(value)}"
        )

    def _value_or_none(self, rule: str) -> Any:
        try:
            return self.evaluate(rule, {})
        except PolicyFailure:
            return None

    def _bundle(self, rule: str) -> Any:
        bundle = self._compiled.get(rule)
        if bundle is None:
            bundle = self._compiled[rule] = _compile(self.modules, rule, source=self.source)
        return bundle


class PolicyFailure(Exception):
    """The policy could not produce a value: undefined rule, engine error, bad output."""


class _EvaluationFailed(Exception):
    pass


_UNDEFINED = object()


def _interpreter() -> Any:
    from regopy import Interpreter

    return Interpreter()


@contextmanager
def _stdout_silenced() -> Iterator[None]:
    """rego-cpp prints compile errors on the process's stdout; keep them out of our output."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _compile(modules: list[Module], rule: str, *, source: str) -> rego_c.Compiled:
    """The bundle compiled to answer `rule`: a plain `data.a.b` rule as an entrypoint, which
    rego-cpp evaluates without a query of its own (a tenth of a decision), else a query."""
    from regopy import RegoError

    interpreter = _interpreter()
    entrypoint = rule[len("data.") :].replace(".", "/") if _PLAIN_RULE.fullmatch(rule) else None
    try:
        with _stdout_silenced():
            for module in modules:
                interpreter.add_module(module.path, module.text)
            if entrypoint is None:
                return rego_c.Compiled(interpreter.build(f"value := {rule}"), None)
            return rego_c.Compiled(interpreter.build(None, [entrypoint]), entrypoint.encode())
    except RegoError as exc:
        raise ConfigError(f"policy bundle {source} does not compile: {_first_error(exc)}") from None


_PLAIN_RULE = re.compile(r"data(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _first_error(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    found = re.search(r"\(errormsg \d+:(.*?)\)", text)
    where = re.search(r"\(error \d+:([^|]+)\|", text)
    if found:
        return f"{found.group(1)}" + (f" (in {where.group(1)})" if where else "")
    return text[:200]


def _query(runner: Any, bundle: rego_c.Compiled, policy_input: Mapping[str, Any]) -> Any:
    """Evaluate a compiled rule; return its value, _UNDEFINED, or raise."""
    from regopy import RegoError

    try:
        rego_c.set_input(runner, dict(policy_input))
        ok, text = rego_c.query(runner, bundle)  # the text, never a binding: see rego_c
    except RegoError as exc:
        raise _EvaluationFailed(_first_error(exc)) from None
    except ValueError:  # an input value the engine cannot take
        raise _EvaluationFailed("the engine returned unreadable output") from None
    if text.strip() == "undefined":
        return _UNDEFINED
    try:
        result = json.loads(text)
    except ValueError:
        if ok:  # the engine printed a result that is not JSON (unescaped quotes)
            raise _EvaluationFailed("the engine returned unreadable output") from None
        raise _EvaluationFailed(f"unreadable result {text[:120]!r}") from None
    found = "bindings" if bundle.entrypoint is None else "expressions"
    if not isinstance(result, dict) or found not in result:
        raise _EvaluationFailed(f"unexpected result {text[:120]!r}")
    values = result[found]
    if not values:
        return _UNDEFINED
    return next(iter(values.values() if isinstance(values, dict) else values))
