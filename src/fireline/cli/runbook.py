"""`fireline runbook …`: the runbook library commands (lint, new; index, search, suggest, attach).

Every command here imports its engine inside the function, so `import fireline.cli` stays
light; `lint` and `new` work on files only and never open the store.
"""

from __future__ import annotations

import typer

from fireline.cli import app

runbook_app = typer.Typer(
    help="Runbook library: lint, scaffold, index, search and suggest runbooks.",
    no_args_is_help=True,
)
app.add_typer(runbook_app, name="runbook")
