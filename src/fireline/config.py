"""Settings: defaults < fireline.toml < FIRELINE_* environment, from one table.

Built by `load_settings()` and passed in; never read at import. Any bad value stops fireline
with one line naming the key and the value.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fireline.deadlines.rules import DEFAULT_RULES, ObligationRule, parse_rules
from fireline.domain import (
    BUILTIN_CHECKLISTS,
    DEFAULT_ROSTER,
    REGISTRY_ROLES,
    Ladder,
    RoleSpec,
    Roster,
    SeverityLevel,
    parse_byte_size,
    parse_duration,
)
from fireline.drills.programme import DEFAULT_PROGRAMME, DrillKind, parse_programme
from fireline.errors import ConfigError, InvalidCommandError
from fireline.ladders import PRESETS
from fireline.statuspage.components import Component, parse_components
from fireline.switches.spec import SwitchSpec, parse_switch_tables


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name (TOML key, FIRELINE_<NAME> env var), default and help."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "./fireline-data", "Data directory: database, signing key, evidence blobs."),
    Setting("database_url", "", "SQLAlchemy URL; empty means SQLite at <home>/fireline.db."),
    Setting(
        "ladder", "kfm", "Severity ladder: a preset (kfm, classic, five-level) or [ladders.X]."
    ),
    Setting("timezone", "UTC", "IANA zone shown beside UTC in timelines (e.g. America/Chicago)."),
    Setting("actor", "", "Who is acting when --as is not given; empty means the OS user."),
    Setting("policy_dir", "", "Folder of a Rego policy bundle; empty means the built-in one."),
    Setting(
        "runbook_dir",
        "./runbooks",
        "Folder `runbook attach` looks in for a runbook named by its id (RBK-….md).",
    ),
    Setting(
        "policy_flags",
        "sensitive-location,license-uncertain,policy-bypass",
        "Comma-separated vocabulary accepted by `declare --flag`.",
    ),
    Setting(
        "labels",
        "public,internal,confidential,restricted",
        "Comma-separated vocabulary accepted by `declare --label`.",
    ),
    Setting(
        "runbook_sections",
        "Summary,Signals / Detection,Impact / Blast Radius,Immediate Safety Checks,"
        "Triage Checklist,Containment Steps,Recovery Steps,Verification Steps,Rollback Plan,"
        "Evidence Capture,Comms Template,Postmortem Trigger,Hardening Tasks",
        "Comma-separated `##` sections every runbook needs, in order.",
    ),
    Setting(
        "runbook_front_matter",
        "id,title,owner,last_reviewed,severity?,tags,services,alerts",
        "Comma-separated front-matter fields of a runbook; `?` marks an optional one.",
    ),
    Setting("runbook_stale_days", "180", "`runbook lint` flags a last_reviewed older than this."),
    Setting(
        "runbook_command_languages",
        "bash,sh,shell,console,zsh,fish,powershell,pwsh,ps1,cmd,bat",
        "Fence languages that are commands and must say where they run.",
    ),
    Setting(
        "redaction_rules",
        "",
        "gitleaks-format TOML file of extra secret rules; empty means the built-in rules only.",
    ),
    Setting(
        "coordinate_precision",
        "0.1",
        "Grid in degrees that coordinates are generalised to for viewers without clearance.",
    ),
    Setting(
        "sensitive_clearance",
        "",
        "Comma-separated actors granted the sensitive clearance in addition to the registry.",
    ),
    Setting(
        "evidence_max_size",
        "1GiB",
        "Largest evidence file `evidence add` reads (bytes, or KiB/MiB/GiB/TiB), stdin included.",
    ),
    Setting(
        "runbook_index_pages",
        "README.md,index.md",
        "Comma-separated folder pages `runbook index` reads as that subfolder's runbook.",
    ),
    Setting(
        "suggest_threshold",
        "0.53",
        "`runbook suggest` abstains when no text match reaches this confidence (0 to 1).",
    ),
    # Postmortems (docs/postmortems.md).
    Setting(
        "postmortem_business_days",
        "5",
        "A postmortem is due this many business days after the incident is resolved (1 to 30).",
    ),
    Setting(
        "holidays_file",
        "",
        "File of holidays skipped when counting business days: one YYYY-MM-DD a line, "
        "`#` comments; empty means weekends only.",
    ),
    # Accounts and authentication (docs/accounts.md).
    Setting("token_default_expiry", "90d", "Lifetime of an API token made without --expires."),
    Setting("token_max_expiry", "365d", "Longest lifetime an API token may be given."),
    Setting("login_token_expiry", "30d", "Lifetime of the token `POST /api/v1/login` issues."),
    Setting(
        "web_session_expiry",
        "12h",
        "Lifetime of a web UI session (its login token and cookie); logout revokes it sooner.",
    ),
    Setting(
        "web_secure_cookie",
        "false",
        "Mark the web session cookie Secure even on plain HTTP (it always is over HTTPS); "
        "set true behind a TLS-terminating proxy.",
    ),
    Setting(
        "auth_proxy_header",
        "",
        "Header a trusted reverse proxy names the signed-in user in (e.g. X-Forwarded-User); "
        "empty turns proxy sign-in off.",
    ),
    Setting(
        "trusted_proxies",
        "",
        "Comma-separated addresses or CIDRs of reverse proxies whose auth_proxy_header and "
        "X-Forwarded-For are believed.",
    ),
    Setting(
        "login_max_failures", "5", "Failed logins per account within login_window that lock it."
    ),
    Setting(
        "login_address_max_failures",
        "20",
        "Failed logins per client address within login_window that lock the address out.",
    ),
    Setting("login_window", "15m", "The window failed logins are counted in."),
    Setting(
        "login_lockout",
        "15m",
        "How long a lockout lasts; each further lockout of the same key doubles it (up to 64x).",
    ),
    # Update cadence and obligations (docs/deadlines.md).
    Setting(
        "update_reminder",
        "5m",
        "How long before a status update is due the IC and Comms Lead are reminded (0 for never).",
    ),
    Setting("serve_host", "127.0.0.1", "Address `fireline serve` listens on (--host)."),
    Setting("serve_port", "8080", "Port `fireline serve` listens on (--port)."),
    Setting("serve_workers", "1", "Server processes `fireline serve` starts (--workers)."),
    Setting(
        "writer_batch_size",
        "64",
        "Most writes the server's writer commits in one transaction (group commit).",
    ),
    Setting(
        "writer_linger_ms",
        "0",
        "How long the writer waits for more writes before committing a batch (milliseconds).",
    ),
    Setting(
        "log_origin",
        "",
        "Origin line of the store's signed log checkpoints; empty means fireline/<key id>.",
    ),
    Setting(
        "max_body_size",
        "2MiB",  # the largest JSON write is a runbook: 1 MB of file, base64-encoded
        "Largest request body `fireline serve` reads (evidence upload has its own limit).",
    ),
    Setting(
        "metrics_public",
        "true",
        "Whether /metrics answers without a token (true) or needs a read-scope token (false).",
    ),
    Setting(
        "cors_origins",
        "",
        "Comma-separated origins (https://host[:port]) that browsers may call the API from.",
    ),
    # Notifications (docs/notifications.md).
    Setting(
        "notify_worker",
        "true",
        "Whether `fireline serve` runs the outbox worker in-process (false: `fireline worker`).",
    ),
    Setting("notify_max_attempts", "8", "Delivery attempts before a notification is dead."),
    Setting("notify_backoff", "2", "First retry delay in seconds; doubles per attempt, jittered."),
    Setting("notify_backoff_cap", "900", "Longest retry delay in seconds."),
    Setting("notify_timeout", "10", "Seconds a receiver has to answer one delivery."),
    Setting("notify_lease", "60", "Seconds a worker holds leased outbox rows before others may."),
    Setting("notify_poll_ms", "100", "How often an idle worker looks for due rows (milliseconds)."),
    Setting(
        "intake_max_body_size",
        "1MiB",
        "Largest alert delivery the intake routes read; larger is 413 and nothing is written.",
    ),
    Setting("intake_max_alerts", "1000", "Most alerts one delivery may carry (422 past it)."),
    Setting("intake_max_labels", "64", "Most labels (and most annotations) one alert may carry."),
    Setting(
        "intake_group_by",
        "alertname,service",
        "Labels grouping alerts of senders without a group key (PagerDuty, generic, Grafana).",
    ),
    Setting(
        "intake_flap_changes", "4", "Status changes within intake_flap_minutes that mark flapping."
    ),
    Setting("intake_flap_minutes", "30", "The window intake_flap_changes are counted in."),
    Setting(
        "intake_max_future", "1h", "How far ahead of the server's clock an alert may start or end."
    ),
    Setting("intake_max_age", "365d", "How far in the past an alert may start."),
    Setting(
        "switch_stability_window",
        "30m",
        "How long after a switch returns to normal until `mitigated` holds.",
    ),
    Setting("status_page_title", "Status", "Heading of the public status page at /status."),
    Setting(
        "shutdown_timeout",
        "30",
        "Seconds `fireline serve` waits for in-flight requests and writes on shutdown (1 to 3600).",
    ),
)
_NAMES = {s.name for s in SETTINGS}
_TABLES = {
    "ladders",
    "roles",
    "oncall",
    "sources",
    "obligations",
    "switches",
    "drills",
    "components",
}


def setting_default(name: str) -> str:
    """The built-in value of a setting (before fireline.toml and FIRELINE_* apply)."""
    return next(s.default for s in SETTINGS if s.name == name)


def _csv_default(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in setting_default(name).split(",") if part.strip())


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; every field already validated."""

    home: Path
    database_url: str
    ladder: Ladder
    timezone: str
    actor: str | None
    policy_flags: tuple[str, ...]
    labels: tuple[str, ...]
    policy_dir: Path | None = None
    redaction_rules: Path | None = None
    coordinate_precision: float = 0.1
    sensitive_clearance: tuple[str, ...] = ()
    runbook_dir: Path = Path("runbooks")
    roster: Roster = DEFAULT_ROSTER
    ladders: Mapping[str, Ladder] = field(default_factory=lambda: dict(PRESETS))
    source: str = "defaults"
    runbook_sections: tuple[str, ...] = _csv_default("runbook_sections")
    runbook_front_matter: str = setting_default("runbook_front_matter")
    runbook_stale_days: int = int(setting_default("runbook_stale_days"))
    runbook_command_languages: tuple[str, ...] = _csv_default("runbook_command_languages")
    runbook_index_pages: tuple[str, ...] = _csv_default("runbook_index_pages")
    suggest_threshold: float = float(setting_default("suggest_threshold"))
    evidence_max_bytes: int = parse_byte_size(
        "evidence_max_size", setting_default("evidence_max_size")
    )
    token_default_expiry: timedelta = timedelta(days=90)
    token_max_expiry: timedelta = timedelta(days=365)
    login_token_expiry: timedelta = timedelta(days=30)
    web_session_expiry: timedelta = timedelta(hours=12)
    web_secure_cookie: bool = False
    auth_proxy_header: str | None = None
    trusted_proxies: tuple[IPNetwork, ...] = ()
    login_max_failures: int = 5
    login_address_max_failures: int = 20
    login_window: timedelta = timedelta(minutes=15)
    login_lockout: timedelta = timedelta(minutes=15)
    serve_host: str = setting_default("serve_host")
    serve_port: int = int(setting_default("serve_port"))
    serve_workers: int = int(setting_default("serve_workers"))
    writer_batch_size: int = int(setting_default("writer_batch_size"))
    writer_linger_ms: int = int(setting_default("writer_linger_ms"))
    log_origin: str = ""
    max_body_bytes: int = parse_byte_size("max_body_size", setting_default("max_body_size"))
    metrics_public: bool = True
    cors_origins: tuple[str, ...] = ()
    shutdown_timeout: int = int(setting_default("shutdown_timeout"))
    postmortem_business_days: int = 5
    holidays_file: Path | None = None
    notify_worker: bool = True
    notify_max_attempts: int = 8
    notify_backoff: int = 2
    notify_backoff_cap: int = 900
    notify_timeout: int = 10
    notify_lease: int = 60
    notify_poll_ms: int = 100
    intake_max_body_bytes: int = parse_byte_size(
        "intake_max_body_size", setting_default("intake_max_body_size")
    )
    intake_max_alerts: int = int(setting_default("intake_max_alerts"))
    intake_max_labels: int = int(setting_default("intake_max_labels"))
    intake_group_by: tuple[str, ...] = _csv_default("intake_group_by")
    intake_flap_changes: int = int(setting_default("intake_flap_changes"))
    intake_flap_minutes: int = int(setting_default("intake_flap_minutes"))
    intake_max_future: timedelta = timedelta(hours=1)
    intake_max_age: timedelta = timedelta(days=365)
    # [oncall]: who is IC of an auto-declared incident, by its `service` label ("*": anyone).
    oncall: Mapping[str, str] = field(default_factory=dict)
    # [sources.NAME]: the field mapping of a generic JSON source.
    source_mappings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    update_reminder: timedelta = timedelta(minutes=5)
    obligation_rules: tuple[ObligationRule, ...] = DEFAULT_RULES
    switches: Mapping[str, SwitchSpec] = field(
        default_factory=lambda: parse_switch_tables(
            {}, "defaults", window=timedelta(minutes=30), known_roles=frozenset()
        )
    )
    drill_programme: tuple[DrillKind, ...] = DEFAULT_PROGRAMME
    components: tuple[Component, ...] = ()
    status_page_title: str = setting_default("status_page_title")

    @property
    def key_path(self) -> Path:
        return self.home / "keys" / "signing.key"

    @property
    def public_key_path(self) -> Path:
        return self.home / "keys" / "signing.pub"


