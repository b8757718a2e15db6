"""Handlers for the integrity receipts: a manifest check, a rebuild receipt, a step.

The manifest is parsed here again from its bytes (the CLI parsed it to know what to hash):
what is recorded is judged by the service, not by whoever sent it, and carries the
manifest's own digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fireline.commands import CheckManifest, RecordReceipt, RecordStep
from fireline.domain import require_text
from fireline.errors import InvalidCommandError
from fireline.receipts import DIFF_LIMIT, manifest
from fireline.service.plan import Call, Plan, refs, require_open


def _check_manifest(call: Call, cmd: CheckManifest) -> Plan:
    state = require_open(call)
    name = require_text("--manifest", cmd.manifest_name, limit=500)
    fmt, expected = manifest.parse(cmd.manifest, name=name)
    observed = (
        manifest.parse_lines(list(cmd.observed), name="observed digests") if cmd.observed else {}
    )
    missing = [manifest.safe_path(p, "missing") for p in cmd.missing]
    if set(observed) | set(missing) != set(expected) or set(observed) & set(missing):
        raise InvalidCommandError(
            "the observed digests and missing files must cover the manifest's files exactly"
        )
    matched = [{"path": p, "sha256": d} for p, d in sorted(observed.items()) if expected[p] == d]
    mismatched = [
        {"path": p, "expected": expected[p], "actual": d}
        for p, d in sorted(observed.items())
        if expected[p] != d
    ]
    payload = {
        "manifest": name,
        "manifest_sha256": hashlib.sha256(cmd.manifest).hexdigest(),
        "format": fmt,
        "root": cmd.root,
        "matched": matched,
        "mismatched": mismatched,
        "missing": sorted(missing),
    }
    return Plan(state.id, [("manifest.checked", payload)])


def _artifacts(values: tuple[str, ...], field: str) -> list[dict[str, str]]:
    if not values:
        raise InvalidCommandError(f"give at least one {field} NAME@sha256:HEX")
    pairs = [manifest.digest_ref(v, field=field) for v in values]
    return [{"name": require_text(field, n, limit=500), "sha256": d} for n, d in pairs]


def _record_receipt(call: Call, cmd: RecordReceipt) -> Plan:
    state = require_open(call)
    if cmd.kind != "rebuild":
        raise InvalidCommandError(f"unknown receipt kind {cmd.kind!r}; allowed: rebuild")
    checks = []
    for check in cmd.checks:
        key, sep, value = check.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidCommandError(f"malformed --check {check!r}; expected KEY=VALUE")
        checks.append({"name": key.strip(), "result": value.strip()})
    payload = {
        "kind": "rebuild",
        "inputs": _artifacts(cmd.inputs, "--input"),
        "outputs": _artifacts(cmd.outputs, "--output"),
        "checks": checks,
        "refs": refs(cmd.refs),
    }
    return Plan(state.id, [("receipt.recorded", payload)])


def _record_step(call: Call, cmd: RecordStep) -> Plan:
    state = require_open(call)
    if (cmd.command is None) == (cmd.pr is None):
        raise InvalidCommandError("give exactly one of --command or --pr")
    if cmd.pr is not None:
        parts = urlsplit(cmd.pr)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise InvalidCommandError(f"--pr must be an http(s) URL, got {cmd.pr!r}")
    if cmd.diff is not None and len(cmd.diff.encode()) > DIFF_LIMIT:
        raise InvalidCommandError(f"--diff is larger than {DIFF_LIMIT // 1024} KiB")
    if cmd.diff_name is not None and cmd.diff is None:
        raise InvalidCommandError("a diff name without a diff")
    payload = {
        "title": require_text("title", cmd.title, limit=500),
        "command": None if cmd.command is None else require_text("--command", cmd.command),
        "pr": cmd.pr,
        "pre": [require_text("--pre", p) for p in cmd.pre],
        "post": [require_text("--post", p) for p in cmd.post],
        "diff": cmd.diff,
        "diff_name": cmd.diff_name,
        "rollback": cmd.rollback.strip(),
    }
    return Plan(state.id, [("step.recorded", payload)])


RECEIPT_HANDLERS: dict[type[Any], Callable[[Call, Any], Plan]] = {
    CheckManifest: _check_manifest,
    RecordReceipt: _record_receipt,
    RecordStep: _record_step,
}
