"""Read commands: `list`, `show`, `timeline`. Times print in UTC and in a local zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    IncidentArg,
    app,
    emit_model,
    fetch,
    guarded,
    load,
    plural,
    remote,
    show_lines,
    viewing,
)
from fireline.domain import iso_utc, parse_incident_id, parse_status
from fireline.errors import InvalidCommandError
from fireline.reads.params import since_moment

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from fireline.client.transport import Server

TzOption = Annotated[
    str | None, typer.Option("--tz", help="Local zone shown beside UTC (default: config timezone).")
]


def zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # here: zoneinfo costs start-up time

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidCommandError(
            f"unknown time zone {name!r}; use an IANA name like America/Chicago"
        ) from None


def _parse(iso: str) -> datetime:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def utc_text(iso: str | None) -> str:
    return "—" if iso is None else _parse(iso).strftime("%Y-%m-%d %H:%M:%SZ")


def local_text(iso: str | None, tz: ZoneInfo) -> str:
    return "—" if iso is None else _parse(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


@app.command("list")
@guarded
def list_(
    status: Annotated[list[str], typer.Option(help="Only these statuses (repeatable).")] = [],  # noqa: B006
    open_: Annotated[bool, typer.Option("--open", help="Only incidents not closed.")] = False,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """List incidents, worst severity first."""
    from fireline.domain import Status

    wanted = {parse_status(s) for s in status} or set(Status)
    if open_:
        wanted.discard(Status.CLOSED)
    statuses = tuple(s.value for s in wanted)
    server = remote(as_)
    if server is not None:
        rows = fetch(server, "/api/v1/incidents", {"status": sorted(statuses)})
    else:
        from fireline.reads import incidents

        with viewing(as_) as (ctx, identity):
            rows = incidents.list_incidents(ctx, identity, statuses=statuses)
    if format_ is Format.json:
        emit_model(rows)
        return
    show_lines(render_list(rows))


def render_list(rows: list[dict[str, Any]], now: datetime | None = None) -> list[str]:
    if not rows:
        return ["no incidents"]
    moment = datetime.now(UTC) if now is None else now
    return [
        f"{row['id']}  {row['severity']:<5} {row['status']:<13} ic={row['ic'] or '—':<10} "
        f"{utc_text(row['declared_at'])}  {_next_update(row['next_update_due'], moment):<22} "
        f"{'DRILL ' if row.get('drill') else ''}{row['title']}"
        for row in rows
    ]


def countdown(seconds: int) -> str:
    """A deadline's countdown in words, so it reads without colour: `in 29 min`,
    `in 23 h 05 min`, `in 2 d 23 h`, `OVERDUE by 4 min`."""
    minutes = abs(seconds) // 60 if seconds >= 0 else (-seconds + 59) // 60
    if minutes < 60:
        text = f"{minutes} min"
    elif minutes < 24 * 60:
        text = f"{minutes // 60} h {minutes % 60:02d} min"
    else:
        text = f"{minutes // 1440} d {minutes % 1440 // 60:02d} h"
    return f"in {text}" if seconds >= 0 else f"OVERDUE by {text}"


def _next_update(due: str | None, now: datetime) -> str:
    if due is None:
        return "update: —"
    return f"update {countdown(int((_parse(due) - now).total_seconds()))}"


@app.command()
@guarded
def show(
    incident_id: IncidentArg,
    tz: TzOption = None,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """Show one incident: severity, status, roles, updates, action items, governance."""
    local = None if tz is None else zone(tz)  # refuse a bad zone before anything is read
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        detail = fetch(server, f"/api/v1/incidents/{wanted}")
    else:
        from fireline.reads import incidents

        with viewing(as_) as (ctx, identity):
            detail = incidents.get_incident(ctx, identity, wanted)
    if format_ is Format.json:
        emit_model(detail)
        return
    now = datetime.now(UTC)
    lines = render_detail(detail, local or zone(load().timezone), now)
    for g in detail["active_breakglass"]:
        lines.append(
            f"Breakglass #{g['seq']}: {g['grantee']} — {g['scope']}, "
            f"until {utc_text(g['expires_at'])}"
        )
    show_lines(lines + render_checklists(detail["checklists"]))


def render_checklists(checklists: list[dict[str, Any]]) -> list[str]:
    """Progress per checklist and per section, e.g. `Triage Checklist 2/5`."""
    if not checklists:
        return []
    done, total = sum(c["done"] for c in checklists), sum(c["total"] for c in checklists)
    lines = [f"Checklists: {done}/{total} items checked (`fireline checklist` lists them)"]
    for c in checklists:
        origin = "built-in" if c["builtin"] else c["path"]
        lines.append(f"  {c['name']}  {c['title']}  {c['done']}/{c['total']}  ({origin})")
        for s in c["sections"]:
            lines.append(f"    {s['section'] or '(no section)'} {s['done']}/{s['total']}")
    return lines


def render_detail(d: dict[str, Any], tz: ZoneInfo, now: datetime) -> list[str]:
    lines = [
        f"{d['id']}  {d['severity']} ({d['ladder']})  {d['status']}"
        + ("  DRILL (an exercise)" if d.get("drill") else ""),
        d["title"],
        f"Impact: {d['impact'] or '—'}",
        f"Declared {utc_text(d['declared_at'])} ({local_text(d['declared_at'], tz)}) "
        f"by {d['declared_by']}",
    ]
    if d["detected_at"]:
        lines.append(f"Detected {utc_text(d['detected_at'])}")
    for label, stamp in (
        ("Mitigated", d["mitigated_at"]),
        ("Resolved", d["resolved_at"]),
        ("Closed", d["closed_at"]),
    ):
        if stamp:
            lines.append(f"{label} {utc_text(stamp)}")
    datasets = [
        f"{x['dataset_id']}:{x['version_id']}" if x["version_id"] else x["dataset_id"]
        for x in d["datasets"]
    ]
    lines.append(
        f"Systems: {', '.join(d['systems']) or '—'}   Datasets: {', '.join(datasets) or '—'}   "
        f"Labels: {', '.join(d['labels']) or '—'}   Flags: {', '.join(d['flags']) or '—'}"
    )
    lines.append("Roles:")
    for t in d["roles"]:
        until = f"until {utc_text(t['released_at'])}" if t["released_at"] else "(current)"
        lines.append(
            f"  {t['role']:<19} {t['holder']:<12} from {utc_text(t['assigned_at'])} {until}"
        )
    if d["missing_roles"]:
        lines.append(f"  missing for {d['severity']}: {', '.join(d['missing_roles'])}")
    if d["next_update_due"]:
        when = countdown(int((_parse(d["next_update_due"]) - now).total_seconds()))
        lines.append(f"Next update due {utc_text(d['next_update_due'])} ({when})")
    lines.extend(_obligations_line(d.get("obligations", []), now))
    if d["latest_update"]:
        u = d["latest_update"]
        lines.append(
            f"Latest update #{u['number']} ({u['status']}) at {utc_text(u['ts'])} by {u['actor']}"
        )
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(d["entry_counts"].items()))
    lines.append(f"Entries: {counts or 'none'}")
    items = d["action_items"]
    open_items = sum(1 for item in items if item["status"] == "open")
    lines.append(f"Action items: {open_items} open / {len(items)} total")
    lines.extend(render_action_item(item, indent="  ") for item in items)
    if d["freezes_deploys"]:
        lines.append("Deploy freeze: ACTIVE (lift with `fireline freeze lift`)")
    if d["postmortem_done_at"]:
        lines.append(f"Postmortem: done {utc_text(d['postmortem_done_at'])}")
    elif d["postmortem_due"]:
        lines.append(f"Postmortem: due {d['postmortem_due']}")
    if d["governance_reviewed_by"]:
        lines.append(f"Governance review: signed off by {d['governance_reviewed_by']}")
    lines.append(f"Events: {d['event_count']} (check with `fireline verify`)")
    return lines


def _obligations_line(rows: list[dict[str, Any]], now: datetime) -> list[str]:
    """`Obligations: customer-notice OPEN (in 12 min), response MET` (`fireline obligations`)."""
    if not rows:
        return []
    parts = []
    for row in rows:
        status = row["status"].upper()
        if row["status"] == "open":
            status += f" ({countdown(int((_parse(row['due_at']) - now).total_seconds()))})"
        parts.append(f"{row['name']} {status}")
    return [f"Obligations: {', '.join(parts)} (`fireline obligations` for details)"]


def render_action_item(item: dict[str, Any], *, indent: str = "") -> str:
    verification = item.get("verification")
    tracker = item.get("tracker")
    return (
        f"{indent}#{item['number']} [{item['status']}] {item['priority']} {item['title']} "
        f"— owner {item['owner']}, due {item['due'] or 'unset'}"
        + (f", verify: {verification}" if verification else ", verification missing")
        + (f", {tracker}" if tracker else "")
    )


@app.command()
@guarded
def timeline(
    incident_id: IncidentArg,
    tz: TzOption = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Also the access reads (folded out by default).")
    ] = False,
    kind: Annotated[
        list[str],
        typer.Option(help="Only events of this kind, e.g. status.changed or fact (repeatable)."),
    ] = [],  # noqa: B006
    since: Annotated[
        str | None,
        typer.Option(help="Only events since then: ISO 8601 (2026-11-23T14:00Z) or ago (30m, 2h)."),
    ] = None,
    limit: Annotated[str | None, typer.Option(help="Only the last N events shown.")] = None,
    format_: FormatOption = Format.table,
    as_: AsOption = None,
) -> None:
    """The incident's timeline: its events, UTC and local time, corrections marked."""
    from fireline.events import parse_kind

    # Refuse bad options before anything is read (a read of a restricted incident is recorded).
    local = None if tz is None else zone(tz)
    kinds = frozenset(parse_kind(k) for k in kind)
    start = None if since is None else iso_utc(since_moment(since, datetime.now(UTC)))
    last = None if limit is None else _count("--limit", limit)
    wanted = parse_incident_id(incident_id)
    server = remote(as_)
    if server is not None:
        view = _fetch_timeline(server, wanted, kinds, start, last, all_)
    else:
        from fireline.reads import incidents

        with viewing(as_) as (ctx, identity):
            view = incidents.timeline(
                ctx, identity, wanted, kinds=kinds, since=start, last=last, unfold=all_
            )
    local = local or zone(load().timezone)
    entries = view["entries"]
    if format_ is Format.json:
        emit_model([{**e, "local": local_text(e["ts"], local)} for e in entries])
        return
    lines = [render_entry(entry, local) for entry in entries]
    if not entries and (kinds or since or limit):
        lines.insert(0, "no events match")
    if view["folded"]:
        lines.append(f"({plural(view['folded'], 'access read')} folded; --all to show)")
    show_lines(lines)


