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
    guarded,
    load,
    plural,
    reading,
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
    from fireline.suggest import engine
    from fireline.suggest.store import full_text_matches, load_corpus

    if not text.strip():
        raise InvalidCommandError("search text is empty")
    with reading() as (conn, _settings):
        _info, corpus = load_corpus(conn)
        hits = engine.search(corpus, text, among=full_text_matches(conn, text), limit=limit)
    rows = [
        {
            "path": h.document.path,
            "id": h.document.id,
            "title": h.document.title,
            "score": round(h.confidence, 3),
        }
        for h in hits
    ]
    if format_ is Format.json:
        emit_json(rows)
        return
    if not rows:
        echo("no runbook matches", masked=False)
    for row in rows:
        echo(f"{row['score']:.3f}  {row['path']}  {row['title']}", masked=False)


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
    from fireline.suggest import engine
    from fireline.suggest.alert import parse_alerts
    from fireline.suggest.store import load_corpus

    alerts = parse_alerts(_read_json(alert), source=str(alert))
    with reading() as (conn, settings):
        _info, corpus = load_corpus(conn)
    found = engine.suggest(corpus, alerts, threshold=settings.suggest_threshold, limit=limit)
    shown = found if ranked else engine.fitting(found)
    if format_ is Format.json:
        emit_json([s.as_json() for s in shown])
        return
    if not engine.fitting(found):
        echo("no runbook fits this alert well enough (abstained)", masked=False)
    for n, item in enumerate(shown, 1):
        flag = "fits" if item.fits else "low confidence"
        echo(f"{n}. {item.path}  {item.title}  (score {item.score:.3f}, {flag})", masked=False)
        echo(f"   {item.reason}", masked=False)


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
