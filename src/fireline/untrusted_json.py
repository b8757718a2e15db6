"""JSON from outside fireline (alert payloads), decoded within limits. Pure: text in, data out.

Python's decoder recurses once per nesting level and holds the whole document in memory, so a
deeply nested or huge document would end in a RecursionError or exhaust memory instead of a
clear refusal. The limits here are far above any real alert and far below either failure.
"""

from __future__ import annotations

import json
import re

from fireline.errors import InvalidCommandError

MAX_DEPTH = 64
MAX_CHARS = 4 * 1024 * 1024


def loads(
    text: str, *, source: str, max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS
) -> object:
    """Decode `text`; InvalidCommandError naming `source` if it is too big, too deep or not JSON."""
    if len(text) > max_chars:
        raise InvalidCommandError(
            f"{source} is {len(text)} characters of JSON; the limit is {max_chars}"
        )
    depth = nesting_depth(text)
    if depth > max_depth:
        raise InvalidCommandError(
            f"{source} nests JSON {depth} levels deep; the limit is {max_depth}"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidCommandError(f"{source} is not valid JSON: {exc}") from None
    except ValueError as exc:  # a number too long to convert
        raise InvalidCommandError(f"{source} is not usable JSON: {exc}") from None


# A JSON string (or an unterminated one, to the end) and any run of non-bracket characters:
# removed in C before the Python loop, which then sees only the brackets that count.
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, brackets inside strings ignored.

    A linear scan that needs no valid JSON: it only has to bound what the decoder will face.
    Strings and everything but brackets are dropped by regular expressions first (an alert
    delivery is mostly strings), so the loop walks brackets only.
    """
    depth = deepest = 0
    for char in _NOT_BRACKETS.sub("", _STRINGS.sub("", text)):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
