"""Pure: the status page as an Atom feed (RFC 4287), one entry per public update.

Built with the standard library's ElementTree, which escapes every text and attribute; the
entries carry only what the page shows (the 004 wording of each public update).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from fireline.statuspage.model import StatusPage

ATOM = "http://www.w3.org/2005/Atom"


def atom(page: StatusPage, url: str) -> bytes:
    """The feed document; `url` is the page's absolute address."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    root = ET.Element(f"{{{ATOM}}}feed")
    sub(root, "id", f"{url}#feed")
    sub(root, "title", page.title)
    sub(root, "updated", page.generated_at)
    sub(root, "link", href=url)
    sub(root, "link", rel="self", href=f"{url}/feed.atom")
    sub(sub(root, "author"), "name", page.title)
    entries = [(incident, update) for incident in page.incidents for update in incident.updates]
    entries.sort(key=lambda pair: pair[1].at, reverse=True)
    for incident, update in entries[:100]:
        entry = sub(root, "entry")
        sub(entry, "id", f"{url}#{incident.id}-{update.number}")
        sub(entry, "title", f"{incident.name}: {update.status}")
        sub(entry, "updated", update.at)
        sub(entry, "link", href=f"{url}#{incident.id}")
        sub(entry, "content", update.body, type="text")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
