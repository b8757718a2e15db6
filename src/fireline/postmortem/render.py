"""The postmortem as Markdown and as HTML, internal or external, from the record's document.

Markdown is assembled from the sections; HTML is that Markdown through markdown-it-py with raw
HTML off (so `<script>` in a section is shown as text, never run) and its link check on (no
`javascript:` links). Deterministic: the same events give the same bytes, which is what lets
the export's `verify` re-render `90_postmortem/` and compare. Pure.
"""

from __future__ import annotations

import html
import re
from typing import Any

from fireline.export.model import Record
from fireline.postmortem import document
from fireline.postmortem.generate import title
from fireline.postmortem.sanitize import sanitize


def sections(record: Record, *, external: bool) -> list[tuple[str, str]]:
    """The version's sections as shown: the external one sanitised, always."""
    doc = record.postmortem
    if doc is None or doc["template"] is None:
        return []
    if not external:
        return [(s["name"], str(s["text"])) for s in doc["internal"]["sections"]]
    extra = [*doc["internal"]["reviewers"], *doc["external"]["reviewers"]]
    return [(name, sanitize(text, record, extra)) for name, text in document.external_text(doc)]


def markdown(record: Record, *, external: bool = False) -> str:
    """The whole postmortem as Markdown ("" when none has been drafted)."""
    doc = record.postmortem
    if doc is None or doc["template"] is None:
        return ""
    version = doc[document.track(external)]
    heading = title(record, doc["template"])
    if external:
        heading = sanitize(heading, record) + " (external version)"
    lines = [f"# {heading}", "", _status_line(doc, version, external=external), ""]
    for name, text in sections(record, external=external):
        lines += [f"## {name}", "", text.strip(), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _status_line(doc: dict[str, Any], version: dict[str, Any], *, external: bool) -> str:
    state = version["state"] or document.DRAFT
    parts = [f"State: {state}", f"Template: {doc['template']}"]
    if not external:
        parts.append(f"Drafted from the record up to event {doc['through_seq']}")
        if doc.get("due"):
            parts.append(f"Due: {doc['due']}")
        if version["reviewers"]:
            parts.append(f"Reviewers: {', '.join(version['reviewers'])}")
        if version["approvals"]:
            parts.append(f"Approved by: {', '.join(version['approvals'])}")
    if version["published_at"]:
        parts.append(f"Published (UTC): {version['published_at'][:19]}Z")
    return "_" + " · ".join(parts) + "_"


_ALIGN = re.compile(r' style="text-align:(left|right|center)"')


def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str) -> str:
    """One Markdown text as an HTML fragment: raw HTML escaped, unsafe links refused.

    markdown-it leaves `'` as it is in text; it is written `&#39;` too (the same character in
    text and in the double-quoted attributes markdown-it writes), so no fragment of it can
    close a single-quoted attribute wherever the HTML is pasted. A table column's alignment
    becomes a class (`align-right`), not an inline style a strict CSP would refuse.
    """
    out = str(_parser().render(text)).replace("'", "&#39;")
    return _ALIGN.sub(r' class="align-\1"', out)


def page_html(record: Record, *, external: bool = False) -> str:
    """The postmortem as a standalone HTML page ("" when none has been drafted)."""
    text = markdown(record, external=external)
    return html_page_of(text) if text else ""


def html_page_of(text: str) -> str:
    """A postmortem's Markdown as a standalone HTML page, titled by its first heading."""
    head = text.splitlines()[0].removeprefix("# ")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(head)}</title>\n</head>\n<body>\n"
        f"{markdown_html(text)}</body>\n</html>\n"
    )
