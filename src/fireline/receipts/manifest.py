"""Manifests as data: `sha256sum` output (text or `*` binary marker, backslash-escaped names)
and a JSON form, parsed strictly. Pure: no I/O.

Refused, one line naming the line: a malformed line, a digest that is not 64 hex digits, an
absolute path or one with `..` (it would escape the root it is checked under), a path named
twice. The JSON form is `{"files": [{"path": …, "sha256": …}, …]}` or `{"PATH": "HEX", …}`.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from fireline.errors import InvalidCommandError

_LINE = re.compile(r"^([0-9A-Fa-f]+) ([ *])(.+)$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
LIMIT = 100_000  # entries


def parse(data: bytes, *, name: str) -> tuple[str, dict[str, str]]:
    """(format, {path: sha256}) of a manifest; InvalidCommandError on anything off."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidCommandError(f"manifest {name} is not UTF-8 text") from None
    if text.lstrip().startswith(("{", "[")):
        return "json", _json(text, name)
    return "sha256sum", parse_lines(text.splitlines(), name=name)


def parse_lines(lines: list[str], *, name: str) -> dict[str, str]:
    """sha256sum lines as {path: digest}."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        line, escaped = (raw[1:], True) if raw.startswith("\\") else (raw, False)
        match = _LINE.fullmatch(line)
        if match is None:
            raise InvalidCommandError(
                f"{name} line {number}: malformed; expected 'SHA256  PATH' (sha256sum format)"
            )
        digest, _marker, path = match.groups()
        if escaped:
            path = _unescape(path, name, number)
        _add(entries, path, digest, f"{name} line {number}")
    if not entries:
        raise InvalidCommandError(f"{name} lists no files")
    return entries


def _unescape(path: str, name: str, number: int) -> str:
    out, i = [], 0
    while i < len(path):
        if path[i] == "\\":
            nxt = path[i + 1 : i + 2]
            if nxt not in ("\\", "n", "r"):
                raise InvalidCommandError(f"{name} line {number}: malformed escape in the path")
            out.append({"\\": "\\", "n": "\n", "r": "\r"}[nxt])
            i += 2
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _json(text: str, name: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidCommandError(f"manifest {name} is not valid JSON") from None
    pairs: list[tuple[object, object]]
    if isinstance(data, dict) and isinstance(data.get("files"), list):
        pairs = []
        for i, item in enumerate(data["files"]):
            if not isinstance(item, dict) or set(item) != {"path", "sha256"}:
                raise InvalidCommandError(
                    f"{name} files[{i}]: expected an object with path and sha256"
                )
            pairs.append((item["path"], item["sha256"]))
    elif isinstance(data, dict) and "files" not in data:
        pairs = list(data.items())
    else:
        raise InvalidCommandError(
            f'manifest {name}: expected {{"files": [{{"path", "sha256"}}]}} or {{PATH: SHA256}}'
        )
    entries: dict[str, str] = {}
    for path, digest in pairs:
        if not isinstance(path, str) or not isinstance(digest, str):
            raise InvalidCommandError(f"{name}: paths and digests must be strings")
        _add(entries, path, digest, f"{name} entry {path!r}")
    if not entries:
        raise InvalidCommandError(f"{name} lists no files")
    return entries


def _add(entries: dict[str, str], path: str, digest: str, where: str) -> None:
    digest = digest.lower()
    if not _HEX64.fullmatch(digest):
        shown = len(digest) if re.fullmatch(r"[0-9a-f]*", digest) else "non-hex"
        raise InvalidCommandError(f"{where}: digest has {shown} hex digits; a sha256 digest has 64")
    clean = safe_path(path, where)
    if clean in entries:
        raise InvalidCommandError(f"{where}: {clean!r} is listed twice")
    if len(entries) >= LIMIT:
        raise InvalidCommandError(f"{where}: more than {LIMIT} files")
    entries[clean] = digest


def safe_path(path: str, where: str) -> str:
    """A relative path that stays under its root ('./a/b' → 'a/b'); InvalidCommandError if
    absolute, empty, or climbing out with '..'."""
    if not path or "\x00" in path:
        raise InvalidCommandError(f"{where}: empty path")
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("\\") or re.match(r"^[A-Za-z]:", path):
        raise InvalidCommandError(f"{where}: {path!r} is absolute; paths must stay under --root")
    parts = [p for p in pure.parts if p != "."]
    if ".." in parts:
        raise InvalidCommandError(f"{where}: {path!r} escapes --root")
    if not parts:
        raise InvalidCommandError(f"{where}: {path!r} names the root itself")
    return "/".join(parts)


def digest_ref(text: str, *, field: str) -> tuple[str, str]:
    """`NAME@sha256:HEX` → (name, hex); InvalidCommandError otherwise."""
    name, sep, digest = text.rpartition("@sha256:")
    if not sep or not name.strip():
        raise InvalidCommandError(f"malformed {field} {text!r}; expected NAME@sha256:HEX")
    digest = digest.lower()
    if not _HEX64.fullmatch(digest):
        shown = len(digest) if re.fullmatch(r"[0-9a-f]*", digest) else "non-hex"
        raise InvalidCommandError(
            f"{field} {name}: digest has {shown} hex digits; a sha256 digest has 64"
        )
    return name.strip(), digest
