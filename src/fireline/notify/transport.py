"""Sending one rendered notification: HTTP POST (chat webhooks, signed generic webhooks) or
SMTP, and what the answer means for the outbox.

An answer is `Sent` (the receiver took it: 2xx, SMTP 250), `Retry` (408, 429, 5xx, a timeout,
a refused connection, a TLS failure: it may work later) or `Dead` (any other 4xx, a redirect,
an SMTP 5xx or a refused login: it will not work until someone changes something). Reasons are
one line, bounded, and never carry the URL (its path is the credential).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from fireline.notify import render
from fireline.notify.channel_config import SIGNING_PREFIX
from fireline.notify.message import Message

REASON_CHARS = 200


@dataclass(frozen=True)
class Answer:
    """What one attempt came to: `outcome` is sent, retry or dead."""

    outcome: str
    status: int | None = None
    reason: str = ""


def _short(text: str) -> str:
    line = " ".join(str(text).split())
    return line[:REASON_CHARS]


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature` value: `v1,<base64 HMAC-SHA256>`."""
    key = base64.b64decode(secret.removeprefix(SIGNING_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def classify(status: int, text: str) -> Answer:
    if 200 <= status < 300:
        return Answer("sent", status)
    reason = _short(f"HTTP {status}: {text}" if text else f"HTTP {status}")
    if status in (408, 429) or status >= 500:
        return Answer("retry", status, reason)
    if 300 <= status < 400:
        return Answer("dead", status, _short(f"HTTP {status}: redirects are not followed"))
    return Answer("dead", status, reason)


def post(
    client: httpx.Client, kind: str, url: str, message: Message, secret: dict[str, str]
) -> Answer:
    """POST the message in `kind`'s format to `url`; an Answer, never an exception."""
    headers = {"content-type": "application/json", "user-agent": "fireline-notifier"}
    if kind == "slack":
        body = render.encode(render.slack(message))
    elif kind == "mattermost":
        body = render.encode(render.mattermost(message))
    elif kind == "teams":
        body = render.encode(render.teams(message))
    else:
        stamp = str(int(time.time()))
        body = render.encode(render.webhook(message, timestamp=stamp))
        headers["webhook-id"] = message.notification_id
        headers["webhook-timestamp"] = stamp
        headers["webhook-signature"] = sign(
            secret["signing_secret"], message.notification_id, stamp, body
        )
    headers["idempotency-key"] = message.notification_id
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        return Answer("retry", None, "timed out waiting for the receiver")
    except httpx.ConnectError as exc:
        cause = exc.__context__ or exc.__cause__
        if isinstance(cause, ssl.SSLError):
            return Answer("retry", None, _short(f"TLS failed: {cause.reason or cause}"))
        return Answer("retry", None, _short(f"cannot connect: {_first(exc)}"))
    except httpx.HTTPError as exc:
        return Answer("retry", None, _short(f"{type(exc).__name__}: {_first(exc)}"))
    return classify(response.status_code, response.text[:REASON_CHARS])


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN once when offered (always under TLS here): one attempt, one clear answer,
    rather than smtplib trying every mechanism after a refusal."""
    smtp.ehlo_or_helo_if_needed()
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" in offered:
        smtp.user, smtp.password = user, password
        code, answer = smtp.auth("PLAIN", smtp.auth_plain, initial_response_ok=True)
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, answer)
        return
    smtp.login(user, password)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _first(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def send_mail(
    settings: dict[str, Any], secret: dict[str, str], message: Message, *, timeout: float
) -> Answer:
    """Send the message by SMTP (STARTTLS, implicit TLS, or plain to a loopback host)."""
    mail = render.email(message, sender=settings["sender"], to=list(settings["to"]))
    host, port, tls = settings["smtp_host"], int(settings["smtp_port"]), settings["smtp_tls"]
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if tls == "tls":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if tls == "starttls":
                smtp.starttls(context=context)
            if settings.get("smtp_user"):
                _login(smtp, settings["smtp_user"], secret.get("password", ""))
            refused = smtp.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        return Answer("dead", exc.smtp_code, _short(f"SMTP login refused: {exc.smtp_code}"))
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        permanent = all(code >= 500 for code in codes)
        return Answer(
            "dead" if permanent else "retry", codes[0], f"SMTP refused every recipient ({codes[0]})"
        )
    except smtplib.SMTPResponseException as exc:
        reason = _short(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}")
        return Answer("dead" if exc.smtp_code >= 500 else "retry", exc.smtp_code, reason)
    except smtplib.SMTPNotSupportedError:
        return Answer("dead", None, "the SMTP server does not offer STARTTLS")
    except ssl.SSLError as exc:
        return Answer("retry", None, _short(f"TLS failed: {exc.reason or exc}"))
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        return Answer("retry", None, _short(f"SMTP: {_first(exc)}"))
    if refused:
        return Answer("sent", 250, _short(f"some recipients refused: {len(refused)}"))
    return Answer("sent", 250)
