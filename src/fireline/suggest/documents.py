"""From runbook files to index entries: which files count, and the fields ranking reads.

Pure apart from reading the folder it is given. A runbook's Signals / Detection and Summary
sections are its "signals" field, what an alert's text is matched against first; an imported
four-section runbook has no Signals / Detection, so its Meaning (mapped to Summary) plays that
part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fireline.errors import InvalidCommandError
from fireline.runbooks import Runbook, parse_runbook
from fireline.runbooks.files import runbook_files
from fireline.suggest.passages import Passage, split_passages
from fireline.suggest.rank import Document
from fireline.suggest.text import normalise_name, split_identifier, terms, words

# When it fires and what it is: the sections an alert's own words describe.
SIGNAL_SECTIONS = ("Signals / Detection", "Summary")
# Folder pages, named after their folder; which of them are read is the `runbook_index_pages`
# setting.
FOLDER_PAGE_STEMS = frozenset({"readme", "index"})
# Front-matter keys that say whose runbook it is (`owner`, `owner_slack`, `team`): an alert's
# team label is matched against them.
OWNER_KEYS = ("owner", "team")


@dataclass(frozen=True)
class Entry:
    """One runbook as stored in the index: identity, digest, analysed fields, full-text words."""

    path: str
    id: str
    title: str
    sha256: str
    names: tuple[str, ...]
    alerts: tuple[str, ...]
    fields: Mapping[str, Sequence[str]]
    content: str
    passages: tuple[tuple[str, ...], ...] = ()

    def document(self) -> Document:
        return Document(
            self.path, self.id, self.title, self.names, self.alerts, self.fields, self.passages
        )


def discover(folder: Path, *, folder_pages: Sequence[str] = ()) -> list[Path]:
    """The runbook files under `folder`, sorted; InvalidCommandError if it is not a folder."""
    if not folder.is_dir():
        raise InvalidCommandError(f"runbook folder {folder} does not exist or is not a folder")
    return runbook_files(folder, folder_pages=folder_pages)


def read_entries(folder: Path, *, folder_pages: Sequence[str] = ()) -> list[Entry]:
    """Parse every runbook under `folder` into an index entry; nothing is stored here.

    `folder_pages` names the README-like files (`README.md`, `index.md`) that are a subfolder's
    runbook. InvalidCommandError if the folder holds no runbook or a file is not UTF-8 text.
    """
    entries = []
    for path in discover(folder, folder_pages=folder_pages):
        relative = path.relative_to(folder).as_posix()
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except OSError as exc:
            raise InvalidCommandError(
                f"cannot read runbook {relative}: {exc.strerror or exc}"
            ) from None
        except UnicodeDecodeError:
            raise InvalidCommandError(f"runbook {relative} is not UTF-8 text") from None
        entries.append(entry(parse_runbook(text, path=relative), sha256=_digest(raw)))
    if not entries:
        raise InvalidCommandError(f"no runbooks (*.md) in {folder}")
    return entries


def entry(runbook: Runbook, *, sha256: str) -> Entry:
    """The index entry of a parsed runbook whose `path` is relative to the indexed folder.

    The text comes from every passage of the body (`passages.py`), not only its `##`
    sections: the preamble, every heading level and a body without headings all count.
    """
    where_path = PurePosixPath(runbook.path)
    stem = where_path.stem
    # A folder page (`payments/README.md`) is named by its folder, not "README".
    folder_page = stem.lower() in FOLDER_PAGE_STEMS and len(where_path.parts) > 1
    own_name = where_path.parent.name if folder_page else stem
    own_id = "" if folder_page and runbook.id == stem else runbook.id
    names = tuple(dict.fromkeys(n for n in (*runbook.alerts, own_name, own_id) if n))
    own = (own_name, own_id)
    body = "\n".join(runbook.text.replace("\r", "").split("\n")[runbook.body_line - 1 :])
    passages = split_passages(body)
    signal_titles = {
        s.title for s in dict.fromkeys(runbook.section(n) for n in SIGNAL_SECTIONS) if s
    }
    if signal_titles:
        signals = [p for p in passages if p.level == 2 and p.heading in signal_titles]
    else:
        # No Signals / Summary section: the lead (text before the first `##`) says what it is.
        first = next((n for n, p in enumerate(passages) if p.level >= 2), len(passages))
        signals = passages[:first]
    signal_text = "\n".join(p.text for p in signals)
    others = [_passage_text(p, runbook.title) for p in passages if p not in signals]
    name_words = " ".join(" ".join(split_identifier(n)) for n in names)
    folder = where_path.parent.as_posix()
    owners = [as_text(v) for k, v in runbook.front_matter.items() if k.startswith(OWNER_KEYS)]
    where = " ".join((*runbook.tags, *runbook.services, *owners, "" if folder == "." else folder))
    fields = {
        "title": terms(f"{runbook.title} {name_words}"),
        "signals": terms(signal_text),
        "tags": terms(where),
        "body": terms("\n".join(others)),
    }
    sections = tuple(tuple(t) for p in passages if (t := terms(_passage_text(p, runbook.title))))
    # The full-text engine sees identifiers split as fireline splits them (CrashLoopBackOff →
    # crash loop back off), so its matches and fireline's ranking agree on what a word is.
    content = " ".join(words("\n".join((runbook.title, name_words, signal_text, *others))))
    return Entry(
        path=runbook.path,
        id=runbook.id,
        title=runbook.title,
        sha256=sha256,
        names=tuple(dict.fromkeys(normalise_name(n) for n in own if n)),
        alerts=tuple(dict.fromkeys(normalise_name(n) for n in runbook.alerts if n)),
        fields=fields,
        content=content,
        passages=sections,
    )


def as_text(value: object) -> str:
    """A front-matter value as words: lists joined, anything else as written."""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def _passage_text(passage: Passage, title: str) -> str:
    heading = "" if passage.level == 1 and passage.heading == title else passage.heading
    return f"{heading}\n{passage.text}".strip()


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
