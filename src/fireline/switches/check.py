"""`fireline switch check NAME`: 0 while the switch is normal, 1 while flipped, for scripts.

Answered by the console entry point before the CLI framework loads (like `freeze check`):
the configuration, then one query through the database driver (`freeze.connection`: sqlite3
or psycopg, no SQLAlchemy), no policy. It names no incident: who holds a switch is for
`fireline switch list`, which applies need-to-know. `deploy-freeze` is `freeze check` itself.

When the answer cannot be had (no store, an unreadable store, a server that does not answer
in client mode) the exit code is the error's (never 0 or 1) and the line says which state to
assume: the switch's `safe` state (read-only on, promotions paused, deploys frozen, the
version quarantined). That is the fail-closed reading every caller must apply.
"""

from __future__ import annotations

from fireline.errors import FirelineError
from fireline.switches.spec import SwitchSpec, lookup

_LATEST = (
    "SELECT state, normal, changed_at FROM incident_switches WHERE switch = {param} "
    "ORDER BY changed_at DESC, incident_id DESC LIMIT 1"
)


# The exit code of a failure that would otherwise read as "normal" or "flipped".
UNKNOWN_EXIT = 6


def exit_code(error: FirelineError) -> int:
    """A failure's exit code, never 0 or 1 (those mean normal and flipped)."""
    return UNKNOWN_EXIT if error.exit_code in (0, 1) else error.exit_code


def fail_closed(spec: SwitchSpec, error: FirelineError) -> FirelineError:
    """The error, its message ending with the state to assume (same class and exit code)."""
    error.message = f"{error.message}; treat {spec.name} as {spec.safe} (its safe state)"
    error.args = (error.message,)
    return error


def state_line(spec: SwitchSpec, state: str, since: str | None) -> tuple[int, str]:
    """The exit code and the line for a switch in `state`."""
    if spec.is_normal(state):
        return 0, f"{spec.name}: {state} (normal)"
    when = f" since {since}" if since else ""
    return 1, f"{spec.name}: {state} (flipped{when}; normal is {spec.default})"


def check_as_configured(name: str) -> tuple[int, list[str]]:
    """(exit code, lines) for the configured store; FirelineError when it cannot tell."""
    from fireline.config import load_settings

    settings = load_settings()
    spec = lookup(settings.switches, name)
    if spec.kind == "freeze":
        from fireline.freeze import check_as_configured as freeze_check
        from fireline.freeze import report

        try:
            code, lines = report(freeze_check())
        except FirelineError as exc:
            raise fail_closed(spec, exc) from None
        return code, lines
    try:
        code, line = read_state(settings.database_url, spec)
    except FirelineError as exc:
        raise fail_closed(spec, exc) from None
    return code, [line]


def read_state(database_url: str, spec: SwitchSpec) -> tuple[int, str]:
    from fireline.freeze import connection

    with connection(database_url) as run:
        rows = run(_LATEST, (spec.name,))
    if not rows:
        return state_line(spec, spec.default, None)
    state, _normal, since = rows[0]
    return state_line(spec, str(state), str(since))
