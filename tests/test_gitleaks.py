"""Loading gitleaks-format rule files: good rules apply, a bad one stops start-up by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.config import load_settings
from fireline.errors import ConfigError
from fireline.redaction import Finding, Redactor
from fireline.redaction.gitleaks import TranslationError, load_rules, translate

RULES = """
title = "team rules"

[allowlist]
stopwords = ["example"]

[[rules]]
id = "acme-api-key"
description = "Acme API key"
regex = '''(?i)acme[_-]?key\\s*[:=]\\s*(acme_[a-z0-9]{16})'''
secretGroup = 1
keywords = ["acme"]

[[rules]]
id = "Internal Token"
regex = '''\\bitk\\.[A-Za-z0-9]{20}\\b'''
keywords = ["itk."]
entropy = 3.0

[[rules.allowlists]]
regexes = ['''itk\\.0{20}''']

[[rules]]
id = "pkcs12-file"
path = '''\\.p12$'''
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_rules_from_a_gitleaks_file_redact_with_their_id(tmp_path: Path) -> None:
    redactor = Redactor(load_rules(write(tmp_path, RULES)))
    result = redactor.redact("ACME_KEY = acme_0123456789abcdef and itk.Zx9Yw8Vu7Ts6Rq5Po4Nm")
    assert result.text == "ACME_KEY = [REDACTED:acme-api-key#1] and [REDACTED:internal-token#1]"
    assert result.findings == (Finding("acme-api-key", 1), Finding("internal-token", 1))


def test_allowlists_entropy_and_stopwords_spare_values(tmp_path: Path) -> None:
    redactor = Redactor(load_rules(write(tmp_path, RULES)))
    for text in (
        "itk.00000000000000000000",  # rule allowlist
        "itk.aaaaaaaaaaaaaaaaaaab",  # below the entropy threshold
        "acme_key=acme_example12345678",  # global stopword
    ):
        assert redactor.redact(text).text == text


def test_settings_load_the_rule_file(tmp_path: Path) -> None:
    write(tmp_path, RULES)
    settings = load_settings({"FIRELINE_REDACTION_RULES": "rules.toml"}, cwd=tmp_path)
    redactor = Redactor.from_settings(settings)
    assert "[REDACTED:acme-api-key#1]" in redactor.redact("acme-key: acme_0123456789abcdef").text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[rules]]\nid = 'broken-rule'\nregex = '''(unclosed'''\n",
            "redaction rule 'broken-rule' in .*rules.toml: regex does not compile",
        ),
        (
            "[[rules]]\nid = 'ungreedy'\nregex = '''(?U)a+'''\n",
            "redaction rule 'ungreedy' .*U \\(ungreedy\\) flag",
        ),
        (
            "[[rules]]\nid = 'script'\nregex = '''\\p{Greek}+'''\n",
            "redaction rule 'script' .*Unicode class",
        ),
        ("[[rules]]\nregex = 'x'\n", "rule #1 has no id"),
        ("[[rules]]\nid = 'nothing'\n", "'nothing' .* has no regex"),
        ("[[rules]]\nid = 'g'\nregex = 'a'\nsecretGroup = 2\n", "secretGroup 2 but the regex"),
        ("[[rules]]\nid = 'k'\nregex = 'a'\nkeywords = 'a'\n", "keywords a list of strings"),
        (
            "[[rules]]\nid = 'al'\nregex = 'a'\n[rules.allowlist]\nregexes = ['(']\n",
            "'al' .*\\(allowlist\\): regex does not compile",
        ),
        ("rules = [", "invalid TOML in redaction rules"),
    ],
)
def test_a_bad_rule_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_rules(write(tmp_path, text))


def test_a_missing_rule_file_is_a_config_error(tmp_path: Path) -> None:
    settings = load_settings({"FIRELINE_REDACTION_RULES": "absent.toml"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="cannot read redaction rules"):
        Redactor.from_settings(settings)


@pytest.mark.parametrize(
    ("re2", "python"),
    [
        ("(?i)abc", "(?i)abc"),
        ("a(?i)bc", "a(?i:bc)"),
        ("a(?i)b|c", "a(?i:b)|(?i:c)"),
        ("(x(?i)y)z", "(x(?i:y))z"),
        ("(?<tok>[a-z]+)", "(?P<tok>[a-z]+)"),
        ("end\\z", "end\\Z"),
        ("\\Qa.b\\E+", "a\\.b+"),
        ("\\x{41}", "\\U00000041"),
        ("[[:alnum:]_]", "[0-9A-Za-z_]"),
        ("\\pL+", "[^\\W\\d_]+"),
        ("[a&&b]", "[a\\&\\&b]"),
        ("(?-i)x", "(?-i:x)"),
    ],
)
def test_re2_translation(re2: str, python: str) -> None:
    assert translate(re2) == python


@pytest.mark.parametrize("re2", ["a)", "(a", "[abc", "\\C", "[[:nope:]]", "x\\"])
def test_untranslatable_re2_is_refused(re2: str) -> None:
    with pytest.raises(TranslationError):
        translate(re2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules = 'x'\n", "must be an array of tables"),
        ("[[rules]]\nid = 'n'\nregex = 'a'\nsecretGroup = -1\n", "secretGroup must be"),
        ("[[rules]]\nid = 'e'\nregex = 'a'\nentropy = 'high'\n", "entropy must be a number"),
        ("allowlist = 'x'\n", "an allowlist must be a table"),
        ("[allowlist]\nstopwords = 'x'\n", "must be lists of strings"),
    ],
)
def test_malformed_rule_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_rules(write(tmp_path, text))


@pytest.mark.parametrize(
    ("re2", "python"),
    [("[]a]", "[\\]a]"), ("[^\\pN]", "[^\\d]"), ("\\PN", "[^\\d]"), ("\\PL", "[\\W\\d_]")],
)
def test_more_re2_translation(re2: str, python: str) -> None:
    assert translate(re2) == python


@pytest.mark.parametrize("re2", ["\\x{zz}", "[[:^alpha:]]", "[\\PL]", "(?U:a)"])
def test_more_untranslatable_re2(re2: str) -> None:
    with pytest.raises(TranslationError):
        translate(re2)


def test_a_rule_without_keywords_runs_on_every_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[[rules]]\nid = 'pin'\nregex = 'PIN-[0-9]{6}'\n")
    redactor = Redactor(load_rules(path))
    assert redactor.redact("a\nlocker PIN-123456 open").text == "a\nlocker [REDACTED:pin#1] open"