def load_settings(env: Mapping[str, str] | None = None, *, cwd: Path | None = None) -> Settings:
    """Merge defaults, the TOML file and FIRELINE_* variables; ConfigError on any bad value."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    values: dict[str, str] = {s.name: s.default for s in SETTINGS}
    file_data, source = _read_toml(env, cwd)
    for key, value in file_data.items():
        if key in _TABLES:
            continue
        if key not in _NAMES:
            raise ConfigError(
                f"unknown setting {key!r} in {source}; known: {', '.join(sorted(_NAMES | _TABLES))}"
            )
        values[key] = _scalar(key, value, source)
    for setting in SETTINGS:
        env_value = env.get(f"FIRELINE_{setting.name.upper()}")
        if env_value is not None:
            values[setting.name] = env_value

    home = _path(values["home"], cwd)
    ladders = dict(PRESETS)
    custom = _custom_ladders(file_data.get("ladders", {}), source)
    ladders.update(custom)
    if values["ladder"] not in ladders:
        raise ConfigError(
            f"unknown ladder {values['ladder']!r}; choose one of: {', '.join(sorted(ladders))}"
        )
    try:
        ZoneInfo(values["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown timezone {values['timezone']!r} (an IANA zone)") from None
    roster = _custom_roster(file_data["roles"], source) if "roles" in file_data else DEFAULT_ROSTER
    _check_required_roles((*custom.values(), ladders[values["ladder"]]), roster)
    policy_flags, labels = _csv(values["policy_flags"]), _csv(values["labels"])
    rules = parse_rules(
        file_data.get("obligations", {}),
        source,
        roles=frozenset(role.key for role in roster.roles),
        flags=policy_flags,
        labels=labels,
    )
    return Settings(
        home=home,
        database_url=values["database_url"] or f"sqlite:///{home / 'fireline.db'}",
        ladder=ladders[values["ladder"]],
        timezone=values["timezone"],
        actor=values["actor"] or None,
        policy_flags=policy_flags,
        labels=labels,
        policy_dir=_path(values["policy_dir"], cwd) if values["policy_dir"] else None,
        redaction_rules=(
            _path(values["redaction_rules"], cwd) if values["redaction_rules"] else None
        ),
        coordinate_precision=_precision(values["coordinate_precision"]),
        sensitive_clearance=_csv(values["sensitive_clearance"]),
        runbook_dir=_path(values["runbook_dir"] or ".", cwd),
        roster=roster,
        ladders=ladders,
        source=source,
        runbook_sections=_csv(values["runbook_sections"]),
        runbook_front_matter=values["runbook_front_matter"],
        runbook_stale_days=_positive("runbook_stale_days", values["runbook_stale_days"]),
        runbook_command_languages=tuple(
            lang.lower() for lang in _csv(values["runbook_command_languages"])
        ),
        runbook_index_pages=_csv(values["runbook_index_pages"]),
        suggest_threshold=_fraction("suggest_threshold", values["suggest_threshold"]),
        evidence_max_bytes=_byte_size("evidence_max_size", values["evidence_max_size"]),
        serve_host=_host(values["serve_host"]),
        serve_port=_whole_in("serve_port", values["serve_port"], 1, 65_535),
        serve_workers=_whole_in("serve_workers", values["serve_workers"], 1, 64),
        writer_batch_size=_whole_in("writer_batch_size", values["writer_batch_size"], 1, 10_000),
        writer_linger_ms=_whole_in("writer_linger_ms", values["writer_linger_ms"], 0, 1_000),
        log_origin=_origin(values["log_origin"]),
        **_account_settings(values),
        max_body_bytes=_byte_size("max_body_size", values["max_body_size"]),
        metrics_public=_boolean("metrics_public", values["metrics_public"]),
        cors_origins=_origins(values["cors_origins"]),
        shutdown_timeout=_seconds("shutdown_timeout", values["shutdown_timeout"], high=3600),
        postmortem_business_days=_whole_in(
            "postmortem_business_days", values["postmortem_business_days"], 1, 30
        ),
        holidays_file=_path(values["holidays_file"], cwd) if values["holidays_file"] else None,
        notify_worker=_boolean("notify_worker", values["notify_worker"]),
        notify_max_attempts=_whole_in("notify_max_attempts", values["notify_max_attempts"], 1, 100),
        notify_backoff=_seconds("notify_backoff", values["notify_backoff"], high=3600),
        notify_backoff_cap=_seconds(
            "notify_backoff_cap", values["notify_backoff_cap"], high=86_400
        ),
        notify_timeout=_seconds("notify_timeout", values["notify_timeout"], high=300),
        notify_lease=_seconds("notify_lease", values["notify_lease"], high=3600),
        notify_poll_ms=_whole_in("notify_poll_ms", values["notify_poll_ms"], 1, 60_000),
        **_intake_settings(values, file_data, source),
        update_reminder=_reminder(values["update_reminder"]),
        obligation_rules=rules,
        switches=parse_switch_tables(
            file_data.get("switches", {}),
            source,
            window=_duration("switch_stability_window", values["switch_stability_window"]),
            known_roles=frozenset({r.key for r in roster.roles} | set(REGISTRY_ROLES)),
        ),
        drill_programme=(
            parse_programme(file_data["drills"], source)
            if "drills" in file_data
            else DEFAULT_PROGRAMME
        ),
        components=parse_components(file_data.get("components", {}), source),
        status_page_title=values["status_page_title"].strip() or "Status",
    )


def _intake_settings(
    values: Mapping[str, str], file_data: Mapping[str, Any], source: str
) -> dict[str, Any]:
    """The alert intake block: limits, grouping, flapping, the on-call map, generic mappings."""
    oncall = file_data.get("oncall", {})
    if not isinstance(oncall, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in oncall.items()
    ):
        raise ConfigError(f"[oncall] in {source} must map service names to user names")
    mappings = file_data.get("sources", {})
    if not isinstance(mappings, dict) or not all(
        isinstance(table, dict) and all(isinstance(v, str) for v in table.values())
        for table in mappings.values()
    ):
        raise ConfigError(
            f'[sources.NAME] in {source} must be tables of field = "json.path" strings'
        )
    return {
        "intake_max_body_bytes": _byte_size("intake_max_body_size", values["intake_max_body_size"]),
        "intake_max_alerts": _whole_in(
            "intake_max_alerts", values["intake_max_alerts"], 1, 100_000
        ),
        "intake_max_labels": _whole_in("intake_max_labels", values["intake_max_labels"], 1, 1_000),
        "intake_group_by": _csv(values["intake_group_by"]),
        "intake_flap_changes": _whole_in(
            "intake_flap_changes", values["intake_flap_changes"], 2, 1_000
        ),
        "intake_flap_minutes": _whole_in(
            "intake_flap_minutes", values["intake_flap_minutes"], 1, 10_080
        ),
        "intake_max_future": _duration("intake_max_future", values["intake_max_future"]),
        "intake_max_age": _duration("intake_max_age", values["intake_max_age"]),
        "oncall": dict(oncall),
        "source_mappings": {name: dict(table) for name, table in mappings.items()},
    }


_HEADER = re.compile(r"[A-Za-z0-9-]{1,64}")


def _account_settings(values: Mapping[str, str]) -> dict[str, Any]:
    """The accounts block: token lifetimes, proxy sign-in and the login throttle."""
    durations = {
        key: _duration(key, values[key])
        for key in (
            "token_default_expiry",
            "token_max_expiry",
            "login_token_expiry",
            "web_session_expiry",
            "login_window",
            "login_lockout",
        )
    }
    for key in ("token_default_expiry", "login_token_expiry", "web_session_expiry"):
        if durations[key] > durations["token_max_expiry"]:
            raise ConfigError(
                f"setting {key!r} ({values[key]}) is longer than token_max_expiry "
                f"({values['token_max_expiry']})"
            )
    header = values["auth_proxy_header"].strip()
    if header and not _HEADER.fullmatch(header):
        raise ConfigError(
            f"setting 'auth_proxy_header' must be a header name like X-Forwarded-User, "
            f"got {_shown(header)}"
        )
    return {
        **durations,
        "auth_proxy_header": header or None,
        "trusted_proxies": tuple(_network(part) for part in _csv(values["trusted_proxies"])),
        "web_secure_cookie": _boolean("web_secure_cookie", values["web_secure_cookie"]),
        "login_max_failures": _count("login_max_failures", values["login_max_failures"]),
        "login_address_max_failures": _count(
            "login_address_max_failures", values["login_address_max_failures"]
        ),
    }


def _duration(key: str, text: str) -> timedelta:
    try:
        value = parse_duration(key, text)
    except InvalidCommandError:
        value = timedelta(0)
    if value <= timedelta(0):
        raise ConfigError(
            f"setting {key!r} must be a duration above 0 like 90d, 12h or 15m, got {_shown(text)}"
        )
    return value


def _reminder(text: str) -> timedelta:
    """`update_reminder`: 0 turns reminders off; otherwise a duration up to a day."""
    if text.strip() == "0":
        return timedelta(0)
    value = _duration("update_reminder", text)
    if value > timedelta(days=1):
        raise ConfigError(f"setting 'update_reminder' must be at most 1d, got {_shown(text)}")
    return value


def _network(text: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ConfigError(
            f"setting 'trusted_proxies' holds {_shown(text)}, not an address or CIDR "
            "(like 10.0.0.5 or 10.0.0.0/8)"
        ) from None


def _count(key: str, text: str) -> int:
    value = int(text.strip()) if text.strip().isdigit() and len(text.strip()) <= 6 else 0
    if value < 1:
        raise ConfigError(
            f"setting {key!r} must be a whole number from 1 to 999999, got {_shown(text)}"
        )
    return value


def _whole_in(key: str, text: str, low: int, high: int) -> int:
    raw = text.strip()
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else low - 1
    if not low <= value <= high:
        raise ConfigError(
            f"setting {key!r} must be a whole number from {low} to {high}, got {_shown(text)}"
        )
    return value


def _host(text: str) -> str:
    host = text.strip()
    if not host or len(host) > 253 or any(c.isspace() or not c.isprintable() for c in host):
        raise ConfigError(
            f"setting 'serve_host' must be a host name or address, got {_shown(text)}"
        )
    return host


def _origin(text: str) -> str:
    """A checkpoint origin: printable ASCII without spaces or '+' (a C2SP note name)."""
    if text and not all(33 <= ord(c) < 127 and c != "+" for c in text):
        raise ConfigError(
            f"log_origin {text!r} must be printable ASCII without spaces or '+' "
            "(e.g. fireline.example.com/incidents)"
        )
    return text


MAX_DAYS = 36_600  # a century: beyond it a day count is a typo (and overflows date arithmetic)


def _positive(key: str, text: str) -> int:
    try:
        value = int(text.strip()) if len(text.strip()) <= 10 else 0
    except ValueError:
        value = 0
    if not 0 < value <= MAX_DAYS:
        raise ConfigError(
            f"setting {key!r} must be a whole number of days from 1 to {MAX_DAYS}, "
            f"got {_shown(text)}"
        )
    return value


def _fraction(key: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"setting {key!r} must be a number from 0 to 1, got {text!r}")
    return value


def _byte_size(key: str, text: str) -> int:
    try:
        return parse_byte_size(key, text)
    except InvalidCommandError:
        raise ConfigError(
            f"setting {key!r} must be a size above 0 like 1GiB, 512MiB or 1048576 (bytes), "
            f"got {text!r}"
        ) from None


def _boolean(key: str, text: str) -> bool:
    word = text.strip().lower()
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off"):
        return False
    raise ConfigError(f"setting {key!r} must be true or false, got {_shown(text)}")


def _seconds(key: str, text: str, *, high: int) -> int:
    stripped = text.strip()
    value = int(stripped) if stripped.isdigit() and len(stripped) <= 10 else 0
    if not 0 < value <= high:
        raise ConfigError(
            f"setting {key!r} must be a whole number of seconds from 1 to {high}, "
            f"got {_shown(text)}"
        )
    return value


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?")


def _origins(text: str) -> tuple[str, ...]:
    """Exact browser origins (scheme, host, optional port): no wildcard, no path, so a
    configured list says precisely which web pages may call the API."""
    origins = _csv(text)
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"setting 'cors_origins' has {_shown(origin)}; each origin is "
                "http(s)://host[:port] with no path and no wildcard"
            )
    return origins


def _path(text: str, cwd: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else cwd / path


def _read_toml(env: Mapping[str, str], cwd: Path) -> tuple[dict[str, Any], str]:
    explicit = env.get("FIRELINE_CONFIG")
    path = Path(explicit) if explicit else cwd / "fireline.toml"
    if not explicit and not path.exists():
        return {}, "defaults"
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle), str(path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {path} is not UTF-8 text (byte {exc.start})") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise ConfigError(f"invalid TOML in {path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None


def _scalar(key: str, value: object, source: str) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    if isinstance(value, str):
        return value
    raise ConfigError(f"setting {key!r} in {source} must be a string, got {value!r}")


def _precision(text: str) -> float:
    """A grid between 0.000001° and 10°: coarser hides nothing useful, finer hides nothing."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 1e-6 <= value <= 10:
        raise ConfigError(
            f"invalid coordinate_precision {text!r}; a number of degrees from 0.000001 to 10"
        )
    return value


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _custom_ladders(tables: object, source: str) -> dict[str, Ladder]:
    if not isinstance(tables, dict):
        raise ConfigError(f"[ladders] in {source} must be a table of ladders")
    ladders = {}
    for name, table in tables.items():
        levels = table.get("levels") if isinstance(table, dict) else None
        if not isinstance(levels, list):
            raise ConfigError(f"ladder {name!r} in {source} needs a [[ladders.{name}.levels]] list")
        try:
            ladders[name] = Ladder(name, tuple(_level(name, raw) for raw in levels))
        except InvalidCommandError as exc:
            raise ConfigError(f"{exc.message} (in {source})") from None
    return ladders


