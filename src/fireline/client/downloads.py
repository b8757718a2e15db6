"""Client mode's streamed downloads: evidence content and export zips, written as they come.

The server re-hashes a blob while it streams it and aborts the response when the bytes no
longer match (`fireline.api.reads`); a download that ends early is an IntegrityError here, so
the caller discards what it wrote, as it does for a local copy that fails its re-check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from fireline.client.transport import TIMEOUT_S, Server, refusal
from fireline.errors import IntegrityError, InvalidCommandError, StoreError

if TYPE_CHECKING:
    import httpx

CHUNK = 1024 * 1024


@dataclass
class Download:
    """An answer being streamed: its headers, and `copy_to` to write its body somewhere."""

    response: httpx.Response
    url: str

    @property
    def facts(self) -> tuple[str, bool, bool, list[str], int]:
        """(label, scanned, masked, sensitive kinds, stored size) from the evidence headers."""
        h = self.response.headers
        sensitive = [k for k in h.get("x-fireline-sensitive", "").split(",") if k]
        return (
            h.get("x-fireline-evidence", ""),
            h.get("x-fireline-scanned") == "true",
            h.get("x-fireline-masked") == "true",
            sensitive,
            int(h.get("x-fireline-size", "0")),
        )

    def copy_to(self, dst: BinaryIO) -> None:
        """The body to `dst`; IntegrityError if it ends early or fails its announced digest."""
        import httpx

        digest = hashlib.sha256()
        try:
            for chunk in self.response.iter_bytes(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
        except httpx.HTTPError:
            raise IntegrityError(
                f"the download from {self.url} broke off (the server found the stored bytes "
                "changed, or the connection failed); nothing was kept"
            ) from None
        expected = self.response.headers.get("x-fireline-sha256")
        if expected and digest.hexdigest() != expected:
            raise IntegrityError(f"the download from {self.url} does not match its sha256")


@contextmanager
def stream(server: Server, path: str, params: dict[str, str] | None = None) -> Iterator[Download]:
    """GET `path` streamed; a problem answer becomes RemoteError, no server StoreError."""
    import httpx

    headers = {} if not server.token else {"Authorization": f"Bearer {server.token}"}
    url = server.endpoint(path)
    try:
        with httpx.stream("GET", url, params=params, headers=headers, timeout=TIMEOUT_S) as resp:
            if resp.is_error:
                resp.read()
                raise refusal(resp)
            yield Download(resp, server.url)
    except httpx.HTTPError as exc:
        raise StoreError(f"cannot reach the fireline server at {server.url}: {exc}") from None


@contextmanager
def evidence_content(server: Server, incident_id: str, number: int) -> Iterator[Download]:
    with stream(server, f"/api/v1/incidents/{incident_id}/evidence/{number}/content") as d:
        yield d


def export_zip(
    server: Server, incident_id: str, *, out: Path, unmasked: bool
) -> tuple[Path, dict[str, Any]]:
    """Download the export zip into `out` (written beside its name first, so a failed download
    leaves nothing); the path and the export's summary (`X-Fireline-Export`)."""
    import json
    import os

    target = out / f"{incident_id}.zip"
    if out.exists() and not out.is_dir():
        raise InvalidCommandError(f"--out {out} is a file; give a folder to export into")
    if target.exists():
        raise InvalidCommandError(f"{target} already exists; choose another --out")
    params = {"unmasked": "true"} if unmasked else None
    with stream(server, f"/api/v1/incidents/{incident_id}/export", params) as download:
        summary = json.loads(download.response.headers.get("x-fireline-export", "{}"))
        out.mkdir(parents=True, exist_ok=True)
        partial = out / f".{target.name}.part"
        try:
            with partial.open("wb") as handle:
                download.copy_to(handle)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target, summary
