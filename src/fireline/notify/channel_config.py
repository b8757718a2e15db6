"""Validating a channel at `channel add`: what is public (on the chain) and what is secret.

A channel that cannot work is refused here, in one line, before anything is written: a kind
fireline does not know, a webhook URL that is not https (plain http only to a loopback host,
for local receivers), credentials inside a URL, an e-mail channel without recipients, sender
or SMTP host, a TLS mode that does not exist. The secret part (webhook URL — its path is the
credential —, SMTP password, Standard Webhooks signing key) goes to `channel_secrets`; the
event records a salted digest of it.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fireline.errors import InvalidCommandError

KINDS = ("slack", "mattermost", "teams", "webhook", "email")
WEBHOOK_KINDS = ("slack", "mattermost", "teams", "webhook")
TLS_MODES = ("starttls", "tls", "none")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$|^\[[0-9a-fA-F:]+\]$")
SIGNING_PREFIX = "whsec_"


@dataclass(frozen=True)
class ChannelSpec:
    """A validated channel: the `channel.added` payload and the secret kept beside it."""

    public: dict[str, Any]
    secret: dict[str, str]

    @property
    def secret_json(self) -> str:
        return json.dumps(self.secret, sort_keys=True, separators=(",", ":"))


def parse_name(text: str) -> str:
    name = text.strip()
    if not _NAME.fullmatch(name):
        raise InvalidCommandError(
            f"invalid channel name {text!r}; use 1-64 lowercase letters, digits or . _ - "
            "(starting with a letter or digit)"
        )
    return name


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(kind: str, url: str) -> str:
    """A webhook URL fireline will POST to: https (http only to loopback), no credentials in
    it, a host; returns its host (the part that may be shown)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise InvalidCommandError(f"--url for a {kind} channel is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidCommandError(
            f"--url for a {kind} channel must be an https:// URL with a host "
            f"(got scheme {parts.scheme or 'none'!r})"
        )
    if parts.scheme == "http" and not is_loopback(host):
        raise InvalidCommandError(
            f"--url for a {kind} channel must use https (plain http only to a loopback host)"
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidCommandError(f"--url for a {kind} channel must not carry credentials")
    return host


def check_signing_secret(text: str) -> str:
    """A Standard Webhooks key `whsec_<base64>` of 24 to 64 bytes; made when none is given."""
    if not text:
        return SIGNING_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    body = text.removeprefix(SIGNING_PREFIX)
    try:
        raw = base64.b64decode(body, validate=True)
    except ValueError:
        raw = b""
    if not text.startswith(SIGNING_PREFIX) or not 24 <= len(raw) <= 64:
        raise InvalidCommandError(
            "--signing-secret must be whsec_ followed by 24 to 64 base64-encoded bytes"
        )
    return text


def _email(field: str, text: str) -> str:
    value = text.strip()
    if not _EMAIL.fullmatch(value):
        raise InvalidCommandError(f"{field}: {text!r} is not an e-mail address")
    return value


def validate(
    *,
    name: str,
    kind: str,
    url: str | None,
    to: tuple[str, ...],
    sender: str,
    smtp_host: str,
    smtp_port: int | None,
    smtp_tls: str,
    smtp_user: str,
    smtp_password: str,
    signing_secret: str,
    restricted: bool,
    drills: bool,
) -> ChannelSpec:
    """The public fields and the secret of a channel; InvalidCommandError naming what is wrong."""
    name = parse_name(name)
    if kind not in KINDS:
        raise InvalidCommandError(f"unknown channel kind {kind!r}; allowed: {', '.join(KINDS)}")
    public: dict[str, Any] = {"name": name, "kind": kind, "restricted": restricted}
    public["drills"] = drills
    secret: dict[str, str] = {"salt": secrets.token_hex(16)}
    if kind in WEBHOOK_KINDS:
        if not url:
            raise InvalidCommandError(f"a {kind} channel needs --url (its incoming webhook)")
        extra = [flag for flag, v in (("--to", to), ("--smtp-host", smtp_host)) if v]
        if extra:
            raise InvalidCommandError(f"{extra[0]} is for e-mail channels, not {kind}")
        public["url_host"] = check_url(kind, url)
        secret["url"] = url.strip()
        if kind == "webhook":
            secret["signing_secret"] = check_signing_secret(signing_secret)
        elif signing_secret:
            raise InvalidCommandError("--signing-secret is for generic webhook channels")
    else:
        if url:
            raise InvalidCommandError("an email channel takes --to and --smtp-host, not --url")
        if not to:
            raise InvalidCommandError("an email channel needs at least one --to address")
        if smtp_tls not in TLS_MODES:
            raise InvalidCommandError(
                f"unknown --smtp-tls {smtp_tls!r}; allowed: {', '.join(TLS_MODES)}"
            )
        host = smtp_host.strip()
        if not host or not _HOST.fullmatch(host):
            raise InvalidCommandError("an email channel needs --smtp-host (a host name or IP)")
        if smtp_tls == "none" and not is_loopback(host):
            raise InvalidCommandError("--smtp-tls none is allowed only to a loopback SMTP host")
        port = smtp_port if smtp_port is not None else (465 if smtp_tls == "tls" else 587)
        if not 1 <= port <= 65535:
            raise InvalidCommandError(f"--smtp-port {port} is not a TCP port (1-65535)")
        if bool(smtp_user) != bool(smtp_password):
            raise InvalidCommandError("give --smtp-user and --smtp-password together, or neither")
        if smtp_password and smtp_tls == "none":
            raise InvalidCommandError("an SMTP password is never sent without TLS (--smtp-tls)")
        public.update(
            to=list(dict.fromkeys(_email("--to", t) for t in to)),
            sender=_email("--from", sender) if sender else "",
            smtp_host=host,
            smtp_port=port,
            smtp_tls=smtp_tls,
            smtp_user=smtp_user,
        )
        if not sender:
            raise InvalidCommandError("an email channel needs --from (the sender address)")
        if smtp_password:
            secret["password"] = smtp_password
    spec = ChannelSpec(public, secret)
    public["secret_sha256"] = hashlib.sha256(spec.secret_json.encode()).hexdigest()
    return spec
