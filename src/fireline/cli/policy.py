"""`fireline policy check|test|show`: the Rego bundle that decides every write and read."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fireline.cli import Format, FormatOption, app, echo, emit_json, fetch, guarded, load, remote
from fireline.errors import InvalidCommandError

if TYPE_CHECKING:
    from fireline.policy import TestResult

policy_app = typer.Typer(help="Inspect and test the policy bundle.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("show")
@guarded
def show(format_: FormatOption = Format.table) -> None:
    """Which bundle is in force, its digest (recorded on every event) and its modules."""
    server = remote()
    if server is not None:
        shown = fetch(server, "/api/v1/policy")
    else:
        from fireline.policy import PolicyEngine
        from fireline.reads.store import policy_bundle

        shown = policy_bundle(PolicyEngine.load(load().policy_dir))
    if format_ is Format.json:
        emit_json({key: shown[key] for key in ("bundle", "digest", "modules", "tests")})
        return
    echo(f"bundle  {shown['bundle']}", masked=False)
    echo(f"digest  {shown['digest']}", masked=False)
    for path, package in shown["module_packages"]:
        echo(f"module  {path} (package {package})", masked=False)
    for path, package in shown["test_packages"]:
        echo(f"tests   {path} (package {package})", masked=False)


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

    server = None if bundle else remote()
    if server is not None:
        answer = fetch(server, "/api/v1/policy/test")
    else:
        from fireline.policy import PolicyEngine

        engine = PolicyEngine.load(Path(bundle) if bundle else load().policy_dir)
        answer = test_model(engine.source, engine.run_tests())
    results = answer["results"]
    if not results:
        raise InvalidCommandError(f"policy bundle {answer['bundle']} has no tests (*_test.rego)")
    for result in results:
        mark = "ok  " if result["passed"] else "FAIL"
        detail = f" — {result['detail']}" if result["detail"] else ""
        echo(f"{mark} {result['name']}{detail}", masked=False)
    failed = sum(not r["passed"] for r in results)
    echo(f"{len(results) - failed} passed, {failed} failed", masked=False)
    if failed:
        raise typer.Exit(1)


def test_model(source: str, results: list[TestResult]) -> dict[str, Any]:
    """`policy test`'s results as data (the API's `GET /api/v1/policy/test` answers the same)."""
    return {"bundle": source, "results": [dataclasses.asdict(r) for r in results]}
