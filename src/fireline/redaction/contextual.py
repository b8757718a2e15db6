"""Secrets found by their context: key names, call arguments, headers, flags, URLs, markup.

These rules have no token shape to go by, so each match is judged by the key name
(`keynames.key_strength`) and by the value: placeholders, templates, shell substitutions and
code references are not secrets; a value behind a weak key must look like a credential. The
value pattern never starts on an operator or a scheme word (`KEY :::= "v"`, `@"v"`,
`token: Bearer v` all replace `v`), and stops at JSON escapes (`\\n`, `\\"`). Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import re

from fireline.redaction.detector import Rule, escape_aware, shannon_entropy
from fireline.redaction.keynames import FAINT, STRONG, TRIGGER, TRIGGER_KEYWORDS, WEAK, key_strength

SCHEMES = r"(?:bearer|basic|token|bot|digest|ssws|apikey|api-key|sso-key|otp|hmac|key|jwt)"
_SCHEME_PREFIX = re.compile(rf"(?i){SCHEMES}[ \t]+(?=\S)")
# Substitutions: the value is filled in elsewhere (never a secret, never half-replaced).
_SUBST = (
    r"\$\(\([^)\r\n]*\)\)|\$\([^)\r\n]*\)|\$\{[^}\r\n]*\}|%[A-Za-z_]\w*%|\{\{[^}\r\n]*\}\}"
    r"|\$\{\{[^}\r\n]*\}\}|#\{[^}\r\n]*\}"
)
# A value: JSON-escaped quotes, quotes, backticks, a substitution, or a bare run that ends at
# whitespace, quotes, separators and JSON escapes.
VALUE = (
    r"(?:\\\"(?P<eq>(?:[^\"\\\r\n]|\\(?![nrt\"\\]))+)\\\""
    r"|\"(?P<dq>(?:[^\"\\\r\n]|\\[^\r\n])+)\""
    r"|'(?P<sq>(?:[^'\\\r\n]|\\[^\r\n])+)'"
    r"|`(?P<bq>[^`\r\n]+)`"
    r"|(?P<sub>" + _SUBST + r")(?![^\s\"'`,;&<>()\[\]{}|\\])"
    r"|(?P<bare>(?![:=>])(?!"
    + SCHEMES
    + r"[ \t]+\S)(?:[^\s\"'`,;&<>()\[\]{}\\|]|\\(?![nrt\"'\\]))+))"
)
VALUE_GROUPS: tuple[int | str, ...] = ("eq", "dq", "sq", "bq", "bare")
_QUOTED = frozenset({"eq", "dq", "sq", "bq"})

_OP = r"[ \t]*(?:[:?+!|.]{0,3}={1,3}>?|:{1,4}=?|\|\||\?\?|<-)[ \t]*"
# A key passed as a call's first argument, the value as its second: setProperty("K", "v").
_CALL_KEY = r"\([ \t]*(?P<kq>\\?[\"'])" + "{key}" + r"(?P=kq)[ \t]*,[ \t]*"
_TYPE_ANNOTATION = (
    r"(?:[ \t]*:[ \t]*[A-Za-z_][\w.\[\]| ]{0,30}?(?=[ \t]*=[^=])"
    r"|[ \t]+(?:string|\[\]byte)(?=[ \t]*=))?"
)
_VALUE_PREFIX = r"(?:@|[rbuf]{1,2}(?=[\"'])|(?P<scheme>" + SCHEMES + r")[ \t]+(?=\S))?"
KEY = r"(?P<key>[A-Za-z0-9_.$@-]{0,60}?" + TRIGGER + r"[A-Za-z0-9_.-]{0,40})"
_KEY_START = r"(?<![A-Za-z0-9_.$@-])(?<!\$\{)"
_KEY_END = r"(?:\\?[\"'`])?\]?"

_STOPWORDS = frozenset(
    {
        "the", "a", "an", "is", "are", "was", "were", "be", "been", "see", "set", "sent", "not",
        "and", "or", "for", "from", "with", "without", "to", "in", "on", "of", "by", "as", "at",
        "it", "this", "that", "these", "those", "here", "there", "please", "must", "should",
        "will", "can", "cannot", "may", "missing", "invalid", "incorrect", "wrong", "expired",
        "revoked", "rotated", "reset", "changed", "updated", "provided", "stored", "hidden",
        "removed", "same", "new", "old", "above", "below", "following", "unknown", "used",
        "using", "via", "if", "when", "then", "else", "only", "never", "always", "also", "etc",
        "ok", "okay", "error", "failed", "success", "valid", "await", "async", "function",
        "lambda", "return", "yield", "def", "var", "let", "const", "import", "export", "self",
        "cls", "input", "getpass", "prompt", "env", "os", "process", "request", "args",
        "kwargs", "params", "options", "opts", "props", "config", "settings", "secrets",
        "vault", "keychain", "keyring", "inherit", "auto", "generated", "random", "manual",
        "prompted", "flag", "file", "stdin", "none", "given", "null", "instead", "like", "such",
        "what", "which", "who", "how", "why", "where", "just", "blank", "empty", "optional",
        "protected", "include", "omit", "same-origin", "ignore", "disabled", "enabled",
    }
)  # fmt: skip
_CODE_REFERENCE = re.compile(
    r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[\d.]+|[A-Za-z_]+(?:::[A-Za-z_]+)+"
)
_IDENTIFIER = re.compile(r"[A-Za-z_]+")
_HEX_OR_UUID = re.compile(r"[0-9a-fA-F-]+")


def looks_random(value: str, *, min_len: int, min_entropy: float) -> bool:
    """A credential-looking value: long enough, no spaces, letters mixed with digits or symbols."""
    if len(value) < min_len or any(c.isspace() for c in value):
        return False
    has_alpha = any(c.isalpha() for c in value)
    has_other = any(not c.isalpha() for c in value)
    return has_alpha and has_other and shannon_entropy(value) >= min_entropy


def judge_value(value: str, *, strength: int, quoted: bool) -> bool:
    """Whether `value`, found behind a key of `strength`, is taken for a secret."""
    if (value.isdigit() and len(value) < 6) or not any(c.isalnum() for c in value):
        return False
    if not quoted:
        core = value.rstrip(".,:;!?")
        if core.lower() in _STOPWORDS or _CODE_REFERENCE.fullmatch(core):
            return False
        if _IDENTIFIER.fullmatch(core) and key_strength(core) > 0:
            return False  # `password=password`, `token=TOKEN`: a variable passed on
    elif len(value.split()) >= 5:
        return False  # a sentence (a validation message), not a secret
    if strength >= STRONG:
        return True
    if strength == WEAK:
        return looks_random(value, min_len=8, min_entropy=2.0)
    if strength == FAINT:
        return not _HEX_OR_UUID.fullmatch(value) and looks_random(
            value, min_len=16, min_entropy=3.0
        )
    return False


def _value_group(match: re.Match[str]) -> str | None:
    """Which value alternative matched; None when the pattern has value groups and none did."""
    names = [n for n in VALUE_GROUPS if isinstance(n, str) and n in match.re.groupindex]
    for name in names:
        if match.group(name) is not None:
            return name
    return None if names else "bare"


def _strip_scheme(match: re.Match[str], start: int, end: int) -> int:
    """Inside a quoted value, a leading scheme word (`"Bearer v"`) is not the secret."""
    prefix = _SCHEME_PREFIX.match(match.string, start, end)
    return prefix.end() if prefix else start


def refine_keyed(match: re.Match[str], start: int, end: int) -> tuple[int, int] | None:
    """Keep a key=value match only when the key holds secrets and the value is one."""
    strength = key_strength(match.group("key"))
    group = _value_group(match)
    if not strength or group is None:
        return None
    quoted = group in _QUOTED
    if quoted:
        start = _strip_scheme(match, start, end)
        if group == "bq" and (" " in match.group("bq") or match.group("bq").startswith("$")):
            return None  # `cat file`: a shell command substitution
    elif match.string[end : end + 1] in ("(", "["):
        return None  # a call or an index: code, not a value
    value = match.string[start:end]
    return (start, end) if judge_value(value, strength=strength, quoted=quoted) else None


def refine_value(match: re.Match[str], start: int, end: int) -> tuple[int, int] | None:
    """For rules whose context is certain (`mysql -p`, `user:password@`): only the value is
    judged, and as written (`my.pass` in a URL is a password, not an attribute access)."""
    if _value_group(match) is None:
        return None
    value = match.string[start:end]
    return (start, end) if judge_value(value, strength=STRONG, quoted=True) else None


def refine_prose(match: re.Match[str], start: int, end: int) -> tuple[int, int] | None:
    """`the password is Summer2024!`: prose names the secret, so the value must look like one."""
    value = match.string[start:end]
    return (start, end) if judge_value(value, strength=WEAK, quoted=False) else None


def _is_basic_credentials(value: str) -> bool:
    """`Basic <base64>` outside a header counts only when it decodes to `user:password`."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    text = decoded.decode("utf-8", "replace")
    return ":" in text and text.isprintable() and len(text) >= 3


