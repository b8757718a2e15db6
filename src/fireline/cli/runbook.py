"""`fireline runbook …`: the runbook library commands (lint, new; index, search, suggest, attach).

Every command here imports its engine inside the function, so `import fireline.cli` stays
light; `lint` and `new` work on files only and never open the store.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fireline.cli import app, echo, emit_json, guarded, guarded_exiting, load

runbook_app = typer.Typer(
    help="Runbook library: lint, scaffold, index, search and suggest runbooks.",
    no_args_is_help=True,
)
app.add_typer(runbook_app, name="runbook")


class LintFormat(StrEnum):
    human = "human"
    json = "json"
    github = "github"


@runbook_app.command("lint")
@guarded_exiting(2)
def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH", help="Runbook files or folders (searched recursively; default .)."
        ),
    ] = None,
    format_: Annotated[LintFormat, typer.Option("--format", help="Output format.")] = (
        LintFormat.human
    ),
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings (imported runbooks) fail the run too.")
    ] = False,
) -> None:
    """Check runbooks against the schema. Exit 0 clean, 1 findings, 2 unusable input."""
    from datetime import UTC, datetime

    from fireline.runbooks import report
    from fireline.runbooks.lint import lint_paths, options_from_settings

    today = datetime.now(UTC).date()
    options = options_from_settings(load(), today=today, strict=strict)
    result = lint_paths(paths or [Path(".")], options)
    if format_ is LintFormat.json:
        emit_json(report.as_data(result), masked=False)
    else:
        lines = report.github(result) if format_ is LintFormat.github else report.human(result)
        for line in lines:
            echo(line, masked=False)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@runbook_app.command("new")
@guarded
def new(
    domain: Annotated[str, typer.Option(help="Area the runbook belongs to, e.g. api.")],
    slug: Annotated[str, typer.Option(help="Hyphenated name, e.g. 5xx-spike.")],
    dir_: Annotated[Path, typer.Option("--dir", help="Folder to write it in.")] = Path("."),
    owner: Annotated[str | None, typer.Option(help="Owning team or person.")] = None,
    title: Annotated[str | None, typer.Option(help="Title (default: a placeholder).")] = None,
) -> None:
    """Scaffold RBK-<domain>-<slug>.md: every field and section, with <<FILL: …>> marks."""
    from datetime import UTC, datetime

    from fireline.errors import InvalidCommandError, RunbookError
    from fireline.runbooks.scaffold import scaffold
    from fireline.runbooks.schema import schema_from_settings

    name, text = scaffold(
        domain,
        slug,
        today=datetime.now(UTC).date(),
        owner=owner,
        title=title,
        schema=schema_from_settings(load()),
    )
    path = dir_ / name
    try:
        dir_.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise InvalidCommandError(f"{path} already exists; not overwriting it") from None
    except OSError as exc:
        raise RunbookError(f"cannot write {path}: {exc.strerror or exc}") from None
    count = text.count("<<FILL")
    echo(
        f"created {path} ({count} placeholders to fill, then run: fireline runbook lint {path})",
        masked=False,
    )
