"""The HTTP wire format of every write: one route per command class, and strict JSON codecs.

Pure (no I/O, no framework): the server builds its write routes from `ROUTES` and decodes
bodies with `command_from_json`; client mode encodes with `to_request` and reads the answer
with `events_from_json`. Both ends share this one table, so they cannot drift apart.

Values on the wire: text and ids are strings, lists of text are arrays of strings, times are
RFC 3339 strings with an offset (`2026-11-23T14:02:00Z`), days are `YYYY-MM-DD`, durations are
`1d2h30m`-style strings (as on the CLI), and byte contents (a runbook's file) are base64.
Decoding is strict: an unknown or missing field, a wrong type, or a malformed time, day,
duration or id is one InvalidCommandError line naming the field; nothing is coerced.

`RecordAccess` and `RecordExport` have no route: the read service and the export write them as
a side effect of a real read or export, so no caller may add an access-trail or export record
of its own. Nor have the account commands (`ACCOUNT_COMMANDS`): they carry a password hash or a
token id the server makes itself, from the bodies of the accounts routes. `AddEvidence.file`
never crosses the wire either: the server stages the uploaded bytes itself (`EVIDENCE_UPLOAD`),
so a client cannot name a staging file.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from fireline import commands
from fireline.commands import Command
from fireline.domain import NUMBER_LIMIT, IncidentId, iso_utc, parse_duration, parse_incident_id
from fireline.errors import InvalidCommandError
from fireline.ledger.chain import Event

API = "/api/v1"
INCIDENT = f"{API}/incidents/{{incident_id}}"
Method = Literal["POST", "PUT", "PATCH"]
Scope = Literal["write", "admin"]


@dataclass(frozen=True)
class Route:
    """Where one command class is sent: method, path template, and which fields the path holds.

    Every other field (but `excluded`) is a JSON body member. `scope` is the token scope the
    route needs; the policy still decides per actor on top of it.
    """

    command: type[Any]
    method: Method
    path: str
    summary: str
    scope: Scope = "write"
    excluded: tuple[str, ...] = ()
    # False: another router serves this path with its own answer (the user registry's routes in
    # `api/users.py` answer with the user record), so the write routes do not generate it.
    generated: bool = True

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    @property
    def body_fields(self) -> tuple[dataclasses.Field[Any], ...]:
        skip = {*self.path_fields, *self.excluded}
        return tuple(f for f in dataclasses.fields(self.command) if f.name not in skip)

    @property
    def operation_id(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.command.__name__).lower()


ROUTES: tuple[Route, ...] = (
    Route(commands.Declare, "POST", f"{API}/incidents", "Declare an incident"),
    Route(commands.LogEntry, "POST", f"{INCIDENT}/entries", "Log a timeline entry"),
    Route(commands.AssignRole, "POST", f"{INCIDENT}/roles", "Assign a role"),
    Route(commands.OverrideRole, "POST", f"{INCIDENT}/roles/override", "Staff past the IC"),
    Route(commands.ReleaseRole, "POST", f"{INCIDENT}/roles/release", "Release a role"),
    Route(commands.ChangeSeverity, "POST", f"{INCIDENT}/severity", "Change the severity"),
    Route(commands.Transition, "POST", f"{INCIDENT}/status", "Move to another status"),
    Route(commands.PublishUpdate, "POST", f"{INCIDENT}/updates", "Publish a status update"),
    Route(commands.CorrectEntry, "POST", f"{INCIDENT}/corrections", "Correct an entry"),
    Route(commands.EraseEntry, "POST", f"{INCIDENT}/erasures", "Erase an entry's payload"),
    Route(commands.AddActionItem, "POST", f"{INCIDENT}/actions", "Add an action item"),
    Route(
        commands.CompleteActionItem,
        "POST",
        f"{INCIDENT}/actions/{{number}}/complete",
        "Complete an action item",
    ),
    Route(
        commands.VerifyActionItem,
        "POST",
        f"{INCIDENT}/actions/{{number}}/verify",
        "Verify a done action item",
    ),
    Route(commands.AttachRunbook, "POST", f"{INCIDENT}/runbooks", "Attach a runbook checklist"),
    Route(commands.CheckItem, "POST", f"{INCIDENT}/checklist/check", "Check checklist items"),
    Route(commands.UncheckItem, "POST", f"{INCIDENT}/checklist/uncheck", "Uncheck items"),
    Route(
        commands.AddEvidence,
        "POST",
        f"{INCIDENT}/evidence",
        "Add evidence kept elsewhere (a ref)",
        excluded=("file",),
    ),
    Route(commands.SchedulePostmortem, "POST", f"{INCIDENT}/postmortem", "Schedule the postmortem"),
    Route(
        commands.CompletePostmortem,
        "POST",
        f"{INCIDENT}/postmortem/complete",
        "Record the postmortem as done",
    ),
    Route(
        commands.DraftPostmortem,
        "POST",
        f"{INCIDENT}/postmortem/draft",
        "Draft the postmortem from the record",
    ),
    Route(commands.EditPostmortem, "POST", f"{INCIDENT}/postmortem/sections", "Edit a section"),
    Route(commands.SubmitPostmortem, "POST", f"{INCIDENT}/postmortem/submit", "Submit for review"),
    Route(commands.ApprovePostmortem, "POST", f"{INCIDENT}/postmortem/approve", "Approve it"),
    Route(commands.PublishPostmortem, "POST", f"{INCIDENT}/postmortem/publish", "Publish it"),
    Route(commands.ReviewGovernance, "POST", f"{INCIDENT}/reviews", "Record a governance review"),
    Route(
        commands.RequestGateException,
        "POST",
        f"{INCIDENT}/gate-exceptions",
        "Request a closure-gate exception",
    ),
    Route(
        commands.ApproveGateException,
        "POST",
        f"{INCIDENT}/gate-exceptions/{{exception_seq}}/approve",
        "Approve a gate exception",
    ),
    Route(commands.GrantBreakglass, "POST", f"{INCIDENT}/breakglass", "Grant breakglass access"),
    Route(
        commands.RevokeBreakglass,
        "POST",
        f"{INCIDENT}/breakglass/{{grant_seq}}/revoke",
        "Revoke a breakglass grant",
    ),
    Route(commands.LiftFreeze, "POST", f"{INCIDENT}/freeze/lift", "Lift the change freeze"),
    Route(commands.SetSwitch, "POST", f"{INCIDENT}/switches", "Flip or turn back a switch"),
    Route(
        commands.HandOverSwitch,
        "POST",
        f"{INCIDENT}/switches/handover",
        "Take over a switch another incident left flipped",
    ),
    Route(commands.MarkDataset, "POST", f"{INCIDENT}/datasets", "Mark a dataset or version"),
    Route(commands.CheckManifest, "POST", f"{INCIDENT}/manifests", "Record a manifest check"),
    Route(commands.RecordReceipt, "POST", f"{INCIDENT}/receipts", "Record a rebuild receipt"),
    Route(commands.RecordStep, "POST", f"{INCIDENT}/steps", "Record a state-changing step"),
    Route(
        commands.MeetObligation,
        "POST",
        f"{INCIDENT}/obligations/{{name}}/meet",
        "Record an obligation met, with evidence",
    ),
    Route(commands.RecordMilestone, "POST", f"{INCIDENT}/milestones", "Record a milestone"),
    Route(commands.RecordDrill, "POST", f"{INCIDENT}/drills", "Record a drill's outcome"),
    Route(
        commands.AddUser, "POST", f"{API}/users", "Register a user", scope="admin", generated=False
    ),
    Route(
        commands.UpdateUser,
        "PATCH",
        f"{API}/users/{{name}}",
        "Update a user",
        scope="admin",
        generated=False,
    ),
)
ROUTES += (
    Route(
        commands.AddChannel, "POST", f"{API}/channels", "Add a notification channel", scope="admin"
    ),
    Route(
        commands.RemoveChannel,
        "POST",
        f"{API}/channels/{{name}}/remove",
        "Remove a notification channel",
        scope="admin",
    ),
    Route(
        commands.Subscribe,
        "POST",
        f"{API}/channels/{{channel}}/subscriptions",
        "Subscribe a channel to incident events",
        scope="admin",
    ),
)
ROUTE_OF: dict[type[Any], Route] = {route.command: route for route in ROUTES}
# Commands that only fireline itself writes, as a side effect of a read or an export.
# RecordPostmortemOverdue and RecordDeadlines are the schedulers' alone.
INTERNAL: frozenset[type[Any]] = frozenset(
    {
        commands.RecordAccess,
        commands.RecordExport,
        commands.RecordPostmortemOverdue,
        commands.RecordDelivery,  # the outbox worker's
        # Alert intake: sources are added by `fireline source add` (the secret is made where
        # the command runs), deliveries and routing by the intake routes as `intake:<source>`.
        commands.AddSource,
        commands.RemoveSource,
        commands.RecordAlerts,
        commands.RecordRouting,
        commands.RecordDeadlines,
    }
)
# Built by the accounts routes (`/login`, `/password`, `/tokens`) from what a caller may say
# (a password, a token's name and scope): the hash and the token id are made on the server.
ACCOUNT_COMMANDS: frozenset[type[Any]] = frozenset(
    {
        commands.SetPassword,
        commands.CreateToken,
        commands.RevokeToken,
        commands.ChangeTokenExpiry,
        commands.LockAccount,
    }
)
# The raw-body upload that stages a file and sends AddEvidence(file=…) through the writer.
EVIDENCE_UPLOAD = f"{INCIDENT}/evidence/file"
EVIDENCE_UPLOAD_PARAMS = ("kind", "name", "note", "source", "captured_at", "unscanned")


@dataclass(frozen=True)
class Request:
    """An encoded command: what client mode sends."""

    method: Method
    path: str
    body: dict[str, Any]


# -- commands -> JSON ------------------------------------------------------------------------


def to_request(command: Command) -> Request:
    """The HTTP request that carries `command`; InvalidCommandError for an internal command."""
    route = route_of(type(command))
    values = {f.name: getattr(command, f.name) for f in dataclasses.fields(command)}
    path = route.path.format(
        **{name: quote(str(values[name]), safe="") for name in route.path_fields}
    )
    hints = _hints(route.command)
    body = {f.name: _encode(hints[f.name], values[f.name]) for f in route.body_fields}
    return Request(route.method, path, body)


def route_of(cls: type[Any]) -> Route:
    route = ROUTE_OF.get(cls)
    if route is None:
        raise InvalidCommandError(f"{cls.__name__} is not sent over the API")
    return route


def _encode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    base = _without_none(tp)
    if base is datetime:
        return iso_utc(value)
    if base is date:
        return value.isoformat()
    if base is timedelta:
        return format_duration(value)
    if base is bytes:
        return base64.b64encode(value).decode("ascii")
    if typing.get_origin(base) is tuple:
        return list(value)
    return value


def format_duration(delta: timedelta) -> str:
    """A whole-minute duration as the CLI writes it (`1d2h30m`); `0m` for none."""
    minutes = int(delta.total_seconds()) // 60
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "")
    return text + (f"{minutes}m" if minutes or not text else "")


# -- JSON -> commands ------------------------------------------------------------------------


def command_from_json(cls: type[Any], body: object, path: Mapping[str, str]) -> Command:
    """Build a `cls` command from a decoded JSON body and the route's path parameters.

    InvalidCommandError (one line naming the field) for anything that is not exactly the
    documented shape: unknown or missing members, wrong types, malformed values.
    """
    route = route_of(cls)
    if not isinstance(body, dict):
        raise InvalidCommandError("request body must be a JSON object")
    fields = {f.name: f for f in route.body_fields}
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise InvalidCommandError(f"{unknown[0]}: unknown field")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for name in route.path_fields:
        values[name] = _path_value(name, hints[name], path.get(name, ""))
    for name, field in fields.items():
        if name not in body:
            if _required(field):
                raise InvalidCommandError(f"{name}: field required")
            continue
        values[name] = _decode(name, hints[name], body[name])
    return typing.cast(Command, cls(**values))


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _path_value(name: str, tp: Any, text: str) -> Any:
    if tp is IncidentId:
        return parse_incident_id(text)
    if tp is int:
        if not re.fullmatch(r"[0-9]{1,10}", text) or not 1 <= int(text) <= NUMBER_LIMIT:
            raise InvalidCommandError(f"{name}: expected a positive whole number, got {text!r}")
        return int(text)
    return text


def _decode(name: str, tp: Any, value: object) -> Any:
    optional = _without_none(tp) is not tp
    if value is None:
        if optional:
            return None
        raise InvalidCommandError(f"{name}: must not be null")
    return _DECODERS[_kind(_without_none(tp))](name, value)


def _kind(tp: Any) -> str:
    if tp is IncidentId:
        return "incident_id"
    if typing.get_origin(tp) is tuple:
        return "strings"
    return {str: "str", bool: "bool", int: "int", datetime: "datetime", date: "date"}.get(
        tp, {timedelta: "duration", bytes: "bytes"}.get(tp, "unsupported")
    )


def _want(name: str, value: object, kind: type[Any], label: str) -> Any:
    # bool is an int in Python; on the wire they are different types.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidCommandError(f"{name}: expected {label}, got {_json_type(value)}")
    return value


def _json_type(value: object) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "an array" if isinstance(value, list) else "an object"
    )


def _str(name: str, value: object) -> str:
    text: str = _want(name, value, str, "a string")
    return text


def _strings(name: str, value: object) -> tuple[str, ...]:
    items: list[object] = _want(name, value, list, "an array of strings")
    return tuple(_str(f"{name}[{i}]", item) for i, item in enumerate(items))


def _int(name: str, value: object) -> int:
    number: int = _want(name, value, int, "a whole number")
    if not -NUMBER_LIMIT <= number <= NUMBER_LIMIT:
        raise InvalidCommandError(f"{name}: {number} is out of range")
    return number


def _datetime(name: str, value: object) -> datetime:
    return parse_time(name, _str(name, value))


def parse_time(name: str, text: str) -> datetime:
    """An RFC 3339 time with its offset (a query parameter, or a body member)."""
    try:
        if not _RFC3339.fullmatch(text):
            raise ValueError
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise InvalidCommandError(
            f"{name}: malformed time {text!r}; expected RFC 3339 like 2026-11-23T14:02:00Z"
        ) from None
    return moment


def _date(name: str, value: object) -> date:
    text = _str(name, value)
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidCommandError(f"{name}: malformed day {text!r}; expected YYYY-MM-DD") from None


def _duration(name: str, value: object) -> timedelta:
    return parse_duration(name, _str(name, value))


def _bytes(name: str, value: object) -> bytes:
    try:
        return base64.b64decode(_str(name, value), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCommandError(f"{name}: expected base64") from None


def _unsupported(name: str, _value: object) -> Any:
    raise InvalidCommandError(f"{name}: cannot be sent over the API")


# A time with its offset, as RFC 3339 writes it (fractional seconds optional).
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_DECODERS: dict[str, Callable[[str, object], Any]] = {
    "str": _str,
    "incident_id": lambda name, value: parse_incident_id(_str(name, value)),
    "strings": _strings,
    "bool": lambda name, value: _want(name, value, bool, "true or false"),
    "int": _int,
    "datetime": _datetime,
    "date": _date,
    "duration": _duration,
    "bytes": _bytes,
    "unsupported": _unsupported,
}


def _without_none(tp: Any) -> Any:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        rest = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


# -- JSON Schema of each body (OpenAPI 3.1 documents every route with it) --------------------


def body_schema(route: Route) -> dict[str, Any]:
    """The JSON Schema (2020-12, as OpenAPI 3.1 uses) the decoder accepts for `route`."""
    hints = _hints(route.command)
    properties = {f.name: _schema(hints[f.name]) for f in route.body_fields}
    required = [f.name for f in route.body_fields if _required(f)]
    schema: dict[str, Any] = {
        "type": "object",
        "title": route.command.__name__,
        "properties": properties,
        "additionalProperties": False,
    }
    doc = route.command.__doc__ or ""
    if doc and not doc.startswith(f"{route.command.__name__}("):  # not dataclass's own
        schema["description"] = " ".join(doc.split())
    if required:
        schema["required"] = required
    return schema


def _schema(tp: Any) -> dict[str, Any]:
    base = _without_none(tp)
    schemas: dict[str, dict[str, Any]] = {
        "str": {"type": "string"},
        "incident_id": {"type": "string", "pattern": "^INC-[0-9]{8}-[0-9]{3,}$"},
        "strings": {"type": "array", "items": {"type": "string"}},
        "bool": {"type": "boolean"},
        "int": {"type": "integer", "minimum": -NUMBER_LIMIT, "maximum": NUMBER_LIMIT},
        "datetime": {"type": "string", "format": "date-time"},
        "date": {"type": "string", "format": "date"},
        "duration": {"type": "string", "pattern": "^([0-9]{1,9}d)?([0-9]{1,9}h)?([0-9]{1,9}m)?$"},
        "bytes": {"type": "string", "contentEncoding": "base64"},
    }
    one = schemas[_kind(base)]
    if base is not tp:
        return {"anyOf": [one, {"type": "null"}]}
    return one


# -- events <-> JSON -------------------------------------------------------------------------


def event_to_json(event: Event) -> dict[str, Any]:
    """An event as the API answers it: every column, so a client can re-verify the chain."""
    return event.as_dict()


_EVENT_FIELDS: dict[str, tuple[type[Any], ...]] = {
    "incident_id": (str,),
    "seq": (int,),
    "ts": (str,),
    "actor": (str,),
    "kind": (str,),
    "payload": (dict, type(None)),
    "payload_salt": (str, type(None)),
    "payload_sha256": (str, type(None)),
    "policy": (str, type(None)),
    "prev": (str,),
    "hash": (str,),
}


def event_from_json(data: object) -> Event:
    """The event a server answered with, checked member by member (InvalidCommandError)."""
    if not isinstance(data, dict):
        raise InvalidCommandError("event: expected an object")
    unknown = sorted(set(data) - set(_EVENT_FIELDS))
    if unknown:
        raise InvalidCommandError(f"event.{unknown[0]}: unknown field")
    for name, kinds in _EVENT_FIELDS.items():
        if name not in data:
            raise InvalidCommandError(f"event.{name}: field required")
        value = data[name]
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise InvalidCommandError(f"event.{name}: wrong type")
    return Event(**data)


def events_from_json(data: object) -> list[Event]:
    """The events of a write's answer `{"events": [...]}`."""
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise InvalidCommandError('answer: expected {"events": [...]}')
    return [event_from_json(item) for item in data["events"]]
