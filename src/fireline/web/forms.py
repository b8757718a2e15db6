"""Writes from pages: a command through the server's group-commit writer, and refusals shown
next to the control that caused them.

The pattern every POST route follows:

    try:
        forms.submit(request, principal, command)
    except FirelineError as exc:
        return forms.refused(request, "feature/form.html", exc, field="title",
                             title="Declare an incident", **same_context)
    return RedirectResponse(url, status_code=303)

`refused` re-renders the form with `errors={field: message}` (the policy's reasons, redacted
and masked like every error line) and the refusal's 4xx status. A hidden incident's refusal is
the plain not-found page, exactly like a missing incident's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import HTMLResponse

from fireline.api import metrics
from fireline.api.auth import Principal
from fireline.api.problems import clean_detail
from fireline.api.writing import serialised as _serialised
from fireline.commands import Command
from fireline.errors import FirelineError, NotFoundError, PolicyDeniedError
from fireline.ledger.chain import Event
from fireline.service import Identity
from fireline.service.writer import Writer

T = TypeVar("T")


def submit(request: Request, principal: Principal, command: Command) -> list[Event]:
    """Run `command` as the viewer through `app.state.writer` and wait until it is durable;
    its refusal (a FirelineError) is raised as it is. Call from a sync route (a worker
    thread), never from the event loop."""
    writer: Writer = request.app.state.writer
    try:
        events = writer.submit(command, Identity(principal.actor)).result()
    except PolicyDeniedError:
        metrics.count_denial()
        raise
    for event in events:
        metrics.count_write(event.kind)
    return events


def serialised(call: Callable[[], T]) -> T:
    """A write that is not a command (login, password change, token issue) on the shared
    write connection, one at a time with the writer's batches."""
    return _serialised(call)


def message_of(exc: FirelineError) -> str:
    """The refusal's line as a page shows it: redacted and masked."""
    return clean_detail(exc.message)


def refused(
    request: Request,
    template: str,
    exc: FirelineError,
    *,
    field: str,
    title: str,
    **context: Any,
) -> HTMLResponse:
    """The form again, the refusal beside `field`, with the refusal's status (a 4xx)."""
    from fireline.web.render import page

    if isinstance(exc, NotFoundError):
        raise exc  # the not-found page: a hidden incident answers like a missing one
    status = exc.http_status if 400 <= exc.http_status < 500 else 422
    return page(
        request,
        template,
        title=title,
        status_code=status,
        errors={field: message_of(exc)},
        **context,
    )