# Bounds on a level's numbers: a rank orders a handful of levels, and a cadence or notice period
# beyond a week is no deadline at all (and would overflow date arithmetic if unbounded).
MAX_RANK = 1000
MAX_LEVEL_MINUTES = 7 * 24 * 60


def _whole(low: int, high: int) -> Callable[[object], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _strings(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


# Each key of a level: its check, and what is allowed (said when the check fails).
_LEVEL_KEYS: dict[str, tuple[Callable[[object], bool], str]] = {
    "name": (lambda v: isinstance(v, str) and bool(v), "a non-empty string"),
    "rank": (_whole(0, MAX_RANK), f"a whole number from 0 to {MAX_RANK}"),
    "description": (lambda v: isinstance(v, str), "a string"),
    "update_cadence_minutes": (
        _whole(1, MAX_LEVEL_MINUTES),
        f"whole minutes from 1 to {MAX_LEVEL_MINUTES}",
    ),
    "response_target": (lambda v: isinstance(v, str), "a string"),
    "customer_notice_minutes": (
        _whole(1, MAX_LEVEL_MINUTES),
        f"whole minutes from 1 to {MAX_LEVEL_MINUTES}",
    ),
    "response_minutes": (
        _whole(1, MAX_LEVEL_MINUTES),
        f"whole minutes from 1 to {MAX_LEVEL_MINUTES}",
    ),
    "required_roles": (_strings, "a list of role keys"),
    "freeze": (lambda v: isinstance(v, bool), "true or false"),
    "checklists": (
        lambda v: isinstance(v, list) and all(x in BUILTIN_CHECKLISTS for x in v),
        f"built-in checklists: {', '.join(BUILTIN_CHECKLISTS)}",
    ),
}


def _level(ladder: str, raw: object) -> SeverityLevel:
    if not isinstance(raw, dict):
        raise ConfigError(f"a level of ladder {ladder!r} is not a table")
    for key, value in raw.items():
        rule = _LEVEL_KEYS.get(key)
        if rule is None:
            raise ConfigError(
                f"unknown key {key!r} in ladder {ladder!r}; known: {', '.join(_LEVEL_KEYS)}"
            )
        check, allowed = rule
        if not check(value):
            raise ConfigError(f"invalid {key} {_shown(value)} in ladder {ladder!r}; {allowed}")
    for key in ("name", "rank"):
        if key not in raw:
            raise ConfigError(f"a level of ladder {ladder!r} lacks {key!r}")
    return SeverityLevel(
        name=raw["name"],
        rank=raw["rank"],
        description=raw.get("description", ""),
        update_cadence_minutes=raw.get("update_cadence_minutes"),
        response_target=raw.get("response_target", ""),
        customer_notice_minutes=raw.get("customer_notice_minutes"),
        required_roles=tuple(raw.get("required_roles", ())),
        freeze=raw.get("freeze", False),
        checklists=tuple(dict.fromkeys(raw.get("checklists", ()))),
        response_minutes=raw.get("response_minutes"),
    )


def _shown(value: object) -> str:
    """A config value quoted in a message, cut short: a message stays one readable line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "…"


def _check_required_roles(ladders: tuple[Ladder, ...], roster: Roster) -> None:
    """Every role a ladder in use requires must exist in the roster."""
    known = {role.key for role in roster.roles}
    for ladder in ladders:
        for level in ladder.levels:
            unknown = set(level.required_roles) - known
            if unknown:
                raise ConfigError(
                    f"ladder {ladder.name!r} level {level.name} requires unknown role(s) "
                    f"{', '.join(sorted(unknown))}; roles: {', '.join(sorted(known))}"
                )


def _custom_roster(tables: object, source: str) -> Roster:
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"[roles] in {source} must be a non-empty table of roles")
    roles = []
    for key, table in tables.items():
        if not isinstance(table, dict) or not isinstance(table.get("title"), str):
            raise ConfigError(f"role {key!r} in {source} needs a title string")
        roles.append(RoleSpec(key, table["title"], bool(table.get("multiple", False))))
    if "ic" not in tables:
        raise ConfigError(f"[roles] in {source} must keep 'ic': fireline relies on an IC")
    return Roster(tuple(roles))
