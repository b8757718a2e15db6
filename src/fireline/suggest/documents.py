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
from pathlib import Path

from fireline.errors import InvalidCommandError
from fireline.runbooks import Runbook, parse_runbook
from fireline.runbooks.files import runbook_files
from fireline.suggest.rank import Document
from fireline.suggest.text import normalise_name, split_identifier, terms, words

# When it fires and what it is: the sections an alert's own words describe.
SIGNAL_SECTIONS = ("Signals / Detection", "Summary")


# Not runbooks: Hugo/Jekyll section pages and partials (`_index.md`), hidden files, and the
# files a repository keeps beside its runbooks.
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

    def document(self) -> Document:
        return Document(self.path, self.id, self.title, self.names, self.alerts, self.fields)


def discover(folder: Path) -> list[Path]:
    """The runbook files under `folder`, sorted; InvalidCommandError if it is not a folder."""
    if not folder.is_dir():
        raise InvalidCommandError(f"runbook folder {folder} does not exist or is not a folder")
    return runbook_files(folder)


def read_entries(folder: Path) -> list[Entry]:
    """Parse every runbook under `folder` into an index entry; nothing is stored here.

    InvalidCommandError if the folder holds no runbook or a file is not UTF-8 text.
    """
    entries = []
    for path in discover(folder):
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
    """The index entry of a parsed runbook whose `path` is relative to the indexed folder."""
    stem = Path(runbook.path).stem
    names = tuple(dict.fromkeys(n for n in (*runbook.alerts, stem, runbook.id) if n))
    own = (stem, runbook.id)
    signals = [s for s in dict.fromkeys(runbook.section(n) for n in SIGNAL_SECTIONS) if s]
    signal_text = "\n".join(s.body for s in signals)
    others = [s.body for s in runbook.sections if s not in signals]
    name_words = " ".join(" ".join(split_identifier(n)) for n in names)
    folder = Path(runbook.path).parent.as_posix()
    where = " ".join((*runbook.tags, *runbook.services, "" if folder == "." else folder))
    fields = {
        "title": terms(f"{runbook.title} {name_words}"),
        "signals": terms(signal_text),
        "tags": terms(where),
        "body": terms("\n".join(others)),
    }
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
    )


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