def _rule(rule_id: str, pattern: str, keywords: tuple[str, ...], **extra: object) -> Rule:
    extra.setdefault("secret_groups", ("s",))
    extra.setdefault("assignment", True)
    compiled = re.compile(escape_aware(pattern), re.IGNORECASE)
    return Rule(rule_id, compiled, keywords, examples=True, **extra)  # type: ignore[arg-type]


_KEY_TYPES = {
    "pass": "password",
    "pwd": "password",
    "secret": "secret",
    "token": "token",
    "bearer": "token",
    "key": "api-key",
    "cred": "credential",
    "pat": "token",
    "auth": "token",
    "pw": "password",
}

_AUTH_WORDS = (
    r"(?:bearer|basic|token|bot|digest|ssws|apikey|sso-key|otp|hmac|negotiate|ntlm|key"
    r"|aws4-hmac-sha256|dpop|mac|hoba|mutual|vapid|scram-sha-256|gssapi)"
)
_AUTH_SCHEME = r"(?:(?P<scheme>" + _AUTH_WORDS + r"|[a-z][\w.-]{1,20})[ \t]+)?"

CONTEXT_RULES: tuple[Rule, ...] = (
    _rule(
        "authorization",
        r"(?<![\w-])(?:proxy-)?authorization\\?[\"'`]?\]?[ \t]*(?:[:=,]|=>)[ \t]*(?:\\?[\"'`])?"
        + _AUTH_SCHEME
        + r"(?:(?P<sub>"
        + _SUBST
        + r")|(?P<s>(?!"
        + _AUTH_WORDS
        + r"(?![\w-]))[A-Za-z0-9._~+/=:%-]{4,}))",
        ("authorization",),
        type_group="scheme",
        type_of={"bearer": "bearer-token", "basic": "basic-auth", "token": "token"},
    ),
    _rule(
        "bearer-token",
        r"\bbearer[ \t]+(?P<s>(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{16,}=*)",
        ("bearer",),
    ),
    _rule(
        "basic-auth",
        r"\bbasic[ \t]+(?P<s>[A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])",
        ("basic",),
        valid=_is_basic_credentials,
    ),
    _rule(
        "url-password",
        r"\b[a-z][a-z0-9+.-]{1,30}://[^\s:/@?#\"'<>]{0,256}:(?P<s>[^\s@/\"'<>]{1,256})@",
        ("://",),
        refine=refine_value,
        secret_groups=("s",),
    ),
    _rule(
        "password",
        _KEY_START
        + r"(?:\\?[\"'`]|\[)?"
        + KEY
        + _KEY_END
        + _TYPE_ANNOTATION
        + _OP
        + _VALUE_PREFIX
        + VALUE,
        TRIGGER_KEYWORDS,
        secret_groups=VALUE_GROUPS,
        refine=refine_keyed,
        type_of=_KEY_TYPES,
        anchor=re.compile(TRIGGER),
    ),
    _rule(
        "password",
        _CALL_KEY.format(key=KEY) + _VALUE_PREFIX + VALUE,
        TRIGGER_KEYWORDS,
        secret_groups=VALUE_GROUPS,
        refine=refine_keyed,
        type_of=_KEY_TYPES,
    ),
    _rule(
        "password",
        r"\bname:[ \t]*(?P<kq>[\"']?)(?P<key>[\w.-]{0,60}?" + TRIGGER + r"[\w.-]{0,40})(?P=kq)"
        r"[ \t]*\r?\n[ \t]*(?:-[ \t]+)?value:[ \t]*" + VALUE,
        ("name:",),
        secret_groups=VALUE_GROUPS,
        refine=refine_keyed,
        type_of=_KEY_TYPES,
        extra_lines=1,
    ),
    _rule(
        "password",
        r"(?<![\w-])-{1,2}(?P<key>[a-z0-9_-]{0,30}?"
        + TRIGGER
        + r"[a-z0-9_-]{0,30})[ \t]+(?!-)"
        + VALUE,
        TRIGGER_KEYWORDS,
        secret_groups=VALUE_GROUPS,
        refine=refine_keyed,
        type_of=_KEY_TYPES,
    ),
    _rule(
        "password",
        r"<(?P<key>[\w:.-]{0,40}?" + TRIGGER + r"[\w:.-]{0,40})(?:[ \t][^>\r\n]*)?>"
        r"(?P<dq>[^<\r\n]{1,500})</(?P=key)>",
        TRIGGER_KEYWORDS,
        secret_groups=("dq",),
        refine=refine_keyed,
        type_of=_KEY_TYPES,
    ),
    _rule(
        "password",
        r"<(?P<tag>[\w:.-]{1,40})[ \t][^>\r\n]*?\b(?:key|name)[ \t]*=[ \t]*[\"']"
        r"(?P<key>[^\"'\r\n]{0,60}?" + TRIGGER + r"[^\"'\r\n]{0,40})[\"'][^>\r\n]*>"
        r"(?P<dq>[^<\r\n]{1,500})</(?P=tag)>",
        TRIGGER_KEYWORDS,
        secret_groups=("dq",),
        refine=refine_keyed,
        type_of=_KEY_TYPES,
    ),
    _rule(
        "password",
        r"\b(?:key|name)[ \t]*=[ \t]*(?P<q>\\?[\"'])(?P<key>[^\"'\\\r\n]{1,80})(?P=q)[ \t]+"
        r"value[ \t]*=[ \t]*(?P<q2>\\?[\"'])(?P<dq>[^\"'\\\r\n]+)(?P=q2)",
        ("value",),
        secret_groups=("dq",),
        refine=refine_keyed,
        type_of=_KEY_TYPES,
    ),
    _rule(
        "password",
        r"\$\{(?P<key>[A-Za-z_]\w*):?[-=](?P<bare>[^}\s]+)\}",
        ("${",),
        secret_groups=("bare",),
        refine=refine_keyed,
        type_of=_KEY_TYPES,
    ),
    _rule(
        "password",
        r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mysqlimport|mysqlsh|mysqlcheck)\b[^\r\n|;&]*?"
        r"[ \t]-p(?:'(?P<sq>[^'\r\n]+)'|\"(?P<dq>[^\"\r\n]+)\"|(?P<bare>[^\s'\"-][^\s'\"]*))",
        ("mysql", "mariadb"),
        secret_groups=("sq", "dq", "bare"),
        refine=refine_value,
    ),
    _rule(
        "password",
        r"\b(?:sshpass[^\r\n|;&]*?[ \t]-p|redis-cli[^\r\n|;&]*?[ \t]-a"
        r"|(?:docker|podman|helm|skopeo|buildah|nerdctl|oc)\b[^\r\n|;&]*?\blogin\b[^\r\n|;&]*?"
        r"[ \t]-p)[ \t]*" + VALUE,
        ("sshpass", "redis-cli", "login"),
        secret_groups=VALUE_GROUPS,
        refine=refine_value,
    ),
    _rule(
        "password",
        r"(?<![\w-])(?:-u|--user|--proxy-user|-U)(?:[ \t]+|=)?(?P<q>[\"']?)[^\s:%'\"$-]"
        r"[^\s:%'\"]*[:%](?P<s>[^\s'\"]+)(?P=q)",
        ("-u", "--user", "--proxy-user"),
        refine=refine_value,
    ),
    _rule(
        "password",
        r"(?:\bauth[ \t]*=[ \t]*[(\[]|\b(?:HTTPBasicAuth|HTTPDigestAuth|BasicAuth|"
        r"UsernamePasswordCredentials|PasswordAuthentication|NetworkCredential)[ \t]*\()"
        r"[ \t]*[\"'][^\"'\r\n]+[\"'][ \t]*,[ \t]*" + VALUE,
        ("auth", "credential"),
        secret_groups=VALUE_GROUPS,
        refine=refine_value,
    ),
    _rule(
        "password",
        r"(?<![\w-])(?P<key>pass(?:word|phrase|wd)?|pwd|secret|token|api[ _-]?key)[ \t]+"
        r"(?:is|was|will be|remains)[ \t]*:?[ \t]+(?P<bare>[^\s\"'`,;<>()]{8,})",
        ("pass", "pwd", "secret", "token", "key"),
        secret_groups=("bare",),
        refine=refine_prose,
        type_of=_KEY_TYPES,
    ),
    _rule(
        "password",
        r"\blogin[ \t]+\S+[ \t]+password[ \t]+(?P<bare>\S+)",
        ("login",),
        secret_groups=("bare",),
        refine=refine_value,
    ),
    _rule(
        "password",
        r"\b(?:identified[ \t]+by|with[ \t]+(?:encrypted[ \t]+)?password|password)[ \t]+"
        r"'(?P<s>[^'\r\n]+)'",
        ("identified", "password"),
    ),
)
