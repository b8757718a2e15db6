"""The policy engine: Rego bundles evaluated in-process with regopy, failing closed.

A bundle is a folder of `*.rego` modules (the default ships in `bundle/`; `policy_dir` points at a
team's own). It must answer the entry-point rules of `contract.py` (the authorisation decision,
the closure gates, need-to-know). Loading compiles them once and asks each about a probe input,
so a bundle that cannot decide — a syntax error, a missing rule, a rule that fails to evaluate
or answers out of shape — is refused before any command runs; one that fails later, on a real
input, is refused the same way: `PolicyUndecidableError`, one line naming the rule and module,
never an empty answer or a deny. The bundle's digest is recorded on every event it authorised.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fireline.errors import ConfigError, InvalidCommandError, PolicyUndecidableError
from fireline.policy import diagnosis, rego_c
from fireline.policy.contract import (
    DECISION_RULE,
    ENTRY_POINTS,
    GATES_RULE,
    PROBES,
    VISIBILITY_RULE,
    Decision,
    MalformedAnswer,
    Visibility,
    read_decision,
    read_gates,
    read_visibility,
)

__all__ = [
    "DECISION_RULE",
    "ENTRY_POINTS",
    "GATES_RULE",
    "VISIBILITY_RULE",
    "Decision",
    "Module",
    "PolicyEngine",
    "PolicyFailure",
    "TestResult",
    "Visibility",
    "default_bundle_dir",
    "digest_of",
    "read_bundle",
]

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^\s*(test_\w+)\b", re.MULTILINE)
T = TypeVar("T")


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
    # Beside this module, not through importlib.resources: that import alone costs `freeze
    # check` a sixth of its time once something is frozen and the policy must be loaded.
    return Path(__file__).with_name("bundle")


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
        self._runner = _interpreter()
        # One interpreter takes one input at a time: the server asks from many threads.
        self._lock = threading.Lock()
        entry = _compile(modules, [_path_of(rule) for rule in ENTRY_POINTS], source=source)
        if not any(module.package == "fireline.authz" for module in modules):
            raise PolicyUndecidableError(f"policy bundle {source} has no package fireline.authz")
        self._compiled: dict[str, rego_c.Compiled] = {
            rule: rego_c.Compiled(entry, _path_of(rule).encode()) for rule in ENTRY_POINTS
        }
        for rule, reader in _READERS.items():  # a bundle that cannot decide never starts
            for probe in PROBES[rule]:
                self._answer(rule, reader, probe)

    @classmethod
    def load(cls, directory: Path | None = None) -> PolicyEngine:
        """Read, compile and probe a bundle (default: the one shipped with fireline).

        Raises ConfigError when the bundle cannot be read, PolicyUndecidableError when it cannot
        decide: no command may start on such a policy, read or write.
        """
        folder = directory or default_bundle_dir()
        modules, tests = read_bundle(folder)
        return cls(modules, tests, source=str(folder))

    def decide(self, policy_input: Mapping[str, Any]) -> Decision:
        """The authorisation decision for one planned write (PolicyUndecidableError if none)."""
        return self._answer(DECISION_RULE, read_decision, policy_input)

    def unmet_gates(self, policy_input: Mapping[str, Any]) -> dict[str, list[str]]:
        """Each closure gate's unmet items (PolicyUndecidableError if the policy cannot say)."""
        return self._answer(GATES_RULE, read_gates, policy_input)

    def visibility(self, policy_input: Mapping[str, Any]) -> Visibility:
        """Need-to-know over some incidents (PolicyUndecidableError if the policy cannot say)."""
        return self._answer(VISIBILITY_RULE, read_visibility, policy_input)

    def evaluate(self, rule: str, policy_input: Mapping[str, Any]) -> Any:
        """The value of any `rule` (e.g. `data.fireline.gates.unmet`) for an input: for the
        bundle's own tests. Raises PolicyFailure when the rule is undefined or the engine fails.
        """
        try:
            with self._lock:
                value = _query(self._runner, self._bundle(rule), policy_input)
        except ConfigError as exc:
            raise PolicyFailure(exc.message) from None
        except _EvaluationFailed as exc:
            raise PolicyFailure(f"policy evaluation failed: {exc}") from None
        if value is _UNDEFINED:
            raise PolicyFailure(f"the policy defines no {rule} for this input")
        return value

    def _answer(self, rule: str, reader: Callable[[Any], T], policy_input: Mapping[str, Any]) -> T:
        try:
            with self._lock:
                value = _query(self._runner, self._compiled[rule], policy_input)
        except _EvaluationFailed as exc:
            raise self._undecidable(rule, policy_input, str(exc)) from None
        if value is _UNDEFINED:
            raise self._undecidable(rule, policy_input, None)
        try:
            return reader(value)
        except MalformedAnswer as exc:
            where = _defined_in(self.modules, rule)
            raise PolicyUndecidableError(
                f"policy bundle {self.source} cannot decide: {rule}{where} answers out of shape"
                f" ({exc})"
            ) from None

    def _undecidable(
        self, rule: str, policy_input: Mapping[str, Any], detail: str | None
    ) -> PolicyUndecidableError:
        """The one line saying which rule, in which module, keeps the bundle from deciding."""
        prefix = f"policy bundle {self.source} cannot decide: {rule}"
        if detail is None:
            where = _defined_in(self.modules, rule)
            if not where:
                package, name = rule[len("data.") :].rsplit(".", 1)
                return PolicyUndecidableError(
                    f"{prefix} is missing (no module of package {package} defines rule {name})"
                )
            return PolicyUndecidableError(f"{prefix}{where} is undefined for fireline's input")
        found = diagnosis.locate(
            self.modules, rule, lambda mods, refs: _outcomes(mods, refs, policy_input)
        )
        if found is None or found[0] == rule:
            where = f" (in {', '.join(found[1])})" if found else _defined_in(self.modules, rule)
            return PolicyUndecidableError(f"{prefix}{where} does not evaluate: {detail}")
        culprit, modules = found
        return PolicyUndecidableError(
            f"{prefix} fails: rule {culprit} (in {', '.join(modules)}) does not evaluate: {detail}"
        )

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

    def _bundle(self, rule: str) -> rego_c.Compiled:
        compiled = self._compiled.get(rule)
        if compiled is None:
            compiled = self._compiled[rule] = _compile_rule(self.modules, rule, source=self.source)
        return compiled


