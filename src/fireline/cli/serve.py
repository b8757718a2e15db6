"""`fireline serve`: the HTTP API over this store (FastAPI under Uvicorn).

The store is opened and checked here first, so a missing or unmigrated store is one line and
exit code, not a traceback from a worker. Each worker process opens its own Context and runs
its own group-commit writer; the database locks keep their chains from forking. Ctrl-C or
SIGTERM stops taking requests, lets those in flight finish (their writes committed and
acknowledged), commits anything still queued, and exits.
"""

from __future__ import annotations

import signal
import socket
from types import FrameType
from typing import Annotated

import typer

from fireline.cli import app, echo, guarded, load, local_only, open_store
from fireline.errors import ConfigError

HostOption = Annotated[
    str | None, typer.Option("--host", help="Address to listen on (setting serve_host).")
]
PortOption = Annotated[
    int | None,
    typer.Option("--port", min=1, max=65_535, help="Port to listen on (setting serve_port)."),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, max=64, help="Server processes (setting serve_workers)."),
]


@app.command()
@guarded
def serve(host: HostOption = None, port: PortOption = None, workers: WorkersOption = None) -> None:
    """Serve the JSON API (/api/v1, docs at /docs) until Ctrl-C; the actor is who logged in."""
    import uvicorn

    from fireline.api.serving import uvicorn_options

    local_only("serve")
    settings = load()
    open_store().close()  # fail here, in one line, if the store cannot be served
    bind = settings.serve_host if host is None else host.strip()
    port = port or settings.serve_port
    if not bind:
        raise ConfigError("cannot listen on '': --host must name an address")
    _check_listen(bind, port)
    url = f"http://{bind if ':' not in bind else f'[{bind}]'}:{port}"
    echo(f"fireline serving {settings.home} on {url} (API docs: {url}/docs)", masked=False)
    echo(f"log in from another terminal: fireline login {url} --user NAME", masked=False)
    echo("stop with Ctrl-C (in-flight writes are finished first)", masked=False)
    # Uvicorn shuts down gracefully on the signal, then raises it again once done: with these
    # handlers that second delivery ends the command normally instead of killing it.
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(
            "fireline.api.app:from_environment",
            factory=True,
            host=bind,
            port=port,
            workers=workers or settings.serve_workers,
            **uvicorn_options(settings),  # JSON logs, no Server header, shutdown_timeout
        )
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    echo("fireline server stopped", masked=False)


def _check_listen(host: str, port: int) -> None:
    """Refuse, in one line, an address this machine cannot listen on (or one already taken),
    before Uvicorn would log its own multi-line failure."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except (OSError, UnicodeError, ValueError) as exc:
        raise ConfigError(f"cannot listen on {host!r} port {port}: {exc}") from None


class _Stopped(Exception):
    """The signal Uvicorn re-raises after its graceful shutdown."""


def _stopped(_signum: int, _frame: FrameType | None) -> None:
    raise _Stopped
