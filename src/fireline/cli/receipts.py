"""`fireline evidence manifest-check`, `fireline receipt INC rebuild`, `fireline step INC`:
the data-integrity receipts (seed 002: no mystery fixes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fireline.cli import AsOption, IncidentArg, app, echo, guarded, recorded, write
from fireline.cli.evidence import evidence_app
from fireline.domain import parse_incident_id

MANIFEST_LIMIT = 64 * 1024 * 1024


@evidence_app.command("manifest-check")
@guarded
def manifest_check(
    incident_id: IncidentArg,
    manifest: Annotated[Path, typer.Option("--manifest", help="sha256sum output, or JSON.")],
    root: Annotated[Path, typer.Option("--root", help="The folder its paths are under.")],
    as_: AsOption = None,
) -> None:
    """Hash the artifacts a manifest lists and record matches and mismatches, with the
    manifest's own digest. Exits 1 (after recording) when anything mismatched or is missing."""
    from fireline.commands import CheckManifest
    from fireline.errors import InvalidCommandError
    from fireline.receipts import manifest as parsing
    from fireline.receipts.hashing import hash_under

    try:
        with manifest.open("rb") as handle:
            data = handle.read(MANIFEST_LIMIT + 1)
    except OSError as exc:
        raise InvalidCommandError(f"cannot read --manifest {manifest}: {exc.strerror}") from None
    if len(data) > MANIFEST_LIMIT:
        raise InvalidCommandError(f"--manifest {manifest} is larger than 64 MiB")
    _fmt, expected = parsing.parse(data, name=manifest.name)
    found, missing = hash_under(root, sorted(expected))
    observed = tuple(f"{digest}  {path}" for path, digest in sorted(found.items()))
    observed = tuple(_escaped(line) for line in observed)
    events = write(
        CheckManifest(
            incident_id=parse_incident_id(incident_id),
            manifest_name=manifest.name,
            manifest=data,
            observed=observed,
            missing=tuple(missing),
            root=str(root),
        ),
        as_,
    )
    recorded(events)
    payload = events[-1].payload or {}
    echo(
        f"{len(payload.get('matched', []))} matched, {len(payload.get('mismatched', []))} "
        f"mismatched, {len(payload.get('missing', []))} missing"
    )
    for bad in payload.get("mismatched", []):
        echo(f"MISMATCH {bad['path']}: expected {bad['expected']}, got {bad['actual']}")
    for path in payload.get("missing", []):
        echo(f"MISSING {path}")
    if payload.get("mismatched") or payload.get("missing"):
        raise typer.Exit(1)


def _escaped(line: str) -> str:
    """A sha256sum line for a path with a newline or backslash, escaped as sha256sum does."""
    digest, _, path = line.partition("  ")
    if "\\" not in path and "\n" not in path and "\r" not in path:
        return line
    escaped = path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return f"\\{digest}  {escaped}"


@app.command()
@guarded
def receipt(
    incident_id: IncidentArg,
    kind: Annotated[str, typer.Argument(help="The receipt's kind: rebuild.")],
    input_: Annotated[
        list[str], typer.Option("--input", help="An input NAME@sha256:HEX (repeatable).")
    ] = [],  # noqa: B006
    output: Annotated[
        list[str], typer.Option("--output", help="An output NAME@sha256:HEX (repeatable).")
    ] = [],  # noqa: B006
    check: Annotated[
        list[str], typer.Option("--check", help="A validation result KEY=VALUE (repeatable).")
    ] = [],  # noqa: B006
    ref: Annotated[
        list[str], typer.Option("--ref", help="The run's reference KIND:ID (repeatable).")
    ] = [],  # noqa: B006
    as_: AsOption = None,
) -> None:
    """Record a rebuild receipt: inputs and outputs by digest, checks, the run's refs."""
    from fireline.commands import RecordReceipt

    command = RecordReceipt(
        incident_id=parse_incident_id(incident_id),
        kind=kind,
        inputs=tuple(input_),
        outputs=tuple(output),
        checks=tuple(check),
        refs=tuple(ref),
    )
    recorded(write(command, as_))


@app.command()
@guarded
def step(
    incident_id: IncidentArg,
    title: Annotated[str, typer.Argument(help="What the step did, in a few words.")],
    command: Annotated[str | None, typer.Option("--command", help="The command run.")] = None,
    pr: Annotated[str | None, typer.Option("--pr", help="The PR merged (URL).")] = None,
    pre: Annotated[list[str], typer.Option("--pre", help="A check before (repeatable).")] = [],  # noqa: B006
    post: Annotated[list[str], typer.Option("--post", help="A check after (repeatable).")] = [],  # noqa: B006
    diff: Annotated[
        Path | None, typer.Option("--diff", help="The config diff applied (a text file).")
    ] = None,
    rollback: Annotated[str, typer.Option("--rollback", help="How to undo it.")] = "",
    as_: AsOption = None,
) -> None:
    """Record a state-changing runbook step: who, the command or PR, pre/post checks."""
    from fireline.commands import RecordStep
    from fireline.errors import InvalidCommandError
    from fireline.receipts import DIFF_LIMIT

    text = None
    if diff is not None:
        try:
            raw = diff.read_bytes()[: DIFF_LIMIT + 1]
            text = raw.decode("utf-8")
        except OSError as exc:
            raise InvalidCommandError(f"cannot read --diff {diff}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InvalidCommandError(f"--diff {diff} is not UTF-8 text") from None
    recorded(
        write(
            RecordStep(
                incident_id=parse_incident_id(incident_id),
                title=title,
                command=command,
                pr=pr,
                pre=tuple(pre),
                post=tuple(post),
                diff=text,
                diff_name=None if diff is None else diff.name,
                rollback=rollback,
            ),
            as_,
        )
    )