_READERS: Mapping[str, Callable[[Any], Any]] = {
    DECISION_RULE: read_decision,
    GATES_RULE: read_gates,
    VISIBILITY_RULE: read_visibility,
}


class PolicyFailure(Exception):
    """The policy could not produce a value: undefined rule, engine error, bad output."""


class _EvaluationFailed(Exception):
    pass


_UNDEFINED = object()


def _interpreter() -> Any:
    """An interpreter on which a built-in's error (a type error, division by zero) is an error.

    Rego's default turns it into "undefined", which silently skips the rule that hit it: a
    `deny` whose body divides by zero would allow. Strict, it fails the whole evaluation.
    """
    from regopy import Interpreter

    interpreter = Interpreter()
    interpreter.strict_built_in_errors = True
    return interpreter


@contextmanager
def _stdout_silenced() -> Iterator[None]:
    """rego-cpp prints compile errors, and some evaluation errors, on the process's stdout;
    keep them out of our output."""
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


def _path_of(rule: str) -> str:
    """`data.fireline.authz.decision` → `fireline/authz/decision`, rego-cpp's entrypoint."""
    return rule[len("data.") :].replace(".", "/")


def _compile(modules: Sequence[Module], entrypoints: list[str], *, source: str) -> Any:
    """The bundle compiled to answer these entrypoints (PolicyUndecidableError if it cannot)."""
    from regopy import RegoError

    interpreter = _interpreter()
    try:
        with _stdout_silenced():
            for module in modules:
                interpreter.add_module(module.path, module.text)
            return interpreter.build(None, entrypoints)
    except RegoError as exc:
        raise PolicyUndecidableError(
            f"policy bundle {source} does not compile: {_first_error(str(exc))}"
        ) from None


