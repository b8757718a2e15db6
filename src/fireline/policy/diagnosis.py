"""Which rule, in which module, keeps a bundle from deciding: for the one error line.

The engine says only that an evaluation failed (rego-cpp prints `<error>` for conflicting
values or a built-in error), so when an entry point fails this evaluates every rule of the
bundle on the same input, names the failing rule that depends on no other failing rule, and,
when it is defined in several modules, the ones without which it evaluates. Runs only on the
failure path; it never decides anything itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_KEYWORDS = {"package", "import", "default", "else", "some", "every", "not", "with", "if"}
# A definition's head at column 0: a rule (`name :=`, `name if`, `name contains`, `name[k]`,
# `default name`) or a function (`name(`), which cannot be evaluated on its own but can lead
# from a rule to the one that fails.
_HEAD = re.compile(
    r"^(?:default\s+)?([A-Za-z_]\w*)(?=\s*(?:(\()|\[|:=|=|\{|\bcontains\b|\bif\b|$))",
    re.MULTILINE,
)
_TOP = re.compile(r"^(?=[A-Za-z_])", re.MULTILINE)


class ModuleText(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def package(self) -> str: ...


@dataclass(frozen=True)
class Rule:
    ref: str  # data.fireline.authz.deny
    modules: tuple[str, ...]  # the module paths defining it, in bundle order
    body: str  # every definition's text, joined
    function: bool = False

    @property
    def name(self) -> str:
        return self.ref.rsplit(".", 1)[1]


# Evaluates rules on a bundle of modules: ref → "error: …" | "undefined" | "ok".
Evaluator = Callable[[Sequence[Any], Sequence[str]], Mapping[str, str]]


def rules_of(modules: Sequence[ModuleText], *, functions: bool = False) -> list[Rule]:
    """Every rule of the bundle (and function, if asked), with the modules and text defining it."""
    found: dict[str, tuple[list[str], list[str], bool]] = {}
    for module in modules:
        if not module.package:
            continue
        for block in _TOP.split(module.text):
            head = _HEAD.match(block)
            if head is None or head.group(1) in _KEYWORDS:
                continue
            ref = f"data.{module.package}.{head.group(1)}"
            paths, bodies, _ = found.setdefault(ref, ([], [], head.group(2) is not None))
            if module.path not in paths:
                paths.append(module.path)
            bodies.append(block)
    return [
        Rule(ref, tuple(paths), "\n".join(bodies), is_function)
        for ref, (paths, bodies, is_function) in found.items()
        if functions or not is_function
    ]


def locate(
    modules: Sequence[ModuleText], entry_point: str, evaluate: Evaluator
) -> tuple[str, tuple[str, ...]] | None:
    """(the failing rule's ref, the modules it fails in), or None when no rule fails.

    `evaluate(modules, refs)` answers each ref's outcome on the failing input. The rule named
    is a failing one that reaches no other failing rule (through the rules and functions its
    definitions mention): where the failure starts, not every rule it travels up through.
    """
    every = rules_of(modules, functions=True)
    rules = [rule for rule in every if not rule.function]
    outcomes = evaluate(modules, [rule.ref for rule in rules])
    failing = [rule for rule in rules if outcomes.get(rule.ref, "").startswith("error")]
    if not failing:
        return None
    failing_names = {rule.name for rule in failing}
    roots = [rule for rule in failing if not (_reach(rule, every) - {rule.name}) & failing_names]
    culprit = next((r for r in roots if r.ref != entry_point), roots[0] if roots else failing[0])
    return culprit.ref, _narrowed(modules, culprit, evaluate)


def _reach(start: Rule, every: Sequence[Rule]) -> set[str]:
    """The names of the definitions `start` mentions, directly or through those it mentions."""
    by_name: dict[str, list[Rule]] = {}
    for rule in every:
        by_name.setdefault(rule.name, []).append(rule)
    seen: set[str] = set()
    todo = [start]
    while todo:
        rule = todo.pop()
        for name, defined in by_name.items():
            if name not in seen and name != rule.name and re.search(rf"\b{name}\b", rule.body):
                seen.add(name)
                todo.extend(defined)
    return seen


def _narrowed(modules: Sequence[ModuleText], rule: Rule, evaluate: Evaluator) -> tuple[str, ...]:
    """Of the modules defining `rule`, those without which it no longer fails."""
    if len(rule.modules) < 2:
        return rule.modules
    guilty = tuple(
        path
        for path in rule.modules
        if not evaluate([m for m in modules if m.path != path], [rule.ref])
        .get(rule.ref, "error")
        .startswith("error")
    )
    return guilty or rule.modules
