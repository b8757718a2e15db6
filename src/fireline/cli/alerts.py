"""`fireline source add|list|remove`, `fireline alerts` and `fireline alert show GROUP`.

`source add` makes the source's secret where the command runs and prints it once with the
source's intake URL; the store keeps only its SHA-256 (or, for `--hmac`, the key in a table
that is never exported). Reads print the alert groups the intake recorded; in client mode they
ask the server's `/api/v1/alerts` routes.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    app,
    echo,
    emit_json,
    emit_model,
    fetch,
    guarded,
    load,
    reading,
    recorded,
    remote,
    show_lines,
    write,
)
from fireline.errors import InvalidCommandError

source_app = typer.Typer(help="Add, list and remove alert sources.", no_args_is_help=True)
app.add_typer(source_app, name="source")
alert_app = typer.Typer(help="Look at one alert group.", no_args_is_help=True)
app.add_typer(alert_app, name="alert")

KINDS = ("alertmanager", "pagerduty", "grafana", "generic")


def _local_only(what: str) -> None:
    if remote() is not None:
        raise InvalidCommandError(
            f"`fireline {what}` runs where the store is (it makes the source's secret there); "
            "run it with FIRELINE_URL set empty on the server's host"
        )


def intake_url(base: str, name: str, kind: str) -> str:
    path = f"/api/v1/intake/{name}"
    return (
        f"{base.rstrip('/')}{path}/v2/enqueue"
        if kind == "pagerduty"
        else f"{base.rstrip('/')}{path}"
    )


@source_app.command("add")
@guarded
def add(
    name: Annotated[str, typer.Argument(help="The source's name, e.g. prom-prod.")],
    kind: Annotated[
        str, typer.Option("--kind", help="alertmanager, pagerduty, grafana or generic.")
    ],
    hmac: Annotated[
        bool, typer.Option("--hmac", help="Generic only: senders sign bodies with HMAC-SHA256.")
    ] = False,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="The server's public base URL (default: serve_host:serve_port)."
        ),
    ] = None,
    as_: AsOption = None,
    format_: FormatOption = Format.table,
) -> None:
    """Register an alert source; prints its intake URL and its secret, this once."""
    from fireline.commands import AddSource
    from fireline.intake.sources import make_secret

    _local_only("source add")
    if kind not in KINDS:
        raise InvalidCommandError(f"unknown source kind {kind!r}; allowed: {', '.join(KINDS)}")
    secret, digest = make_secret()
    command = AddSource(
        name=name, kind=kind, secret_sha256=digest, hmac_key=secret if hmac else None
    )
    events = write(command, as_)
    settings = load()
    base = url or f"http://{settings.serve_host}:{settings.serve_port}"
    shown = {
        "name": name,
        "kind": kind,
        "auth": "hmac" if hmac else "bearer",
        "url": intake_url(base, name, kind),
        "secret": secret,
    }
    if format_ is Format.json:
        emit_json(shown, masked=False)
        return
    recorded(events)
    echo(f"source {name} ({kind}): send to {shown['url']}", masked=False)
    if hmac:
        echo(f"HMAC key (shown once): {secret}", masked=False)
        echo(
            "sign each body: X-Fireline-Signature: sha256=<hex HMAC-SHA256 of the body>",
            masked=False,
        )
    elif kind == "pagerduty":
        echo(f"routing key (shown once): {secret}", masked=False)
    else:
        echo(f"bearer secret (shown once): {secret}", masked=False)


@source_app.command("list")
@guarded
def list_(format_: FormatOption = Format.table) -> None:
    """The alert sources (never their secrets)."""
    rows: Any
    server = remote()
    if server is not None:
        rows = fetch(server, "/api/v1/sources")
    else:
        from fireline.reads.alerts import list_sources

        with reading() as (conn, _settings):
            rows = list_sources(conn)
    if format_ is Format.json:
        emit_model(rows)
        return
    if not rows:
        echo("no alert sources; add one with `fireline source add NAME --kind KIND`")
        return
    show_lines(
        f"{r['name']:<20} {r['kind']:<13} {r['auth']:<7} added {r['added_at']} by {r['added_by']}"
        for r in rows
    )


@source_app.command("remove")
@guarded
def remove(
    name: Annotated[str, typer.Argument(help="The source to remove.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "",
    as_: AsOption = None,
) -> None:
    """Stop accepting alerts from a source (its records stay)."""
    from fireline.commands import RemoveSource

    _local_only("source remove")
    recorded(write(RemoveSource(name=name, reason=reason), as_))


@app.command("alerts")
@guarded
def alerts(
    firing: Annotated[
        bool, typer.Option("--firing", help="Only groups with a firing alert.")
    ] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Only this source's groups.")
    ] = None,
    format_: FormatOption = Format.table,
) -> None:
    """Alert groups the intake recorded, firing first."""
    rows: Any
    server = remote()
    if server is not None:
        params: dict[str, Any] = {"firing": str(firing).lower()}
        if source is not None:
            params["source"] = source
        rows = fetch(server, "/api/v1/alerts", params)
    else:
        from fireline.reads.alerts import list_groups
        from fireline.reads.sight import DEFAULT_GRID, masked

        with reading() as (conn, _settings):
            rows = masked(list_groups(conn, firing=firing, source=source), DEFAULT_GRID)
    if format_ is Format.json:
        emit_model(rows)
        return
    if not rows:
        echo("no alert groups" + (" firing" if firing else ""))
        return
    show_lines(_group_line(r) for r in rows)


def _group_line(r: dict[str, Any]) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(r["labels"].items()))
    flap = " FLAPPING" if r["flapping"] else ""
    incident = f" → {r['incident_id']}" if r["incident_id"] else ""
    return (
        f"{r['id']}  {r['status']:<8} {r['firing']}/{r['total']} firing  {r['source']}  "
        f"{{{labels}}}{flap}{incident}  first {r['first_seen']} last {r['last_seen']}"
    )


@alert_app.command("show")
@guarded
def show(
    group: Annotated[str, typer.Argument(metavar="GROUP", help="The group's id (16 hex digits).")],
    format_: FormatOption = Format.table,
) -> None:
    """One alert group: its alerts, suggested runbooks, linked incident and latest records."""
    found: Any
    server = remote()
    if server is not None:
        from urllib.parse import quote

        found = fetch(server, f"/api/v1/alerts/{quote(group, safe='')}")
    else:
        from fireline.reads.alerts import get_group
        from fireline.reads.sight import DEFAULT_GRID, masked

        with reading() as (conn, _settings):
            found = masked(get_group(conn, group), DEFAULT_GRID)
    if format_ is Format.json:
        emit_model(found)
        return
    lines = [_group_line(found), f"key: {found['key']}"]
    if found["action"]:
        lines.append(f"routed: {found['action']}")
    for s in found["suggestions"]:
        lines.append(
            f"runbook: {s['id']} ({'fits' if s.get('fits') else 'low confidence'}, "
            f"{s.get('score')}) {s.get('title', '')}"
        )
    for a in found["alerts"]:
        name = a["labels"].get("alertname", "")
        summary = a["annotations"].get("summary", "")
        lines.append(
            f"  {a['status']:<8} {a['fingerprint']}  {name}  since {a['starts_at'] or '?'}"
            + (f"  — {summary}" if summary else "")
        )
    lines.append(f"{len(found['records'])} latest record(s):")
    lines.extend(
        f"  ALERTS event {r['seq']}: {r['fingerprint']} {r['status']} at {r['received_at']} "
        f"(body sha256 {r['body_sha256'][:12]})"
        for r in found["records"]
    )
    show_lines(lines)
