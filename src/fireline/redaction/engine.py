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

from fireline.errors import RedactionError
from fireline.redaction import pii
from fireline.redaction.keywords import KeywordIndex
from fireline.redaction.rules import BUILTIN_RULES, PEM_END, PRIVATE_KEY, Rule

if TYPE_CHECKING:
    from fireline.config import Settings

_PLACEHOLDER = re.compile(r"\[REDACTED:([a-z0-9][a-z0-9._-]*)#(\d+)\]")
_PLACEHOLDER_MARK = "[REDACTED:"
# Streams are redacted in pieces of about this many characters, cut at line ends.
CHUNK = 1 << 20
# Redact, re-check the output, redact what is still found: at most this many times.
MAX_PASSES = 4
_MIN_SLIVER = 4


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
    """Extra (gitleaks-format) rules and the built-in rules; the extra rules name what both
    claim, since a team's own rule is the more specific one."""

    def __init__(self, extra_rules: Iterable[Rule] = ()) -> None:
        self.rules: tuple[Rule, ...] = (*extra_rules, *BUILTIN_RULES)
        # Every distinct keyword, found in one pass before any rule runs.
        self._index = KeywordIndex(k for rule in self.rules for k in rule.keywords)
        self._unkeyed = any(not rule.keywords for rule in self.rules)
        self._pair_keywords = tuple(
            {k.encode() for rule in self.rules if rule.extra_lines for k in rule.keywords}
        )

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
                cut = self._cut(data)
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

    def _cut(self, data: bytes) -> int:
        """Where to end a stream piece: after its last line, or before it when a two-line rule
        (`name: X_TOKEN` / `value: …`) could start there, so the pair stays in one piece."""
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            return _soft_cut(data) if len(data) > 4 * CHUNK else 0
        before = data.rfind(b"\n", 0, cut - 1) + 1
        if before and any(k in data[before:cut].lower() for k in self._pair_keywords):
            return before
        return cut

    def _redact_piece(self, text: str, numbering: _Numbering, *, in_pem: bool) -> tuple[str, bool]:
        """Redact one piece; `in_pem` says a private key block opened in an earlier piece.

        Then the output is checked again with every rule, and anything still found is replaced,
        until nothing is found: no rule sees a secret in what is stored. Only the lines around
        each replacement are checked again: a rule reads one line (a multi-line rule reads on
        from its own start, which a placeholder cannot create), so nothing else can change. A
        text that does not settle within MAX_PASSES is refused (RedactionError), not stored.
        """
        if in_pem:
            closing = PEM_END.search(text)
            if closing is None:
                return "", True  # the whole piece is inside the key block
            text = text[closing.end() :]
        if _PLACEHOLDER_MARK in text:
            numbering.reserve(text)
        spans = self._find(text)
        still_open = False
        for _ in range(MAX_PASSES):
            if not spans:
                return text, still_open
            text, windows, opened = _replace(text, spans, numbering)
            still_open = still_open or opened
            spans = [
                (lo + start, lo + end, kind)
                for lo, hi in windows
                for start, end, kind in self._find(text[lo:hi])
            ]
        if not spans:
            return text, still_open
        raise RedactionError(
            f"redaction did not settle after {MAX_PASSES} passes (its output still matched a "
            "secret rule); nothing was written"
        )

    def _find(self, text: str) -> list[tuple[int, int, str]]:
        """Secret spans (start, end, type), left to right; overlapping claims are merged.

        Placeholders already in the text are never matched again, but what a match holds
        outside them still counts: nothing a rule finds is left because it touches one.
        """
        lower = text.lower()
        aligned = len(lower) == len(text)  # some characters lowercase to two
        guarded = (
            [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
            if _PLACEHOLDER_MARK in text
            else []
        )
        found: list[tuple[int, int, int, str]] = []
        lines = self._index.lines(lower)
        if not lines and not self._unkeyed:
            return []
        for priority, rule in enumerate(self.rules):
            if rule.keywords and not any(k in lines for k in rule.keywords):
                continue  # none of its keywords occurs: the rule cannot match
            for lo, hi in _regions(rule, text, aligned, lines):
                candidates = (
                    _anchored_spans(rule, rule.anchor, text, lower, lo, hi)
                    if rule.anchor is not None and aligned
                    else _spans(rule, text, lo, hi)
                )
                for match, start, end in candidates:
                    kind = rule.kind(match)
                    for piece_start, piece_end in _outside((start, end), guarded):
                        found.append((piece_start, -piece_end, priority, kind))
        found.sort()
        spans: list[tuple[int, int, str]] = []
        for start, neg_end, _, kind in found:
            end = -neg_end
            if spans and start < spans[-1][1]:
                last_start, last_end, last_kind = spans[-1]
                spans[-1] = (last_start, max(last_end, end), last_kind)
            else:
                spans.append((start, end, kind))
        return spans


def _replace(
    text: str, spans: list[tuple[int, int, str]], numbering: _Numbering
) -> tuple[str, list[tuple[int, int]], bool]:
    """`text` with `spans` replaced by placeholders; the windows to check again (each
    placeholder's line with the lines before and after, merged), and whether a private key
    block was left open."""
    parts: list[str] = []
    placed: list[tuple[int, int]] = []
    pos = size = 0
    still_open = False
    for start, end, kind in spans:
        before = text[pos:start]
        placeholder = numbering.placeholder(kind, text[start:end])
        parts += (before, placeholder)
        size += len(before)
        placed.append((size, size + len(placeholder)))
        size += len(placeholder)
        pos = end
        if kind == PRIVATE_KEY.id and not PEM_END.search(text, start, end):
            still_open = True
    parts.append(text[pos:])
    out = "".join(parts)
    windows: list[tuple[int, int]] = []
    for start, end in placed:
        lo = out.rfind("\n", 0, max(out.rfind("\n", 0, start), 0)) + 1
        after = out.find("\n", end)
        hi = len(out) if after == -1 else out.find("\n", after + 1)
        hi = len(out) if hi == -1 else hi
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, hi))
    return out, windows, still_open