def _fetch_timeline(
    server: Server,
    incident_id: str,
    kinds: frozenset[str],
    since: str | None,
    last: int | None,
    unfold: bool,
) -> dict[str, Any]:
    """Every page of the narrowed timeline from the server, as one model."""
    params: dict[str, Any] = {"kind": sorted(kinds), "all": unfold}
    if since is not None:
        params["since"] = since
    if last is not None:
        params["last"] = last
    entries: list[Any] = []
    after = 0
    while True:
        page = fetch(
            server,
            f"/api/v1/incidents/{incident_id}/timeline",
            {**params, "after_seq": after, "limit": 1000},
        )
        entries.extend(page["entries"])
        if page["next_after_seq"] is None:
            return {**page, "entries": entries}
        after = page["next_after_seq"]


def _count(field: str, text: str) -> int:
    raw = text.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and int(raw) >= 1):
        raise InvalidCommandError(f"malformed {field} {text!r}; expected a whole number from 1")
    return int(raw)


def _listed(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}×{count}" for key, count in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def render_entry(e: dict[str, Any], tz: ZoneInfo) -> str:
    kind = e["kind"].split(".", 1)[-1] if e["kind"].startswith("entry.") else e["kind"]
    text = e["summary"] if e["summary"] is not None else "[erased]"
    notes = []
    if e["at"]:
        notes.append(f"at {utc_text(e['at'])}")
    if e["detail"]:
        notes.extend(
            f"{key} {_listed(value)}" for key, value in e["detail"].items() if key != "reason"
        )
    if e["corrects_seq"] is not None:
        notes.append(f"corrects #{e['corrects_seq']}")
    if e["corrected_by_seq"] is not None:
        notes.append(f"corrected by #{e['corrected_by_seq']}")
    if e["erased_by_seq"] is not None:
        notes.append(f"erased by #{e['erased_by_seq']}")
    suffix = f"  [{'; '.join(notes)}]" if notes else ""
    return (
        f"{e['seq']:>4}  {utc_text(e['ts'])}  {local_text(e['ts'], tz):<27} {e['actor']:<12} "
        f"{kind:<22} {text}{suffix}"
    )
