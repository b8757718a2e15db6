"""`/channels`: notification channels, their subscriptions and the outbox, for admins.

Listing needs the policy's `channel.list` (admins, or anyone while the registry is empty);
adding, subscribing and removing go through the writer as `AddChannel`, `Subscribe` and
`RemoveChannel`, refused beside the control that caused it. A channel's URL and credentials
are write-only here as everywhere: the page shows the host it posts to, never the URL; a
generic webhook's signing key is shown once, when fireline makes it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from fireline.api.auth import Principal
from fireline.commands import AddChannel, RemoveChannel, Subscribe
from fireline.errors import FirelineError, InvalidCommandError
from fireline.service import Identity
from fireline.web import forms
from fireline.web.render import page
from fireline.web.session import CsrfChecked, Viewer

router = APIRouter(include_in_schema=False)
TITLE = "Notification channels"
KINDS = ("slack", "mattermost", "teams", "webhook", "email")


def _context(request: Request, principal: Principal) -> dict[str, Any]:
    from fireline.notify.routing import EVENT_NAMES
    from fireline.reads.channels import list_channels, list_outbox

    ctx = request.app.state.context
    identity = Identity(principal.actor)
    return {
        "channels": list_channels(ctx, identity),
        "outbox": list_outbox(ctx, identity, limit=50),
        "kinds": KINDS,
        "event_names": list(EVENT_NAMES),
        "form": {},
    }


@router.get("/channels")
def channels_page(request: Request, principal: Viewer) -> Response:
    context = _context(request, principal)
    return page(request, "channels/list.html", title=TITLE, errors={}, **context)


def _port(text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise InvalidCommandError(f"SMTP port {text!r} is not a number")
    return int(text)


@router.post("/channels")
def add_channel(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    to: Annotated[str, Form()] = "",
    sender: Annotated[str, Form()] = "",
    smtp_host: Annotated[str, Form()] = "",
    smtp_port: Annotated[str, Form()] = "",
    smtp_tls: Annotated[str, Form()] = "starttls",
    restricted: Annotated[bool, Form()] = False,
    drills: Annotated[bool, Form()] = False,
) -> Response:
    from fireline.notify.channel_config import check_signing_secret

    signing = check_signing_secret("") if kind == "webhook" else ""
    kept = {"name": name, "kind": kind, "to": to, "sender": sender, "smtp_host": smtp_host}
    try:
        command = AddChannel(
            name=name,
            kind=kind,
            url=url or None,
            to=tuple(t.strip() for t in to.split(",") if t.strip()),
            sender=sender,
            smtp_host=smtp_host,
            smtp_port=_port(smtp_port),
            smtp_tls=smtp_tls,
            signing_secret=signing,
            restricted=restricted,
            drills=drills,
        )
        forms.submit(request, principal, command)
    except FirelineError as exc:
        context = {**_context(request, principal), "form": kept}
        return forms.refused(
            request, "channels/list.html", exc, field="channel", title=TITLE, **context
        )
    if signing:
        context = {**_context(request, principal), "signing": {"name": name, "secret": signing}}
        return page(request, "channels/list.html", title=TITLE, errors={}, **context)
    return RedirectResponse("/channels", status_code=303)


@router.post("/channels/subscriptions")
def subscribe(
    request: Request,
    principal: Viewer,
    _csrf: CsrfChecked,
    channel: Annotated[str, Form()] = "",
    events: Annotated[list[str] | None, Form()] = None,
    severities: Annotated[str, Form()] = "",
    labels: Annotated[str, Form()] = "",
) -> Response:
    command = Subscribe(
        channel=channel,
        events=tuple(events or ()),
        severities=tuple(s for s in severities.split(",") if s.strip()),
        labels=tuple(label for label in labels.split(",") if label.strip()),
    )
    try:
        forms.submit(request, principal, command)
    except FirelineError as exc:
        context = _context(request, principal)
        return forms.refused(
            request, "channels/list.html", exc, field="subscribe", title=TITLE, **context
        )
    return RedirectResponse("/channels", status_code=303)


@router.post("/channels/{name}/remove")
def remove_channel(request: Request, principal: Viewer, _csrf: CsrfChecked, name: str) -> Response:
    try:
        forms.submit(request, principal, RemoveChannel(name=name))
    except FirelineError as exc:
        context = _context(request, principal)
        return forms.refused(
            request, "channels/list.html", exc, field="remove", title=TITLE, **context
        )
    return RedirectResponse("/channels", status_code=303)
