"""The postmortem as a fold of its events: template, both versions' sections, review state.

One fold serves the projection (the `postmortems` row keeps it as JSON) and the export (the
record folds the exported events through it), so the CLI, the web page and `90_postmortem/`
show the same document and `verify` can re-render it offline. Pure: no I/O, no clock.

A document is plain JSON data: `{"template", "drafted_by", "drafted_at", "through_seq",
"due", "owner", "overdue": [due…], "internal": Version, "external": Version}` where a Version
is `{"state", "sections": [{"name", "text", "edited_by", "edited_seq"}], "generated": {name:
text}, "reviewers", "approvals", "authors", "submitted_at", "approved_at", "published_at"}`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Doc = dict[str, Any]
DRAFT, IN_REVIEW, APPROVED, PUBLISHED = "draft", "in review", "approved", "published"
STATES = (DRAFT, IN_REVIEW, APPROVED, PUBLISHED)
TRACKS = ("internal", "external")


def track(external: bool) -> str:
    return "external" if external else "internal"


def empty() -> Doc:
    return {
        "template": None,
        "drafted_by": None,
        "drafted_at": None,
        "through_seq": None,
        "due": None,
        "owner": None,
        "overdue": [],
        "link": None,
        "internal": _version(),
        "external": _version(),
    }


def _version() -> dict[str, Any]:
    return {
        "state": None,
        "sections": [],
        "generated": {},
        "reviewers": [],
        "approvals": [],
        "authors": [],
        "submitted_at": None,
        "approved_at": None,
        "published_at": None,
    }


def apply(doc: Doc, kind: str, payload: Mapping[str, Any], *, actor: str, ts: str, seq: int) -> Doc:
    """A new document with one event folded in (kinds other than postmortem.* change nothing)."""
    doc = copy.deepcopy(doc)
    p = payload
    if kind == "postmortem.scheduled":
        doc["due"], doc["owner"] = p["due"], p["owner"]
    elif kind == "postmortem.drafted":
        doc.update(template=p["template"], drafted_by=actor, drafted_at=ts)
        doc["through_seq"] = p["through_seq"]
        for name, key in (("internal", "sections"), ("external", "external_sections")):
            _redraft(doc[name], p[key], actor)
    elif kind == "postmortem.edited":
        version = doc[track(bool(p.get("external")))]
        for section in version["sections"]:
            if section["name"] == p["section"]:
                section.update(text=p["text"], edited_by=actor, edited_seq=seq)
        _add(version["authors"], actor)
        if p.get("reopened"):
            _reopen(version)
    elif kind == "postmortem.submitted":
        version = doc[track(bool(p.get("external")))]
        version.update(state=IN_REVIEW, reviewers=list(p["reviewers"]), approvals=[])
        version["submitted_at"] = ts
        _add(version["authors"], actor)
    elif kind == "postmortem.approved":
        version = doc[track(bool(p.get("external")))]
        _add(version["approvals"], actor)
        if p.get("complete"):
            version.update(state=APPROVED, approved_at=ts)
    elif kind == "postmortem.published":
        version = doc[track(bool(p.get("external")))]
        version.update(state=PUBLISHED, published_at=ts)
    elif kind == "postmortem.completed":  # written elsewhere: `postmortem done --link`
        doc["link"] = p["link"]
    elif kind == "postmortem.overdue":
        _add(doc["overdue"], p["due"])
    return doc


def _redraft(version: dict[str, Any], sections: list[Mapping[str, Any]], actor: str) -> None:
    """Generated text replaces generated text; a section a human edited keeps its edit."""
    edited = {s["name"]: s for s in version["sections"] if s.get("edited_by")}
    version["sections"] = [
        dict(edited[s["name"]])
        if s["name"] in edited
        else {"name": s["name"], "text": s["text"], "edited_by": None, "edited_seq": None}
        for s in sections
    ]
    version["generated"] = {s["name"]: s["text"] for s in sections}
    _add(version["authors"], actor)
    _reopen(version)


def _reopen(version: dict[str, Any]) -> None:
    version.update(state=DRAFT, approvals=[], approved_at=None, submitted_at=None)


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def section_names(doc: Doc) -> list[str]:
    return [s["name"] for s in doc["internal"]["sections"]]


def find_section(doc: Doc, name: str, *, external: bool) -> str | None:
    """The canonical name of section `name` (any case, surrounding space ignored), or None."""
    wanted = " ".join(name.split()).casefold()
    for section in doc[track(external)]["sections"]:
        if section["name"].casefold() == wanted:
            return str(section["name"])
    return None


def external_text(doc: Doc) -> list[tuple[str, str]]:
    """The external version's sections before sanitising: its own edit, else the internal
    section's human edit (the sanitiser then strips it), else its generated text."""
    internal = {s["name"]: s for s in doc["internal"]["sections"]}
    out = []
    for section in doc["external"]["sections"]:
        own = section.get("edited_by")
        mirror = internal.get(section["name"])
        if not own and mirror is not None and mirror.get("edited_by"):
            out.append((section["name"], str(mirror["text"])))
        else:
            out.append((section["name"], str(section["text"])))
    return out


def is_overdue(doc: Doc, today: str) -> bool:
    """Due before `today` (YYYY-MM-DD) and the internal version not yet published."""
    due = doc.get("due")
    done = doc["internal"]["state"] == PUBLISHED or doc.get("link") is not None
    return due is not None and due < today and not done
