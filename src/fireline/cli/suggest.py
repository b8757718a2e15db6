"""`fireline runbook index|search|suggest`: the runbook index in the store, and its two readers.

The index is a cache of a folder of runbook files, replaced whole by `runbook index`; it is not
part of the ledger, so writing it needs no policy decision and leaves no event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fireline.cli import (
    Format,
    FormatOption,
    count_option,
    echo,
    emit_json,
    emit_model,
    fetch,
    guarded,
    load,
    plural,
    reading,
    remote,
    show_lines,
)
from fireline.cli.runbook import runbook_app
from fireline.errors import InvalidCommandError

LimitOption = Annotated[int, count_option("--limit", "At most this many runbooks.")]


@runbook_app.command("index")
@guarded
def index(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="Folder of runbook files.")],
    format_: FormatOption = Format.table,
) -> None:
    """Index every runbook under DIR for search and suggest (replaces the previous index)."""
    from datetime import UTC, datetime

    from fireline.db import check_schema, make_engine, store_errors
    from fireline.suggest.documents import read_entries
    from fireline.suggest.store import replace_index

    settings = load()
    entries = read_entries(folder, folder_pages=settings.runbook_index_pages)
    engine = make_engine(settings.database_url)
    try:
        check_schema(engine)
        with store_errors(), engine.begin() as conn:
            info = replace_index(
                conn, folder=str(folder.resolve()), entries=entries, now=datetime.now(UTC)
            )
    finally:
        engine.dispose()
    if format_ is Format.json:
        emit_json({"folder": info.folder, "runbooks": info.count, "indexed_at": info.indexed_at})
        return
    echo(f"indexed {plural(info.count, 'runbook')} from {info.folder}", masked=False)


@runbook_app.command("search")
@guarded
def search(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="Words to look for.")],
    limit: LimitOption = 10,
    format_: FormatOption = Format.table,
) -> None:
    """Full-text search of the indexed runbooks, best match first."""
    if not text.strip():
        raise InvalidCommandError("search text is empty")
    server = remote()
    if server is not None:
        rows = fetch(server, "/api/v1/runbooks/search", {"q": text, "limit": limit})
    else:
        from fireline.reads import store

        with reading() as (conn, _settings):
            rows = store.runbook_search(conn, text, limit=limit)
    if format_ is Format.json:
        emit_model(rows)
        return
    lines = [f"{row['score']:.3f}  {row['path']}  {row['title']}" for row in rows]
    show_lines(lines or ["no runbook matches"])


@runbook_app.command("suggest")
@guarded
def suggest(
    alert: Annotated[
        Path,
        typer.Option(
            "--alert",
            metavar="FILE",
            help="Alertmanager alert or webhook JSON, or {labels, annotations}.",
        ),
    ],
    limit: LimitOption = 5,
    ranked: Annotated[
        bool,
        typer.Option(
            "--all",
            help="The whole ranked list, low-confidence runbooks too (each flagged).",
        ),
    ] = False,
    format_: FormatOption = Format.table,
) -> None:
    """Runbooks for an alert, each with its reason; none when nothing fits well enough."""
    from fireline.suggest.alert import parse_alerts

    data = _read_json(alert)
    alerts = parse_alerts(data, source=str(alert))
    server = remote()
    if server is not None:
        from fireline.client.transport import call

        found = call(
            server, "POST", "/api/v1/runbooks/suggest", json=data, params={"limit": limit}
        ).json()
    else:
        from fireline.reads import store

        with reading() as (conn, settings):
            found = store.runbook_suggest(conn, settings, list(alerts), limit=limit)
    fitting = [item for item in found if item["fits"]]
    shown = found if ranked else fitting
    if format_ is Format.json:
        emit_model(shown)
        return
    lines = [] if fitting else ["no runbook fits this alert well enough (abstained)"]
    for n, item in enumerate(shown, 1):
        flag = "fits" if item["fits"] else "low confidence"
        lines.append(f"{n}. {item['path']}  {item['title']}  (score {item['score']:.3f}, {flag})")
        lines.append(f"   {item['reason']}")
    show_lines(lines)


def _read_json(path: Path) -> object:
    from fireline import untrusted_json

    try:
        with path.open("rb") as handle:
            raw = handle.read(untrusted_json.MAX_CHARS * 4 + 1)  # UTF-8: at most 4 bytes a char
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InvalidCommandError(f"alert file {path} does not exist") from None
    except IsADirectoryError:
        raise InvalidCommandError(f"alert file {path} is a folder, not a file") from None
    except OSError as exc:
        raise InvalidCommandError(f"cannot read alert file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InvalidCommandError(
            f"cannot read alert file {path}: not UTF-8 text (byte {exc.start})"
        ) from None
    return untrusted_json.loads(text, source=f"alert file {path}")
