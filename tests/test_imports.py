"""`import fireline.cli` stays light, so `fireline --help` (and later `freeze check`) start fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = (
    "sqlalchemy",
    "alembic",
    "pydantic",
    "cryptography",
    "rfc8785",
    "psycopg",
    "yaml",
    "markdown_it",
)


def test_importing_the_cli_loads_no_heavy_module() -> None:
    code = f"import sys, fireline.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


# Client mode talks HTTP: no database layer, no policy engine, no store engines at all.
CLIENT_FORBIDDEN = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "regopy",
    "cryptography",
    "fireline.db",
    "fireline.policy",
    "fireline.service",
    "fireline.governance",
    "fireline.queries",
    "fireline.projections",
    "fireline.ledger.store",
)

REPORT_AT_EXIT = """
import sys
from fireline.launcher import main
sys.argv = ["fireline", *sys.argv[1:]]
try:
    main()
finally:
    forbidden = {forbidden!r}
    sys.stderr.write("LOADED:" + ",".join(m for m in forbidden if m in sys.modules) + "\\n")
"""


def loaded_in_client_mode(*args: str, env: dict[str, str]) -> tuple[str, str]:
    """Run `fireline ARGS` in client mode against a port nobody listens on; the forbidden
    modules it had loaded when it exited, and its stderr."""
    import os
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = REPORT_AT_EXIT.format(forbidden=CLIENT_FORBIDDEN)
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "FIRELINE_URL": f"http://127.0.0.1:{port}"},
        check=False,
    )
    lines = result.stderr.splitlines()
    loaded = next(line for line in lines if line.startswith("LOADED:")).removeprefix("LOADED:")
    return loaded, result.stderr


def test_client_mode_loads_neither_sqlalchemy_nor_the_policy_engine(tmp_path: Path) -> None:
    env = {"FIRELINE_TOKEN": "t", "XDG_CONFIG_HOME": str(tmp_path)}
    for args in (
        ("log", "INC-20261123-001", "fact", "5xx rate 38%"),
        ("declare", "Checkout 5xx", "--sev", "SEV1"),
        ("role", "assign", "INC-20261123-001", "scribe", "bob"),
        ("show", "INC-20261123-001"),
        ("timeline", "INC-20261123-001"),
        ("token", "list"),
    ):
        loaded, stderr = loaded_in_client_mode(*args, env=env)
        assert "cannot reach the fireline server" in stderr, stderr  # it did go to the server
        assert loaded == "", f"{args}: {loaded}"