def _compile_rule(modules: list[Module], rule: str, *, source: str) -> rego_c.Compiled:
    """The bundle compiled to answer `rule`: a plain `data.a.b` rule as an entrypoint, which
    rego-cpp evaluates without a query of its own (a tenth of a decision), else a query."""
    from regopy import RegoError

    if _PLAIN_RULE.fullmatch(rule):
        entrypoint = _path_of(rule)
        return rego_c.Compiled(_compile(modules, [entrypoint], source=source), entrypoint.encode())
    interpreter = _interpreter()
    try:
        with _stdout_silenced():
            for module in modules:
                interpreter.add_module(module.path, module.text)
            return rego_c.Compiled(interpreter.build(f"value := {rule}"), None)
    except RegoError as exc:
        raise PolicyUndecidableError(
            f"policy bundle {source} does not compile: {_first_error(str(exc))}"
        ) from None


_PLAIN_RULE = re.compile(r"data(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _first_error(text: str) -> str:
    text = " ".join(text.split())
    found = re.search(r"\(errormsg \d+:(.*?)\)", text)
    where = re.search(r"\(error \d+:([^|]+)\|", text)
    if found:
        return f"{found.group(1).strip()}" + (f" (in {where.group(1)})" if where else "")
    return text[:200]


# rego-cpp answers `<error>` and nothing more for these.
_OPAQUE = "conflicting values for one rule, or a built-in function's error such as a type error"


def _query(runner: Any, bundle: rego_c.Compiled, policy_input: Mapping[str, Any]) -> Any:
    """Evaluate a compiled rule; return its value, _UNDEFINED, or raise _EvaluationFailed."""
    from regopy import RegoError

    try:
        rego_c.set_input(runner, dict(policy_input))
        with _stdout_silenced():
            ok, text = rego_c.query(runner, bundle)  # the text, never a binding: see rego_c
    except RegoError as exc:
        raise _EvaluationFailed(_first_error(str(exc))) from None
    except ValueError:  # text that is not Unicode (a lone surrogate): bad input, not policy
        raise InvalidCommandError(
            "text is not valid Unicode (it holds a lone surrogate such as \\udcff)"
        ) from None
    stripped = text.strip()
    if stripped == "undefined":
        return _UNDEFINED
    if stripped == "<error>":
        raise _EvaluationFailed(_OPAQUE)
    if stripped.startswith("(error"):
        raise _EvaluationFailed(_first_error(stripped))
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


def _outcomes(
    modules: Sequence[Module], refs: Sequence[str], policy_input: Mapping[str, Any]
) -> dict[str, str]:
    """Each rule's outcome on an input, "error: …", "undefined" or "ok": for the diagnosis.

    A bundle that does not compile (a module left out) fails every rule.
    """
    try:
        built = _compile(modules, [_path_of(ref) for ref in refs], source="")
    except PolicyUndecidableError as exc:
        return dict.fromkeys(refs, f"error: {exc.message}")
    runner = _interpreter()
    outcomes = {}
    for ref in refs:
        try:
            value = _query(runner, rego_c.Compiled(built, _path_of(ref).encode()), policy_input)
        except _EvaluationFailed as exc:
            outcomes[ref] = f"error: {exc}"
        else:
            outcomes[ref] = "undefined" if value is _UNDEFINED else "ok"
    return outcomes


def _defined_in(modules: Sequence[Module], rule: str) -> str:
    """ " (in a.rego, b.rego)": the modules defining `rule`, or "" if none does."""
    for found in diagnosis.rules_of(modules):
        if found.ref == rule:
            return f" (in {', '.join(found.modules)})"
    return ""
