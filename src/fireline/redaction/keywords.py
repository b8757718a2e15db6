"""The pre-filter: every rule keyword found in one pass over a text, with the lines holding it.

Keywords are compiled into one trie-shaped expression, so a text is scanned once whatever the
number of rules (checking each keyword on its own costs a pass per keyword). Every occurrence
counts, overlapping ones included: a keyword the index missed would switch its rules off, so
the index errs on finding too much, never too little. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _trie_pattern(words: Iterable[str]) -> str:
    """One expression matching, at any position, the longest keyword that starts there."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:  # type: ignore[type-arg]
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


class KeywordIndex:
    """Finds which keywords occur in a lowercased text and the starts of the lines holding them."""

    def __init__(self, keywords: Iterable[str]) -> None:
        words = sorted({k for k in keywords if k})
        self._pattern = re.compile(_trie_pattern(words), re.DOTALL) if words else None
        # The longest keyword at a position also stands for the keywords it starts with.
        self._prefixes = {w: tuple(k for k in words if w.startswith(k)) for w in words}

    def lines(self, lower: str) -> dict[str, list[int]]:
        """keyword → sorted starts of the lines of `lower` that hold it (absent: none do)."""
        found: dict[str, list[int]] = {}
        if self._pattern is None:
            return found
        search = self._pattern.search
        pos = 0
        line_start = 0
        line_end = lower.find("\n")
        while True:
            match = search(lower, pos)
            if match is None:
                return found
            at = match.start()
            if line_end != -1 and at > line_end:
                line_start = lower.rfind("\n", 0, at) + 1
                line_end = lower.find("\n", at)
            for keyword in self._prefixes[match.group()]:
                starts = found.setdefault(keyword, [])
                if not starts or starts[-1] != line_start:
                    starts.append(line_start)
            pos = at + 1
