"""`import fireline.cli` stays light, so `fireline --help` (and later `freeze check`) start fast."""

from __future__ import annotations

import subprocess
import sys

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
