"""What a credential costs per request, beside the raw limits measured in the same run.

Token authentication (`accounts.tokens.holder`: shape check, SHA-256, one indexed lookup on a
read snapshot, constant-time compare; last use touched at most once a minute, so not here)
against a bare `SELECT 1` on a read snapshot of the same SQLite store — the floor of any
lookup. A password check (`verifiers.password_matches`: argon2id t=3, m=64 MiB, p=4) against
one raw argon2-cffi `verify` with the same parameters: the login's cost is the hash, by design.
A report: it exits 0 whatever the ratio.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher

from fireline import accounts
from fireline.accounts.tokens import holder
from fireline.accounts.verifiers import hash_password, password_matches
from fireline.commands import AddUser
from fireline.config import load_settings
from fireline.db import read_only
from fireline.domain import ActorId
from fireline.schema import initialise
from fireline.service import execute, open_context


def per_call(fn: Callable[[], object], rounds: int) -> float:
    """Median seconds per call over five batches of `rounds`."""
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        batches.append((time.perf_counter() - start) / rounds)
    return statistics.median(batches)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"FIRELINE_HOME": str(Path(tmp) / "data")}, cwd=Path(tmp))
        initialise(settings)[0].dispose()
        ctx = open_context(settings)
        try:
            execute(AddUser(name="alice", roles=("admin",)), ActorId("alice"), ctx=ctx)
            issued = accounts.issue_token(
                ctx,
                ActorId("alice"),
                user="alice",
                name="b",
                scope="read",
                expires_in=timedelta(days=1),
            )
            now = ctx.clock()
            holder(ctx.engine, issued.text, now)  # the one touch of last use

            def select_one() -> None:
                with read_only(ctx.engine) as conn:
                    conn.execute(sa.text("SELECT 1")).scalar()

            token = per_call(lambda: holder(ctx.engine, issued.text, now), 2000)
            floor = per_call(select_one, 2000)
        finally:
            ctx.close()
    stored = hash_password("a benchmark passphrase")
    raw = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
    check = per_call(lambda: password_matches(stored, "a benchmark passphrase"), 3)
    limit = per_call(lambda: raw.verify(stored, "a benchmark passphrase"), 3)
    print(f"token authentication   {token * 1e6:8.1f} µs/request")
    print(f"bare SELECT 1 (floor)  {floor * 1e6:8.1f} µs/request   ratio {token / floor:.2f}x")
    print(f"password check         {check * 1e3:8.1f} ms/login")
    print(f"raw argon2id verify    {limit * 1e3:8.1f} ms           ratio {check / limit:.2f}x")


if __name__ == "__main__":
    main()
