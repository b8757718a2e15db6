"""Client mode's write path: a command goes to the server's route for it, the events come back.

The route and the JSON shapes are `fireline.wire`'s (the same table the server's routes are
generated from), so the CLI and the API cannot disagree about a command. The events the server
answers with are what `service.execute` returned there: the CLI prints them exactly as it
prints a local write's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fireline.client.transport import Server, call, json_body
from fireline.errors import InvalidCommandError, StoreError

if TYPE_CHECKING:
    from fireline.commands import AddEvidence, Command
    from fireline.ledger.chain import Event


def send(server: Server, command: Command) -> list[Event]:
    """Run `command` on the server as the logged-in user; the events it recorded."""
    from fireline import wire

    request = wire.to_request(command)
    response = call(server, request.method, request.path, json=request.body)
    return events_of(server, json_body(response, server))


def upload(
    server: Server,
    command: AddEvidence,
    chunks: Iterable[bytes],
    *,
    name: str | None,
    unscanned: bool,
) -> list[Event]:
    """Stream an evidence file's bytes to the server's upload route, the command's fields as
    query parameters. The caller bounds `chunks` by the size limit; an exception it raises
    mid-way aborts the request before the body ends, so the server records nothing."""
    from fireline import wire

    fields = wire.to_request(command).body
    params: dict[str, str] = {
        key: value
        for key in wire.EVIDENCE_UPLOAD_PARAMS
        if isinstance(value := fields.get(key), str) and value
    }
    if name is not None:
        params["name"] = name
    if unscanned:
        params["unscanned"] = "true"
    path = wire.EVIDENCE_UPLOAD.format(incident_id=command.incident_id)
    response = call(
        server,
        "POST",
        path,
        params=params,
        content=chunks,
        headers={"Content-Type": "application/octet-stream"},
    )
    return events_of(server, json_body(response, server))


def events_of(server: Server, body: Any) -> list[Event]:
    """The events of a write answer `{"events": [...]}`; StoreError when it is not one."""
    from fireline import wire

    try:
        return wire.events_from_json(body)
    except InvalidCommandError as exc:
        raise StoreError(
            f"{server.url} answered a write that fireline cannot read ({exc})"
        ) from None
