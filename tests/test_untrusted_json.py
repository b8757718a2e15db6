"""Outside JSON is decoded within a depth and size limit, brackets in strings not counted."""

from __future__ import annotations

import pytest

from fireline import untrusted_json
from fireline.errors import InvalidCommandError


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[{{{{"}', 1),
        ('["\\"[[[", []]', 2),
        ("[" * 10, 10),
    ],
)
def test_nesting_depth_ignores_brackets_inside_strings(text: str, depth: int) -> None:
    assert untrusted_json.nesting_depth(text) == depth


def test_loads_decodes_what_fits_and_refuses_the_rest_naming_the_source() -> None:
    assert untrusted_json.loads('{"a": [1]}', source="alert") == {"a": [1]}
    with pytest.raises(
        InvalidCommandError, match="^alert nests JSON 3 levels deep; the limit is 2"
    ):
        untrusted_json.loads("[[[]]]", source="alert", max_depth=2)
    with pytest.raises(InvalidCommandError, match="^alert is 6 characters of JSON; the limit is 5"):
        untrusted_json.loads("[1, 2]", source="alert", max_chars=5)
    with pytest.raises(InvalidCommandError, match="^alert is not valid JSON"):
        untrusted_json.loads("{nope", source="alert")
