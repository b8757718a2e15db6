"""Owner-only modes for the store's files: the data dir 0700, the SQLite file and its -wal, -shm
and -journal siblings 0600, like the signing key.

The store holds restricted incidents' titles and entries, so other local users must not read
it. New files are created owner-only; a looser existing one is tightened when the store is
opened, but only if the current user owns it (someone else's file is theirs to fix), and each
change is reported so the operator knows.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fireline.config import Settings

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def create_private_dir(path: Path) -> None:
    """Make `path` (and missing parents) with the leaf owner-only, whatever the umask."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    tighten(path, PRIVATE_DIR)


def create_private_file(path: Path) -> None:
    """Create `path` empty and owner-only unless it exists (SQLite then gives its -wal and -shm
    the database file's mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    os.close(fd)
    tighten(path, PRIVATE_FILE)


def tighten(path: Path, mode: int) -> str | None:
    """Drop the permission bits of `path` beyond `mode`; say what changed, or None.

    A missing file, one already as tight, or one another user owns is left alone.
    """
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    current = stat.S_IMODE(found.st_mode)
    if found.st_uid != os.getuid() or not current & ~mode:
        return None
    os.chmod(path, current & mode)
    return f"tightened {path} from mode {current:04o} to {current & mode:04o} (owner only)"


def secure_store(settings: Settings, database: Path | None) -> list[str]:
    """Tighten an existing store: its data dir and, for SQLite, the `database` file and its
    siblings. Returns one line per change, for the adapter to show."""
    home = settings.home
    changes = []
    if (home / "keys").is_dir() or (database is not None and database.parent == home):
        changes.append(tighten(home, PRIVATE_DIR))
    if database is not None:
        changes.extend(
            tighten(database.with_name(database.name + suffix), PRIVATE_FILE)
            for suffix in SQLITE_SUFFIXES
        )
    return [change for change in changes if change is not None]
