"""The stored login: `{url, user, token, expires_at, token_id}` in one owner-only JSON file.

`fireline login` writes it, `fireline logout` removes it, client mode reads it when FIRELINE_URL
and FIRELINE_TOKEN do not say otherwise. The token is a password: the folder is 0700, the file
0600, written whole or not at all, and a file anyone else could read is refused, never used.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from fireline.errors import AuthenticationError, ConfigError

FILE_NAME = "credentials.json"
MAX_BYTES = 64 * 1024  # a login is a few hundred bytes; more is not a file fireline wrote


@dataclass(frozen=True)
class Credentials:
    """One login: the server, who logged in, the bearer token and when it stops working."""

    url: str
    user: str
    token: str
    expires_at: str | None = None
    token_id: str | None = None

    def check_unexpired(self, now: datetime | None = None) -> None:
        """AuthenticationError if `expires_at` has passed: the server would only answer 401."""
        if self.expires_at is None:
            return
        try:
            expires = datetime.fromisoformat(self.expires_at)
        except ValueError:
            return  # the server decides; an unreadable date is no reason to refuse here
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if expires <= (now or datetime.now(UTC)):
            raise LoginExpiredError(
                f"your login to {self.url} expired at {self.expires_at}: "
                f"run `fireline login {self.url} --user {self.user}` again"
            )


class CredentialsError(ConfigError):
    """The stored login cannot be used (exit 5): unreadable, not the user's, readable by others,
    or not a login fireline wrote. The line names the user's own file, so it is not masked."""

    unmasked = True


class LoginExpiredError(AuthenticationError):
    """The stored login's token has expired (exit 8): log in again."""

    unmasked = True


def config_dir(env: dict[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/fireline`, else `~/.config/fireline` (the XDG base directory rule:
    a relative XDG_CONFIG_HOME is ignored)."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "fireline"


def credentials_path() -> Path:
    return config_dir() / FILE_NAME


def load() -> Credentials | None:
    """The stored login, or None when there is none.

    ConfigError (one line) when the file is not a regular file of this user's, when group or
    others have any access to it (a token others can read is spent), or when it is not a login
    fireline wrote.
    """
    path = credentials_path()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CredentialsError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CredentialsError(f"{path} is not a regular file; remove it and log in again")
        if info.st_uid != os.getuid():
            raise CredentialsError(f"{path} belongs to another user; remove it and log in again")
        if info.st_mode & 0o077:
            mode = stat.S_IMODE(info.st_mode)
            raise CredentialsError(
                f"{path} is readable by others (mode {mode:04o}); "
                f"fix it with `chmod 600 {path}` (and revoke the token if others read it)"
            )
        raw = handle.read(MAX_BYTES + 1)
    return _parse(raw, path)


def _parse(raw: bytes, path: Path) -> Credentials:
    broken = CredentialsError(f"{path} is not a fireline login; remove it and run `fireline login`")
    if len(raw) > MAX_BYTES:
        raise broken
    try:
        data = json.loads(raw)
    except ValueError:
        raise broken from None
    if not isinstance(data, dict):
        raise broken
    strings = ("url", "user", "token")
    optional = ("expires_at", "token_id")
    if any(not isinstance(data.get(key), str) or not data[key] for key in strings):
        raise broken
    if any(data.get(key) is not None and not isinstance(data[key], str) for key in optional):
        raise broken
    return Credentials(
        url=data["url"],
        user=data["user"],
        token=data["token"],
        expires_at=data.get("expires_at"),
        token_id=data.get("token_id"),
    )


def save(credentials: Credentials) -> Path:
    """Write the login whole (a temporary 0600 file renamed over the old one) in a 0700 folder.

    A folder fireline's config lives in that others may enter is tightened: it is the user's.
    """
    folder = config_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(folder.stat().st_mode) & 0o077:
            folder.chmod(0o700)
        path = folder / FILE_NAME
        partial = folder / f".{FILE_NAME}.{os.getpid()}.part"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(asdict(credentials), indent=2).encode() + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    except OSError as exc:
        raise CredentialsError(
            f"cannot store the login in {exc.filename or folder}: {exc.strerror or exc}"
        ) from None
    return path


def remove() -> bool:
    """Delete the stored login; False when there was none."""
    try:
        credentials_path().unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CredentialsError(
            f"cannot remove {credentials_path()}: {exc.strerror or exc}"
        ) from None
    return True
