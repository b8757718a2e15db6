"""Settings: defaults < fireline.toml < FIRELINE_* env; every bad value is one clear ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.config import SETTINGS, load_settings
from fireline.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path)
    assert settings.home == tmp_path / "fireline-data"
    assert settings.database_url == f"sqlite:///{tmp_path / 'fireline-data' / 'fireline.db'}"
    assert settings.ladder.name == "kfm"
    assert settings.timezone == "UTC"
    assert settings.actor is None
    assert "policy-bypass" in settings.policy_flags
    assert settings.source == "defaults"
    assert settings.runbook_dir == tmp_path / "runbooks"
    assert settings.evidence_max_bytes == 1 << 30


def test_toml_then_env_override(tmp_path: Path) -> None:
    (tmp_path / "fireline.toml").write_text(
        'ladder = "classic"\ntimezone = "America/Chicago"\nlabels = ["public", "secret"]\n'
    )
    settings = load_settings({"FIRELINE_TIMEZONE": "Europe/Paris"}, cwd=tmp_path)
    assert settings.ladder.name == "classic"
    assert settings.timezone == "Europe/Paris"
    assert settings.labels == ("public", "secret")
    assert settings.source.endswith("fireline.toml")


def test_explicit_config_path_and_custom_ladder_and_roles(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(
        """
ladder = "p"
[ladders.p]
levels = [
  {name = "P1", rank = 2, update_cadence_minutes = 20, required_roles = ["ic"], freeze = true},
  {name = "P2", rank = 1, checklists = ["mitigated", "resolved", "mitigated"]},
]
[roles.ic]
title = "Lead"
[roles.helper]
title = "Helper"
multiple = true
"""
    )
    settings = load_settings({"FIRELINE_CONFIG": str(path)}, cwd=tmp_path)
    assert settings.ladder.ordered()[0].name == "P1"
    assert settings.ladder.level("P1").freeze
    assert settings.ladder.level("P1").checklists == ()
    assert settings.ladder.level("P2").checklists == ("mitigated", "resolved")
    assert [r.key for r in settings.roster.roles] == ["ic", "helper"]
    assert settings.roster.get("helper").multiple


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("ladder = [", "invalid TOML in"),
        ('colour = "red"', "unknown setting 'colour'"),
        ('ladder = "nope"', "unknown ladder 'nope'"),
        ('timezone = "Mars/Base"', "unknown timezone 'Mars/Base'"),
        ("ladder = 3", "setting 'ladder' in .* must be a string"),
        ("[ladders.x]\nlevels = 1", "needs a \\[\\[ladders.x.levels\\]\\] list"),
        ('[ladders.x]\nlevels = [{name = "A"}]', "lacks 'rank'"),
        ('[ladders.x]\nlevels = [{name = "A", rank = "high"}]', "invalid rank 'high'"),
        ('[ladders.x]\nlevels = [{name = "A", rank = 1, colour = 2}]', "unknown key 'colour'"),
        (
            '[ladders.x]\nlevels = [{name = "A", rank = 1}, {name = "B", rank = 1}]',
            "repeats a rank",
        ),
        (
            '[ladders.x]\nlevels = [{name = "A", rank = 1, required_roles = ["pilot"]}]',
            "requires unknown role\\(s\\) pilot",
        ),
        (
            '[ladders.x]\nlevels = [{name = "A", rank = 1, checklists = ["triage"]}]',
            "invalid checklists \\['triage'\\] .*; built-in checklists: first-15-minutes, ",
        ),
        ("[roles.x]\nmultiple = true", "role 'x' .* needs a title"),
        ('[roles.x]\ntitle = "X"', "must keep 'ic'"),
        ('ladder = "classic"\n[roles.ic]\ntitle = "IC"', "ladder 'classic' level SEV1 requires"),
        ("ladders = 1", "\\[ladders\\] .* must be a table"),
        ('evidence_max_size = "0"', "setting 'evidence_max_size' must be a size above 0 like"),
        ('evidence_max_size = "1GB"', "must be a size above 0 like 1GiB, 512MiB or 1048576"),
        ("evidence_max_size = 1024", "setting 'evidence_max_size' in .* must be a string"),
        ('max_body_size = "1MB"', "setting 'max_body_size' must be a size above 0 like"),
        ('metrics_public = "maybe"', "setting 'metrics_public' must be true or false, got 'maybe'"),
        (
            'shutdown_timeout = "0"',
            "'shutdown_timeout' must be a whole number of seconds from 1 to",
        ),
        ('shutdown_timeout = "3601"', "seconds from 1 to 3600, got '3601'"),
        ('cors_origins = "*"', "setting 'cors_origins' has '\\*'; each origin is http\\(s\\)://"),
        (
            'cors_origins = ["https://ops.example.com/app"]',
            "'https://ops.example.com/app'; each origin is http\\(s\\)://host\\[:port\\]",
        ),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "fireline.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings({}, cwd=tmp_path)
    assert "\n" not in info.value.message


def test_unreadable_config_file(tmp_path: Path) -> None:
    (tmp_path / "fireline.toml").mkdir()
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings({}, cwd=tmp_path)


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config .*missing.toml"):
        load_settings({"FIRELINE_CONFIG": str(tmp_path / "missing.toml")}, cwd=tmp_path)


def test_env_values_are_validated_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown ladder 'sev-ladder'"):
        load_settings({"FIRELINE_LADDER": "sev-ladder"}, cwd=tmp_path)


def test_every_setting_has_help() -> None:
    assert all(setting.help.endswith(".") for setting in SETTINGS)


def test_the_evidence_size_limit_takes_binary_units_from_toml_and_env(tmp_path: Path) -> None:
    (tmp_path / "fireline.toml").write_text('evidence_max_size = "512 MiB"\n')
    assert load_settings({}, cwd=tmp_path).evidence_max_bytes == 512 * 1024 * 1024
    env = {"FIRELINE_EVIDENCE_MAX_SIZE": "2GiB"}
    assert load_settings(env, cwd=tmp_path).evidence_max_bytes == 2 * 1024**3
    env = {"FIRELINE_EVIDENCE_MAX_SIZE": "1048576"}
    assert load_settings(env, cwd=tmp_path).evidence_max_bytes == 1024 * 1024


def test_server_settings_from_toml_and_env(tmp_path: Path) -> None:
    defaults = load_settings({}, cwd=tmp_path)
    assert defaults.max_body_bytes == 2 * 1024 * 1024
    assert defaults.metrics_public is True
    assert defaults.cors_origins == ()
    assert defaults.shutdown_timeout == 30
    (tmp_path / "fireline.toml").write_text(
        'max_body_size = "64KiB"\nmetrics_public = "false"\n'
        'cors_origins = ["https://ops.example.com", "http://localhost:5173"]\n'
    )
    configured = load_settings({"FIRELINE_SHUTDOWN_TIMEOUT": "5"}, cwd=tmp_path)
    assert configured.max_body_bytes == 64 * 1024
    assert configured.metrics_public is False
    assert configured.cors_origins == ("https://ops.example.com", "http://localhost:5173")
    assert configured.shutdown_timeout == 5
