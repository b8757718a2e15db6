"""A Message in each medium's own format, escaped for that medium.

Slack: Block Kit (header, mrkdwn sections; `&`, `<`, `>` escaped, so no text becomes a link,
a mention or `<!channel>`). Mattermost: Markdown with every markup character backslash-escaped
and `@` defused. Teams: an Adaptive Card (1.4) in the Workflows webhook's `message` envelope,
its Markdown subset escaped the same way. Generic webhooks: the JSON of the message (Standard
Webhooks envelope; signing is the transport's). E-mail: text/plain and HTML alternatives, HTML
escaped. Sections follow the seeds' status update: facts ("What we know") apart from
hypotheses ("Current hypothesis — not established").
"""

from __future__ import annotations

import html
import json
import re
from email.message import EmailMessage
from typing import Any

from fireline.notify.message import Message

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text).replace("@", "@\u200b")


def sections(message: Message) -> list[tuple[str, list[str]]]:
    """The update's sections in the seed template's order, empty ones left out."""
    parts = [
        ("Impact", [message.impact] if message.impact else []),
        ("What we know (facts)", message.facts),
        ("Current hypothesis (not established)", message.hypotheses),
        ("What we're doing now", message.actions),
        ("Next steps", message.next_steps),
    ]
    return [(name, items) for name, items in parts if items]


def _lines(message: Message, esc: Any, bold: str) -> str:
    out = [
        f"{bold}{esc(message.headline)}{bold}",
        f"Time (UTC): {esc(message.time)} · Status: {esc(message.status)}",
    ]
    for name, items in sections(message):
        out.append(f"{bold}{esc(name)}:{bold}")
        out.extend(f"• {esc(item)}" for item in items)
    if message.next_update:
        out.append(f"Next update: {esc(message.next_update)}")
    out.append(f"{esc(message.incident_id)} · notification {esc(message.notification_id)}")
    return "\n".join(out)


def slack(message: Message) -> dict[str, Any]:
    body = _lines(message, slack_escape, "*")
    return {
        "text": slack_escape(message.title),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": slack_escape(f"fireline · {message.incident_id}")}
                ],
            },
        ],
    }


def mattermost(message: Message) -> dict[str, Any]:
    text = f"#### {markdown_escape(message.title)}\n" + _lines(message, markdown_escape, "**")
    return {"username": "fireline", "text": text}


def teams(message: Message) -> dict[str, Any]:
    esc = markdown_escape
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": esc(message.title),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": esc(message.headline), "wrap": True},
        {
            "type": "FactSet",
            "facts": [
                {"title": "Time (UTC)", "value": esc(message.time)},
                {"title": "Status", "value": esc(message.status)},
                {"title": "Severity", "value": esc(message.severity)},
                {"title": "Next update", "value": esc(message.next_update or "—")},
            ],
        },
    ]
    for name, items in sections(message):
        body.append({"type": "TextBlock", "text": esc(name), "weight": "Bolder", "wrap": True})
        body.append(
            {"type": "TextBlock", "text": "\n".join(f"- {esc(i)}" for i in items), "wrap": True}
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def webhook(message: Message, *, timestamp: str) -> dict[str, Any]:
    """The Standard Webhooks payload shape: `type`, `timestamp`, `data`."""
    return {
        "type": f"fireline.{message.event_kind}",
        "timestamp": timestamp,
        "data": message.as_dict(),
    }


def email(message: Message, *, sender: str, to: list[str]) -> EmailMessage:
    """A multipart/alternative e-mail; its Message-ID is the notification id (stable)."""
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Message-ID"] = f"<{message.notification_id}@fireline>"
    mail["X-Fireline-Notification-Id"] = message.notification_id
    text = _lines(message, str, "") + f"\n\n{message.notice}\n"
    mail.set_content(text)
    esc = html.escape
    parts = [f"<h2>{esc(message.title)}</h2>", f"<p><strong>{esc(message.headline)}</strong></p>"]
    parts.append(f"<p>Time (UTC): {esc(message.time)} · Status: {esc(message.status)}</p>")
    for name, items in sections(message):
        parts.append(f"<h3>{esc(name)}</h3><ul>")
        parts.extend(f"<li>{esc(item)}</li>" for item in items)
        parts.append("</ul>")
    if message.next_update:
        parts.append(f"<p>Next update: {esc(message.next_update)}</p>")
    parts.append(f"<p>{esc(message.notice)}</p>")
    parts.append(
        f"<p><small>{esc(message.incident_id)} · {esc(message.notification_id)}</small></p>"
    )
    mail.add_alternative(
        "<!doctype html><html><body>" + "".join(parts) + "</body></html>", subtype="html"
    )
    return mail


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
