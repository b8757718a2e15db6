"""The redactor: secrets out of text and streams, typed placeholders in, findings counted.

Secrets are replaced by `[REDACTED:<type>#<n>]`, where n numbers the distinct values of that
type within one text (or one stream), so a repeated secret keeps its placeholder. The secret
values themselves are never kept: numbering is keyed on a digest. PII and coordinates are only
detected here (`sensitive`); they stay in the text and are masked by views (`pii.mask`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fireline.redaction import pii
from fireline.redaction.rules import BUILTIN_RULES, PEM_END, PRIVATE_KEY, Rule

if TYPE_CHECKING:
    from fireline.config import Settings

_PLACEHOLDER = re.compile(r"\[REDACTED:([a-z0-9][a-z0-9._-]*)#(\d+)\]")
_PLACEHOLDER_MARK = "[REDACTED:"
# Streams are redacted in pieces of about this many characters, cut at line ends.
CHUNK = 1 << 20


@dataclass(frozen=True, order=True)
class Finding:
    """A type of secret and how many times it was replaced (never the value)."""

    type: str
    count: int


@dataclass(frozen=True)
class Redacted:
    """A redacted text, what was replaced in it, and which kinds of PII it still holds."""

    text: str
    findings: tuple[Finding, ...]
    sensitive: frozenset[str]

    @property
    def summary(self) -> dict[str, int]:
        """Types and counts, the shape events record."""
        return {f.type: f.count for f in self.findings}


@dataclass(frozen=True)
class StreamResult:
    """What `redact_stream` replaced and found; the text went to the destination stream."""

    findings: tuple[Finding, ...]
    sensitive: frozenset[str]
    bytes_in: int
    bytes_out: int

    @property
    def summary(self) -> dict[str, int]:
        return {f.type: f.count for f in self.findings}


@dataclass
class _Numbering:
    """Placeholder numbers per type, keyed by a digest of the value (the value is not kept)."""

    numbers: dict[tuple[str, bytes], int] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def placeholder(self, kind: str, value: str) -> str:
        key = (
            kind,
            hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
        )
        number = self.numbers.get(key)
        if number is None:
            number = self.numbers[key] = self.last[kind] = self.last.get(kind, 0) + 1
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return f"[REDACTED:{kind}#{number}]"

    def reserve(self, text: str) -> None:
        """Numbers already used by placeholders in `text` are not handed out again."""
        for match in _PLACEHOLDER.finditer(text):
            kind, number = match.group(1), int(match.group(2))
            self.last[kind] = max(self.last.get(kind, 0), number)

    def findings(self) -> tuple[Finding, ...]:
        return tuple(sorted(Finding(kind, n) for kind, n in self.counts.items()))


class Redactor:
    """Built-in rules plus any extra (gitleaks-format) rules, applied in one pass per text."""

    def __init__(self, extra_rules: Iterable[Rule] = ()) -> None:
        self.rules: tuple[Rule, ...] = (*BUILTIN_RULES, *extra_rules)
        # Every distinct keyword once: a text is checked for each before any rule runs.
        self._keywords = tuple(sorted({k for rule in self.rules for k in rule.keywords}))
        self._unkeyed = any(not rule.keywords for rule in self.rules)

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        """The built-in rules plus `settings.redaction_rules`; ConfigError on a bad rule file."""
        if settings.redaction_rules is None:
            return cls()
        from fireline.redaction.gitleaks import load_rules

        return cls(load_rules(Path(settings.redaction_rules)))

    def redact(self, text: str) -> Redacted:
        """Replace every secret in `text`; report types and counts and the PII kinds present."""
        numbering = _Numbering()
        clean, _ = self._redact_piece(text, numbering, in_pem=False)
        return Redacted(clean, numbering.findings(), pii.detect(clean))

    def redact_stream(self, src: BinaryIO, dst: BinaryIO) -> StreamResult:
        """Redact bytes from `src` to `dst` in line-aligned pieces, in constant memory.

        Bytes that are not UTF-8 pass through unchanged (decoded with surrogateescape). A private
        key block may span pieces: everything from its BEGIN line to its END line is replaced by
        one placeholder; a block that never ends is redacted to the end of the stream.
        """
        numbering = _Numbering()
        sensitive: set[str] = set()
        in_pem = False
        bytes_in = bytes_out = 0
        carry = b""
        while True:
            block = src.read(CHUNK)
            bytes_in += len(block)
            data = carry + block
            if not block:
                piece, carry = data, b""
            else:
                cut = data.rfind(b"\n") + 1
                if cut == 0 and len(data) > 4 * CHUNK:
                    cut = _soft_cut(data)
                piece, carry = data[:cut], data[cut:]
            if piece:
                text = piece.decode("utf-8", "surrogateescape")
                clean, in_pem = self._redact_piece(text, numbering, in_pem=in_pem)
                sensitive |= pii.detect(clean, skip=frozenset(sensitive))
                out = clean.encode("utf-8", "surrogateescape")
                dst.write(out)
                bytes_out += len(out)
            if not block:
                return StreamResult(numbering.findings(), frozenset(sensitive), bytes_in, bytes_out)

    def _redact_piece(self, text: str, numbering: _Numbering, *, in_pem: bool) -> tuple[str, bool]:
        """Redact one piece; `in_pem` says a private key block opened in an earlier piece."""
        if in_pem:
            closing = PEM_END.search(text)
            if closing is None:
                return "", True  # the whole piece is inside the key block
            text = text[closing.end() :]
        if _PLACEHOLDER_MARK in text:
            numbering.reserve(text)
        spans = self._find(text)
        parts: list[str] = []
        pos = 0
        still_open = False
        for start, end, kind in spans:
            parts.append(text[pos:start])
            parts.append(numbering.placeholder(kind, text[start:end]))
            pos = end
            if kind == PRIVATE_KEY.id and not PEM_END.search(text, start, end):
                still_open = True
        parts.append(text[pos:])
        return "".join(parts), still_open

    def _find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping secret spans (start, end, type), left to right."""
        lower = text.lower()
        aligned = len(lower) == len(text)  # some characters lowercase to two
        guarded = (
            [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
            if _PLACEHOLDER_MARK in text
            else []
        )
        found: list[tuple[int, int, int, str]] = []
        lines: dict[str, list[int]] = {}
        present = {k for k in self._keywords if k in lower} if aligned else None
        if present is not None and not present and not self._unkeyed:
            return []
        for priority, rule in enumerate(self.rules):
            if present is not None and rule.keywords and present.isdisjoint(rule.keywords):
                continue  # none of its keywords occurs: the rule cannot match
            for match in _matches(rule, text, lower, aligned, lines):
                span = rule.secret_span(match)
                if span is None:
                    continue
                start, end = span
                if any(s < end and start < e for s, e in guarded):
                    continue
                found.append((start, -end, priority, rule.kind(match)))
        found.sort()
        spans: list[tuple[int, int, str]] = []
        last_end = 0
        for start, neg_end, _, kind in found:
            if start >= last_end:
                spans.append((start, -neg_end, kind))
                last_end = -neg_end
        return spans


def _matches(
    rule: Rule, text: str, lower: str, aligned: bool, lines: dict[str, list[int]]
) -> Iterable[re.Match[str]]:
    """The rule's matches, searched only on the lines that hold one of its keywords.

    `lines` caches, per keyword, the starts of the lines holding it: rules share keywords.
    """
    if not rule.keywords:
        yield from rule.pattern.finditer(text)
        return
    if not aligned:
        if any(k in lower for k in rule.keywords):
            yield from rule.pattern.finditer(text)
        return
    starts: set[int] = set()
    for keyword in rule.keywords:
        found = lines.get(keyword)
        if found is None:
            found = lines[keyword] = _lines_with(lower, keyword)
        starts.update(found)
    if not starts:
        return
    if rule.multiline:
        yield from rule.pattern.finditer(text, min(starts))
        return
    for start in sorted(starts):
        end = text.find("\n", start)
        yield from rule.pattern.finditer(text, start, len(text) if end == -1 else end)


def _lines_with(lower: str, keyword: str) -> list[int]:
    """Where the lines holding `keyword` start."""
    starts = []
    at = lower.find(keyword)
    while at != -1:
        starts.append(lower.rfind("\n", 0, at) + 1)
        end = lower.find("\n", at)
        if end == -1:
            break
        at = lower.find(keyword, end)
    return starts


def _soft_cut(data: bytes) -> int:
    """Where to cut a very long line: after its last whitespace, else in the middle."""
    for sep in (b" ", b"\t", b","):
        cut = data.rfind(sep, 0, 4 * CHUNK) + 1
        if cut:
            return cut
    return 4 * CHUNK
