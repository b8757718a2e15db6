"""`fireline policy check|test|show`: the Rego bundle that decides every write and read."""

from __future__ import annotations

from typing import Annotated

import typer

from fireline.cli import Format, FormatOption, app, echo, emit_json, guarded, load
from fireline.errors import InvalidCommandError

policy_app = typer.Typer(help="Inspect and test the policy bundle.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("show")
@guarded
def show(format_: FormatOption = Format.table) -> None:
    """Which bundle is in force, its digest (recorded on every event) and its modules."""
    from fireline.policy import PolicyEngine

    engine = PolicyEngine.load(load().policy_dir)
    if format_ is Format.json:
        emit_json(
            {
                "bundle": engine.source,
                "digest": engine.digest,
                "modules": [m.path for m in engine.modules],
                "tests": [m.path for m in engine.tests],
            }
        )
        return
    echo(f"bundle  {engine.source}", masked=False)
    echo(f"digest  {engine.digest}", masked=False)
    for module in engine.modules:
        echo(f"module  {module.path} (package {module.package})", masked=False)
    for module in engine.tests:
        echo(f"tests   {module.path} (package {module.package})", masked=False)


@policy_app.command("check")
@guarded
def check(
    bundle: Annotated[
        str | None, typer.Argument(help="A bundle folder (default: the configured one).")
    ] = None,
) -> None:
    """Compile a bundle and ask every entry-point rule about a probe input; exit 5 naming the
    rule and module if it cannot decide. For CI, before a bundle is deployed."""
    from pathlib import Path

    from fireline.policy import ENTRY_POINTS, PolicyEngine

    engine = PolicyEngine.load(Path(bundle) if bundle else load().policy_dir)
    echo(f"ok: policy bundle {engine.source} decides {', '.join(ENTRY_POINTS)}", masked=False)
    echo(f"digest  {engine.digest}", masked=False)


@policy_app.command("test")
@guarded
def run_tests(
    bundle: Annotated[
        str | None, typer.Argument(help="A bundle folder (default: the configured one).")
    ] = None,
) -> None:
    """Run the bundle's own tests (`*_test.rego`); exit 1 if any fails."""
    from pathlib import Path

    from fireline.policy import PolicyEngine

    engine = PolicyEngine.load(Path(bundle) if bundle else load().policy_dir)
    results = engine.run_tests()
    if not results:
        raise InvalidCommandError(f"policy bundle {engine.source} has no tests (*_test.rego)")
    for result in results:
        mark = "ok  " if result.passed else "FAIL"
        detail = f" — {result.detail}" if result.detail else ""
        echo(f"{mark} {result.name}{detail}", masked=False)
    failed = sum(not r.passed for r in results)
    echo(f"{len(results) - failed} passed, {failed} failed", masked=False)
    if failed:
        raise typer.Exit(1)
