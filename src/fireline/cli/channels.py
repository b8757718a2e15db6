"""`fireline channel add|list|remove`, `fireline subscribe`, `fireline outbox`.

A channel's URL, SMTP password and signing key are secrets: `channel add` sends them to the
store's `channel_secrets` table (never to the chain, an export or any output); the one
exception is a generic webhook's signing key when fireline made it, printed once so the
receiver can verify signatures. `--url -` and `--smtp-password-stdin` read the secret from
standard input, so it never sits in the shell history or the process list.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fireline.cli import (
    AsOption,
    Format,
    FormatOption,
    app,
    echo,
    emit_json,
    guarded,
    read_model,
    recorded,
    write,
)
from fireline.errors import InvalidCommandError

channel_app = typer.Typer(
    help="Notification channels (Slack, Mattermost, Teams, webhooks, e-mail).", no_args_is_help=True
)
app.add_typer(channel_app, name="channel")

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The channel's name, e.g. ops-slack.")]


def _stdin_line(flag: str) -> str:
    line = sys.stdin.readline().strip()
    if not line:
        raise InvalidCommandError(f"{flag}: standard input holds nothing")
    return line


@channel_app.command("add")
@guarded
def add(
    name: NameArg,
    kind: Annotated[
        str, typer.Option("--kind", help="slack, mattermost, teams, webhook or email.")
    ],
    url: Annotated[
        str | None,
        typer.Option("--url", help="The incoming webhook URL (a secret); - reads it from stdin."),
    ] = None,
    to: Annotated[
        list[str] | None, typer.Option("--to", help="E-mail recipient (repeatable).")
    ] = None,
    sender: Annotated[str, typer.Option("--from", help="E-mail sender address.")] = "",
    smtp_host: Annotated[str, typer.Option("--smtp-host", help="SMTP server.")] = "",
    smtp_port: Annotated[
        int | None, typer.Option("--smtp-port", help="SMTP port (587 STARTTLS, 465 TLS).")
    ] = None,
    smtp_tls: Annotated[
        str, typer.Option("--smtp-tls", help="starttls, tls, or none (loopback only).")
    ] = "starttls",
    smtp_user: Annotated[str, typer.Option("--smtp-user", help="SMTP login.")] = "",
    smtp_password_stdin: Annotated[
        bool, typer.Option("--smtp-password-stdin", help="Read the SMTP password from stdin.")
    ] = False,
    signing_secret: Annotated[
        str,
        typer.Option("--signing-secret", help="Standard Webhooks key whsec_…; made if omitted."),
    ] = "",
    restricted: Annotated[
        bool, typer.Option("--restricted", help="May receive restricted incidents.")
    ] = False,
    drills: Annotated[bool, typer.Option("--drills", help="Receives drill incidents.")] = False,
    as_: AsOption = None,
) -> None:
    """Add a channel; its URL and credentials are kept secret, never shown again."""
    from fireline.commands import AddChannel
    from fireline.notify.channel_config import check_signing_secret

    if url == "-":
        url = _stdin_line("--url -")
    password = _stdin_line("--smtp-password-stdin") if smtp_password_stdin else ""
    made = kind == "webhook" and not signing_secret
    if kind == "webhook":
        signing_secret = check_signing_secret(signing_secret)
    command = AddChannel(
        name=name,
        kind=kind,
        url=url,
        to=tuple(to or ()),
        sender=sender,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_tls=smtp_tls,
        smtp_user=smtp_user,
        smtp_password=password,
        signing_secret=signing_secret,
        restricted=restricted,
        drills=drills,
    )
    recorded(write(command, as_))
    echo(
        "  its URL and credentials are kept in the store's channel_secrets table, never shown",
        masked=False,
    )
    if made:
        echo(
            f"signing secret (shown once; give it to the receiver): {signing_secret}", masked=False
        )


@channel_app.command("remove")
@guarded
def remove(name: NameArg, as_: AsOption = None) -> None:
    """Remove a channel, its subscriptions and its secret; queued rows for it go dead."""
    from fireline.commands import RemoveChannel

    recorded(write(RemoveChannel(name=name), as_))


@channel_app.command("list")
@guarded
def list_(as_: AsOption = None, format_: FormatOption = Format.table) -> None:
    """Channels and their subscriptions (never a URL's path or a credential)."""
    from fireline.reads.channels import list_channels

    found = read_model(as_, "/api/v1/channels", list_channels)
    if format_ is Format.json:
        emit_json(found)
        return
    if not found:
        echo("no channels")
    for channel in found:
        marks = [m for m in ("restricted", "drills") if channel[m]]
        echo(
            f"{channel['name']}  {channel['kind']}  {channel['where']}"
            + (f"  [{', '.join(marks)}]" if marks else "")
        )
        for sub in channel["subscriptions"]:
            scope = ", ".join(sub["severities"]) or "any severity"
            labels = f", labels {', '.join(sub['labels'])}" if sub["labels"] else ""
            echo(f"  subscribed: {', '.join(sub['events'])} ({scope}{labels})")


@app.command()
@guarded
def subscribe(
    channel: Annotated[str, typer.Argument(metavar="CHANNEL", help="The channel to send to.")],
    events: Annotated[
        list[str], typer.Option("--events", help="declared,severity,status,update,… (repeatable).")
    ],
    severity: Annotated[
        list[str] | None, typer.Option("--severity", help="Only these severities, e.g. SEV0,SEV1.")
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Only incidents with one of these labels.")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Send a channel the chosen events of matching incidents."""
    from fireline.commands import Subscribe

    command = Subscribe(
        channel=channel,
        events=tuple(events),
        severities=tuple(severity or ()),
        labels=tuple(label or ()),
    )
    recorded(write(command, as_))


@app.command("outbox")
@guarded
def outbox_(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only dead rows and rows being retried.")
    ] = False,
    as_: AsOption = None,
    format_: FormatOption = Format.table,
) -> None:
    """What is queued, retrying, delivered and dead."""
    from fireline.reads.channels import list_outbox

    rows = read_model(
        as_,
        "/api/v1/outbox",
        lambda ctx, viewer: list_outbox(ctx, viewer, failed=failed),
        {"failed": "true" if failed else "false"},
    )
    if format_ is Format.json:
        emit_json(rows)
        return
    if not rows:
        echo("the outbox is empty" if not failed else "no failed notifications")
    for r in rows:
        state = r["state"] if not (r["state"] == "queued" and r["attempts"]) else "retrying"
        echo(
            f"{r['id']}  {state:<9} {r['incident_id']} #{r['event_seq']} {r['event_kind']}"
            f" → {r['channel']}"
            f"  attempts {r['attempts']}"
            + (f"  status {r['status']}" if r["status"] is not None else "")
            + (f"  {r['last_error']}" if r["last_error"] else "")
        )
