"""`fireline worker`: deliver the outbox (and run the periodic jobs) until Ctrl-C.

`fireline serve` runs the same loop in-process unless the `notify_worker` setting is false;
run as many `fireline worker` processes beside it as you like: leases keep them apart.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from fireline.cli import app, echo, guarded, local_only, open_store


@app.command()
@guarded
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit.")
    ] = False,
) -> None:
    """Deliver queued notifications with retries; every result goes on the incident's record."""
    from fireline.notify.worker import Worker

    local_only("worker")
    ctx = open_store()
    runner = Worker(ctx)
    stop = threading.Event()
    try:
        if once:
            total = 0
            while (done := runner.tick()) > 0:
                total += done
            echo(f"{total} notification attempts", masked=False)
            return
        echo(f"fireline worker {runner.owner} delivering; stop with Ctrl-C", masked=False)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        runner.run(stop)
        echo("fireline worker stopped", masked=False)
    finally:
        runner.close()
        ctx.close()