def _outside(span: tuple[int, int], guarded: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of `span` outside the placeholders in `guarded` (sorted, not overlapping)."""
    start, end = span
    parts = []
    for g_start, g_end in guarded:
        if g_end <= start or g_start >= end:
            continue
        if g_start > start:
            parts.append((start, g_start))
        start = max(start, g_end)
    if start < end:
        parts.append((start, end))
    # A sliver between a placeholder and a separator is punctuation, not a secret.
    return [(s, e) for s, e in parts if e - s >= _MIN_SLIVER or (s, e) == span]


def _regions(
    rule: Rule, text: str, aligned: bool, lines: dict[str, list[int]]
) -> Iterable[tuple[int, int]]:
    """Where to search for the rule: the lines that hold one of its keywords (`lines`)."""
    if not rule.keywords or not aligned:
        yield 0, len(text)  # unkeyed, or offsets in the lowercased text do not line up
        return
    starts: set[int] = set()
    for keyword in rule.keywords:
        starts.update(lines.get(keyword, ()))
    if not starts:
        return
    if rule.multiline:
        yield min(starts), len(text)
        return
    for start in sorted(starts):
        end = start - 1
        for _ in range(1 + rule.extra_lines):
            end = text.find("\n", end + 1)
            if end == -1:
                break
        yield start, len(text) if end == -1 else end


def _spans(rule: Rule, text: str, lo: int, hi: int) -> Iterable[tuple[re.Match[str], int, int]]:
    """The rule's secret spans in text[lo:hi], with their matches.

    A match that turns out not to hold a secret (`password = os.environ.get(…) or "v"`) is
    searched again from its next character, so it cannot hide a secret it overlaps.
    """
    pos = lo
    while pos < hi:
        match = rule.pattern.search(text, pos, hi)
        if match is None:
            return
        span = rule.secret_span(match)
        if span is None:
            pos = match.start() + 1
            continue
        yield match, span[0], span[1]
        pos = max(match.end(), match.start() + 1)


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.$@-")
_OPENERS = frozenset("\"'`[")


def _anchored_spans(
    rule: Rule, anchor: re.Pattern[str], text: str, lower: str, lo: int, hi: int
) -> Iterable[tuple[re.Match[str], int, int]]:
    """Like `_spans` for a rule whose every match begins with the word holding `anchor`.

    The anchor is searched in the lowercased text (several times faster than a
    case-insensitive search), and the rule is tried only where that word starts: its match
    cannot start anywhere else, so nothing is missed.
    """
    tried: set[int] = set()
    last_end = lo
    for found in anchor.finditer(lower, lo, hi):
        start = found.start()
        while start > lo and found.start() - start < 64 and lower[start - 1] in _WORD_CHARS:
            if lower[start - 1] in "nrt" and start - 2 >= lo and lower[start - 2] == "\\":
                break  # `\npassword=…` in JSON-escaped text: the key starts after the escape
            start -= 1
        candidates = [start]
        if start > lo and lower[start - 1] in _OPENERS:
            candidates.insert(0, start - 1)
            if start - 1 > lo and lower[start - 2] == "\\":
                candidates.insert(0, start - 2)
        for at in candidates:
            if at in tried or at < last_end:
                continue
            tried.add(at)
            match = rule.pattern.match(text, at, hi)
            if match is None:
                continue
            span = rule.secret_span(match)
            if span is not None:
                yield match, span[0], span[1]
                last_end = match.end()
                break


def _soft_cut(data: bytes) -> int:
    """Where to cut a very long line: after its last whitespace, else in the middle."""
    for sep in (b" ", b"\t", b","):
        cut = data.rfind(sep, 0, 4 * CHUNK) + 1
        if cut:
            return cut
    return 4 * CHUNK
