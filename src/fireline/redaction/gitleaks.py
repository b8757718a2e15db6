"""Extra redaction rules from a gitleaks-format TOML file (`[[rules]] id, regex, keywords`).

gitleaks writes its expressions in Go RE2 syntax; `translate` turns the parts Python's `re`
spells differently (mid-pattern flags, `\\z`, `\\Q…\\E`, `\\x{…}`, POSIX classes, a few Unicode
classes) into Python, and refuses what it cannot express. Any rule that cannot be loaded stops
start-up with one ConfigError line naming the rule id: fail closed, never scan with fewer rules
than configured.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from pathlib import Path
from typing import Any

from fireline.errors import ConfigError
from fireline.redaction.rules import Rule

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
# Unicode classes Python's re has an exact or conventional spelling for (inside a class: body).
_UNICODE = {"L": "^\\W\\d_", "N": "\\d", "Nd": "\\d", "Z": "\\s", "Zs": "\\s"}
_FLAGS = re.compile(r"\(\?([imsU]*(?:-[imsU]*)?)\)")
_SCOPED_FLAGS = re.compile(r"\(\?([imsU]*(?:-[imsU]*)?):")


class TranslationError(ValueError):
    """The RE2 expression uses something Python's re cannot express."""


def load_rules(path: Path) -> tuple[Rule, ...]:
    """Read and compile every rule in a gitleaks TOML file; ConfigError naming the bad rule."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read redaction rules {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in redaction rules {path}: {exc}") from None
    glob_allow, glob_stop = _allowlist(data.get("allowlist", {}), f"[allowlist] in {path}")
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ConfigError(f"redaction rules {path}: [[rules]] must be an array of tables")
    rules = []
    for index, raw in enumerate(raw_rules, start=1):
        rule = _rule(raw, index, path, glob_allow, glob_stop)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _rule(
    raw: Any, index: int, path: Path, glob_allow: list[str], glob_stop: list[str]
) -> Rule | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise ConfigError(f"redaction rules {path}: rule #{index} has no id")
    rule_id = raw["id"]
    where = f"redaction rule {rule_id!r} in {path}"
    regex = raw.get("regex")
    if regex is None:
        if "path" in raw:
            return None  # a path-only rule flags file names, which free text does not have
        raise ConfigError(f"{where} has no regex")
    keywords = raw.get("keywords", [])
    if not isinstance(regex, str) or not _strings(keywords):
        raise ConfigError(f"{where}: regex must be a string and keywords a list of strings")
    group = raw.get("secretGroup", 0)
    entropy = raw.get("entropy")
    if not isinstance(group, int) or group < 0:
        raise ConfigError(f"{where}: secretGroup must be a non-negative integer, got {group!r}")
    if entropy is not None and not isinstance(entropy, int | float):
        raise ConfigError(f"{where}: entropy must be a number, got {entropy!r}")
    allow, stop = list(glob_allow), list(glob_stop)
    lists = raw.get("allowlists", [])
    if "allowlist" in raw:
        lists = [raw["allowlist"], *lists]
    for table in lists:
        more_allow, more_stop = _allowlist(table, where)
        allow += more_allow
        stop += more_stop
    pattern = _compile(regex, where)
    if group > pattern.groups:
        raise ConfigError(f"{where}: secretGroup {group} but the regex has {pattern.groups} groups")
    return Rule(
        id=_type_name(rule_id),
        pattern=pattern,
        keywords=tuple(k.lower() for k in keywords),
        secret_groups=(group,) if group else (),
        entropy=float(entropy) if entropy is not None else None,
        allow=tuple(_compile(a, f"{where} (allowlist)") for a in allow),
        stopwords=tuple(s.lower() for s in stop),
        multiline="\\n" in regex or "(?s" in regex,
    )


def _allowlist(table: Any, where: str) -> tuple[list[str], list[str]]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: an allowlist must be a table")
    regexes, stopwords = table.get("regexes", []), table.get("stopwords", [])
    if not _strings(regexes) or not _strings(stopwords):
        raise ConfigError(f"{where}: allowlist regexes and stopwords must be lists of strings")
    return list(regexes), list(stopwords)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _type_name(rule_id: str) -> str:
    """Rule ids become placeholder types: lowercase letters, digits, dots, dashes."""
    name = re.sub(r"[^a-z0-9.-]+", "-", rule_id.lower()).strip("-.")
    return name or "secret"


def _compile(regex: str, where: str) -> re.Pattern[str]:
    try:
        python = translate(regex)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return re.compile(python)
    except (TranslationError, re.error, OverflowError) as exc:
        raise ConfigError(f"{where}: regex does not compile: {exc}") from None


def translate(pattern: str) -> str:
    """The RE2 expression `pattern` in Python `re` syntax; TranslationError if impossible."""
    out: list[str] = []
    # One entry per open group: the flag scopes opened inside it by a mid-pattern (?flags).
    scopes: list[list[str]] = [[]]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            text, i = _escape(pattern, i, in_class=False)
            out.append(text)
        elif c == "[":
            text, i = _char_class(pattern, i)
            out.append(text)
        elif c == "(":
            flags = _FLAGS.match(pattern, i)
            if flags:
                if "U" in flags.group(1):
                    raise TranslationError("the U (ungreedy) flag has no Python equivalent")
                if not out and "-" not in flags.group(1) and len(scopes) == 1:
                    out.append(flags.group())  # leading global flags mean the same in Python
                else:
                    out.append(f"(?{flags.group(1)}:")
                    scopes[-1].append(flags.group(1))
                i = flags.end()
                continue
            scoped = _SCOPED_FLAGS.match(pattern, i)
            if scoped and "U" in scoped.group(1):
                raise TranslationError("the U (ungreedy) flag has no Python equivalent")
            if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
                out.append("(?P<")  # RE2's (?<name>…) is Python's (?P<name>…)
                i += 3
            else:
                out.append("(")
                i += 1
            scopes.append([])
        elif c == ")":
            if len(scopes) == 1:
                raise TranslationError(f"unbalanced ')' at position {i}")
            out.append(")" * len(scopes.pop()) + ")")
            i += 1
        elif c == "|":
            open_flags = scopes[-1]
            out.append(")" * len(open_flags) + "|" + "".join(f"(?{f}:" for f in open_flags))
            i += 1
        else:
            out.append(c)
            i += 1
    if len(scopes) != 1:
        raise TranslationError("missing ')'")
    out.append(")" * len(scopes[0]))
    return "".join(out)


def _escape(pattern: str, i: int, *, in_class: bool) -> tuple[str, int]:
    """Translate the escape at `pattern[i]` (a backslash); return text and the next index."""
    nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
    if nxt == "":
        raise TranslationError("trailing backslash")
    if nxt == "Q" and not in_class:
        end = pattern.find("\\E", i + 2)
        stop = len(pattern) if end == -1 else end
        return re.escape(pattern[i + 2 : stop]), len(pattern) if end == -1 else end + 2
    if nxt == "z" and not in_class:
        return "\\Z", i + 2
    if nxt == "x" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        digits = pattern[i + 3 : end]
        if end == -1 or not re.fullmatch(r"[0-9A-Fa-f]{1,6}", digits):
            raise TranslationError(f"bad \\x{{…}} escape at position {i}")
        return f"\\U{int(digits, 16):08x}", end + 1
    if nxt in "pP":
        if pattern.startswith("{", i + 2):
            end = pattern.find("}", i + 3)
            name, after = pattern[i + 3 : end], end + 1
        else:
            name, after = pattern[i + 2 : i + 3], i + 3
        body = _UNICODE.get(name)
        if body is None:
            raise TranslationError(f"Unicode class \\{nxt}{{{name}}} is not supported")
        negate = nxt == "P"
        if in_class:
            if body.startswith("^") or negate:
                raise TranslationError(f"\\{nxt}{{{name}}} inside a class is not supported")
            return body, after
        if negate:
            body = body[1:] if body.startswith("^") else "^" + body
        return f"[{body}]", after
    if nxt == "C":
        raise TranslationError("\\C (any byte) is not supported")
    return pattern[i : i + 2], i + 2


def _char_class(pattern: str, i: int) -> tuple[str, int]:
    """Translate the character class starting at `pattern[i]` ('[')."""
    parts = ["["]
    j = i + 1
    if pattern.startswith("^", j):
        parts.append("^")
        j += 1
    if pattern.startswith("]", j):
        parts.append("\\]")
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        if pattern.startswith("[:", j):
            end = pattern.find(":]", j + 2)
            name = pattern[j + 2 : end]
            if end == -1 or name.lstrip("^") not in _POSIX:
                raise TranslationError(f"unknown POSIX class at position {j}")
            if name.startswith("^"):
                raise TranslationError("negated POSIX classes are not supported")
            parts.append(_POSIX[name])
            j = end + 2
        elif pattern[j] == "\\":
            text, j = _escape(pattern, j, in_class=True)
            parts.append(text)
        elif pattern[j] in "[&~|":
            parts.append("\\" + pattern[j])  # literal in RE2; Python may read set operations
            j += 1
        else:
            parts.append(pattern[j])
            j += 1
    if j >= len(pattern):
        raise TranslationError(f"missing ']' for the class at position {i}")
    parts.append("]")
    return "".join(parts), j + 1
