"""The wire format: every command has a route, and the codecs round-trip and refuse strictly."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline import commands, wire
from fireline.domain import IncidentId
from fireline.errors import InvalidCommandError
from fireline.ledger.chain import Event

INC = IncidentId("INC-20261123-001")
PATH = {"incident_id": INC, "number": "3", "exception_seq": "4", "grant_seq": "5", "name": "bob"}


def command_classes() -> list[type[Any]]:
    members = typing.get_args(commands.Command)
    assert members, "commands.Command is a union of every command class"
    return list(members)


def test_every_command_an_adapter_sends_has_one_route() -> None:
    sent = [
        cls
        for cls in command_classes()
        if cls not in wire.INTERNAL and cls not in wire.ACCOUNT_COMMANDS
    ]
    assert sorted(c.__name__ for c in sent) == sorted(r.command.__name__ for r in wire.ROUTES)
    assert len({(r.method, r.path) for r in wire.ROUTES}) == len(wire.ROUTES)


def test_internal_commands_are_refused_by_the_codec() -> None:
    record = commands.RecordAccess(incident_id=INC, view="show")
    with pytest.raises(InvalidCommandError, match="not sent over the API"):
        wire.to_request(record)
    with pytest.raises(InvalidCommandError, match="not sent over the API"):
        wire.command_from_json(commands.RecordAccess, {"view": "show"}, PATH)


def test_every_body_field_has_a_wire_type() -> None:
    for route in wire.ROUTES:
        schema = wire.body_schema(route)
        assert schema["additionalProperties"] is False
        for name, member in schema["properties"].items():
            assert member, f"{route.command.__name__}.{name} has no schema"
        hints = typing.get_type_hints(route.command)
        for name in route.path_fields:
            assert name in hints, f"{route.path} names {name}, not a field"


def value_for(tp: Any) -> st.SearchStrategy[Any]:
    text = st.text(max_size=20)
    base = wire._without_none(tp)
    strategy: st.SearchStrategy[Any]
    if base is datetime:
        strategy = st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        )
    elif base is date:
        strategy = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
    elif base is timedelta:
        strategy = st.integers(0, 10**6).map(lambda m: timedelta(minutes=m))
    elif base is bytes:
        strategy = st.binary(max_size=64)
    elif base is bool:
        strategy = st.booleans()
    elif base is int:
        strategy = st.integers(1, 10**6)
    elif typing.get_origin(base) is tuple:
        strategy = st.lists(text, max_size=3).map(tuple)
    else:
        strategy = text
    return strategy if base is tp else st.none() | strategy


@st.composite
def wire_commands(draw: st.DrawFn) -> Any:
    route = draw(st.sampled_from(wire.ROUTES))
    hints = typing.get_type_hints(route.command)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(route.command):
        if field.name in route.excluded:
            continue
        if field.name == "incident_id":
            values[field.name] = INC
        elif field.name in route.path_fields and hints[field.name] is int:
            values[field.name] = draw(st.integers(1, 10**6))
        elif field.name in route.path_fields:
            values[field.name] = draw(st.from_regex(r"[a-z][a-z0-9.]{0,10}", fullmatch=True))
        else:
            values[field.name] = draw(value_for(hints[field.name]))
    return route.command(**values)


@given(wire_commands())
def test_a_command_survives_the_wire(command: Any) -> None:
    request = wire.to_request(command)
    route = wire.route_of(type(command))
    template = route.path.replace("{", "(?P<").replace("}", ">[^/]+)")
    import re

    match = re.fullmatch(template, request.path)
    assert match is not None, request.path
    decoded = wire.command_from_json(type(command), request.body, match.groupdict())
    assert decoded == command


LOG = {"kind": "fact", "text": "checkout 5xx at 4%"}


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ([], "request body must be a JSON object"),
        ({**LOG, "incident_id": INC}, "incident_id: unknown field"),
        ({**LOG, "actor": "mallory"}, "actor: unknown field"),
        ({**LOG, "asserted_by": "mallory"}, "asserted_by: unknown field"),
        ({"kind": "fact"}, "text: field required"),
        ({**LOG, "text": 7}, "text: expected a string, got a number"),
        ({**LOG, "text": None}, "text: must not be null"),
        ({**LOG, "refs": "deploy:1"}, "refs: expected an array of strings, got a string"),
        ({**LOG, "refs": ["deploy:1", 2]}, r"refs\[1\]: expected a string, got a number"),
        ({**LOG, "partial": 1}, "partial: expected true or false, got a number"),
        ({**LOG, "at": "yesterday"}, "at: malformed time 'yesterday'"),
        ({**LOG, "at": "2026-11-23T14:02:00"}, "at: malformed time"),  # no offset
        ({**LOG, "at": "2026-13-23T14:02:00Z"}, "at: malformed time"),
    ],
)
def test_a_malformed_body_is_one_line_naming_the_field(body: object, line: str) -> None:
    with pytest.raises(InvalidCommandError, match=line):
        wire.command_from_json(commands.LogEntry, body, PATH)


@pytest.mark.parametrize(
    ("cls", "body", "path", "line"),
    [
        (commands.AddActionItem, {"title": "t", "owner": "o", "due": "2026-1-2"}, PATH, "due"),
        (commands.AddActionItem, {"title": "t", "owner": "o", "due": "20261102"}, PATH, "due"),
        (
            commands.GrantBreakglass,
            {"to": "b", "scope": "pii", "why": "w", "expires_in": "2 weeks"},
            PATH,
            "expires_in",
        ),
        (commands.AttachRunbook, {"path": "r.md", "content": "not base64!"}, PATH, "content"),
        (commands.CompleteActionItem, {}, {**PATH, "number": "x"}, "number"),
        (commands.CompleteActionItem, {}, {**PATH, "number": "0"}, "number"),
        (commands.CompleteActionItem, {}, {**PATH, "number": "99999999999"}, "number"),
        (commands.LiftFreeze, {"reason": "r"}, {"incident_id": "INC-1"}, "malformed incident id"),
        (commands.AddEvidence, {"kind": "logs", "file": {}}, PATH, "file: unknown field"),
        (commands.AddUser, {"name": "x", "roles": ["ic"], "count": 2**40}, PATH, "count"),
    ],
)
def test_bad_values_are_refused(
    cls: type[Any], body: object, path: dict[str, str], line: str
) -> None:
    with pytest.raises(InvalidCommandError, match=line):
        wire.command_from_json(cls, body, path)


def test_a_number_out_of_range_is_refused() -> None:
    body = {"target_seq": 2**40, "text": "x"}
    with pytest.raises(InvalidCommandError, match="target_seq: .* out of range"):
        wire.command_from_json(commands.CorrectEntry, body, PATH)


def test_durations_are_written_as_the_cli_reads_them() -> None:
    assert wire.format_duration(timedelta(days=1, hours=2, minutes=30)) == "1d2h30m"
    assert wire.format_duration(timedelta(hours=2)) == "2h"
    assert wire.format_duration(timedelta(0)) == "0m"


def test_a_user_name_in_the_path_is_quoted() -> None:
    request = wire.to_request(commands.UpdateUser(name="a/b", roles=("ic",)))
    assert request.path == "/api/v1/users/a%2Fb"
    assert request.method == "PATCH"


EVENT = Event(
    incident_id=INC,
    seq=1,
    ts="2026-11-23T14:00:01.000000Z",
    actor="alice",
    kind="entry.fact",
    payload={"text": "x"},
    payload_sha256="a" * 64,
    policy=None,
    prev="b" * 64,
    hash="c" * 64,
    payload_salt="d" * 32,
)


def test_events_round_trip() -> None:
    answer = {"events": [wire.event_to_json(EVENT)]}
    assert wire.events_from_json(answer) == [EVENT]


@pytest.mark.parametrize(
    ("answer", "line"),
    [
        ([], "answer"),
        ({"events": {}}, "answer"),
        ({"events": [{**EVENT.as_dict(), "seq": "1"}]}, "event.seq: wrong type"),
        ({"events": [{**EVENT.as_dict(), "seq": True}]}, "event.seq: wrong type"),
        ({"events": [{**EVENT.as_dict(), "extra": 1}]}, "event.extra: unknown field"),
        ({"events": [{k: v for k, v in EVENT.as_dict().items() if k != "kind"}]}, "event.kind"),
    ],
)
def test_a_malformed_answer_is_refused(answer: object, line: str) -> None:
    with pytest.raises(InvalidCommandError, match=line):
        wire.events_from_json(answer)
