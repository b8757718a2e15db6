"""`fireline checkpoint publish --to DIR|GIT_REPO`: put a signed checkpoint where the store's
operators do not control it alone.

A witness folder gets one file per tree size and `latest`; a git repository gets the same files
committed (through the `git` CLI). Before anything is written, the checkpoint already published
there (its `latest`) must be signed by the same key and the store's tree must be provably
consistent with it: a store whose history was rewritten cannot publish over its own past.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from fireline.errors import IntegrityError, InvalidCommandError, StoreError
from fireline.ledger import merkle, notes, tlog

LATEST = "latest"


@dataclass(frozen=True)
class Published:
    path: Path
    size: int
    git: bool
    unchanged: bool  # the same checkpoint was already there


def publish(conn: Connection, public_key: Ed25519PublicKey, note_text: str, to: Path) -> Published:
    """Write `note_text` (the store's current signed checkpoint) under `to`; refuse, writing
    nothing, if what is already there is not an earlier state of the same log."""
    if to.exists() and not to.is_dir():
        raise InvalidCommandError(f"--to {to} is a file; give a folder or a git repository")
    checkpoint = notes.signed_by(note_text, public_key, source="the store's checkpoint")
    git = _is_git(to)
    previous = to / LATEST
    if previous.is_file():
        _check_extends(conn, public_key, previous, checkpoint)
        if previous.read_text(encoding="utf-8", errors="replace") == note_text:
            return Published(to / str(checkpoint.size), checkpoint.size, git, True)
    try:
        to.mkdir(parents=True, exist_ok=True)
        for name in (str(checkpoint.size), LATEST):
            _write(to / name, note_text)
    except OSError as exc:
        raise StoreError(f"cannot publish to {to}: {exc.strerror or exc}") from None
    if git:
        _commit(to, checkpoint)
    return Published(to / str(checkpoint.size), checkpoint.size, git, False)


def _check_extends(
    conn: Connection, public_key: Ed25519PublicKey, previous: Path, checkpoint: notes.Checkpoint
) -> None:
    try:
        text = previous.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise IntegrityError(
            f"{previous} cannot be read as a checkpoint; publish nothing"
        ) from None
    old = notes.signed_by(text, public_key, source=str(previous))
    if old.origin != checkpoint.origin:
        raise IntegrityError(
            f"{previous} is a checkpoint of log {old.origin!r}, not {checkpoint.origin!r}"
        )
    if old.size > checkpoint.size:
        raise IntegrityError(
            f"{previous} already covers {old.size} leaves, the store's log only {checkpoint.size}: "
            "leaves were dropped from the store"
        )
    proof = merkle.consistency_proof(old.size, checkpoint.size, tlog.StoredTree(conn).subtree)
    if not merkle.verify_consistency(old.size, checkpoint.size, old.root, checkpoint.root, proof):
        raise IntegrityError(
            f"the store's log is not consistent with {previous} (size {old.size}): its history "
            "was rewritten; nothing published"
        )


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _git() -> str:
    found = shutil.which("git")
    if found is None:
        raise StoreError("publishing to a git repository needs the git command")
    return found


def _is_git(path: Path) -> bool:
    if not path.is_dir():
        return False
    done = subprocess.run(
        [_git(), "-C", str(path), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and Path(done.stdout.strip()).resolve() == path.resolve()


def _commit(repo: Path, checkpoint: notes.Checkpoint) -> None:
    git = _git()
    names = [str(checkpoint.size), LATEST]
    identity = []
    email = subprocess.run(
        [git, "-C", str(repo), "config", "user.email"], capture_output=True, check=False
    )
    if email.returncode != 0:
        identity = ["-c", "user.name=fireline", "-c", "user.email=fireline@localhost"]
    for args in (
        ["add", "--", *names],
        [
            *identity,
            "commit",
            "--quiet",
            "-m",
            f"fireline checkpoint {checkpoint.origin} size {checkpoint.size}",
            "--",
            *names,
        ],
    ):
        done = subprocess.run(
            [git, "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            line = (done.stderr or done.stdout).strip().splitlines()
            raise StoreError(f"git {args[0]} failed in {repo}: {line[0] if line else 'no output'}")
