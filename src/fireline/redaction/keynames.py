"""Which key names hold secrets: `dbPassword`, `apiKeyProd`, `access_token1`, `X-Api-Key`.

A key is split into words (camelCase, snake_case, kebab-case, dots, digits) and judged by them:
STRONG names (password, secret, token, api key, `db_pass`, …) hold a secret whatever it looks
like; WEAK ones (`auth`, `stripe_key`) only when the value looks like a credential; FAINT ones
(a bare `key`) only when it looks random. Names that describe a secret rather than hold one
(`token_count`, `password_reset`, `max_tokens`, `secret_name`) hold none. Pure: no I/O.
"""

from __future__ import annotations

import re

NONE, FAINT, WEAK, STRONG = 0, 1, 2, 3

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

_STRONG_WORDS = frozenset(
    {
        "password", "passwd", "passphrase", "pwd", "passcode", "secret", "token", "credential",
        "credentials", "creds", "cred", "apikey", "bearer", "privatekey", "pat",
    }
)  # fmt: skip
_STRONG_SUFFIXES = (
    "password", "passwd", "passphrase", "token", "secret", "apikey", "accesskey", "secretkey",
    "privatekey", "writekey", "readkey", "authkey", "masterkey", "signingkey", "sessionkey",
    "pwd", "credentials",
)  # fmt: skip
_NOT_PASS = frozenset({"bypass", "compass", "overpass", "underpass", "surpass", "trespass"})
# A `<qualifier> key` holds a secret for these qualifiers…
_KEY_QUALIFIERS = frozenset(
    {
        "api", "access", "secret", "private", "signing", "sign", "encryption", "encrypt",
        "decryption", "master", "app", "application", "license", "licence", "client", "service",
        "account", "storage", "auth", "ssh", "session", "webhook", "consumer", "shared", "hmac",
        "jwt", "admin", "write", "read", "deploy", "server", "subscription", "integration", "sdk",
        "ingest", "ingestion", "personal", "root", "crypto", "cipher", "aes", "pgp", "gpg",
        "security", "live", "secure", "user", "bot", "management", "mgmt", "partner",
        "merchant", "developer", "restricted", "x",
    }
)  # fmt: skip
# …and none for these (a cache key is not a credential).
_KEY_NOT_SECRET = frozenset(
    {
        "public", "pub", "publishable", "primary", "foreign", "sort", "partition", "cache",
        "idempotency",
        "object", "bucket", "dict", "hot", "lookup", "row", "sharding", "routing", "group",
        "message", "event", "cursor", "order", "entity", "composite", "unique", "index",
        "natural", "surrogate", "kv", "registry", "metric", "label", "tag", "translation",
        "locale", "ui", "list", "item", "host", "known", "map", "hash", "file", "config",
        "setting", "settings", "json", "yaml", "field", "column", "attr", "property", "prop",
        "record", "table", "search", "sequence", "shortcut", "keyboard", "lock", "rate",
        "dedup", "job", "task", "queue", "topic", "stream", "trace", "span", "request",
        "media", "next", "prev", "previous", "parent", "child", "dedupe", "s", "react",
    }
)  # fmt: skip
# Words after the secret word that make the key describe it instead of holding it.
_TAILS = frozenset(
    {
        "count", "counts", "type", "types", "kind", "url", "uri", "urls", "endpoint",
        "endpoints", "host", "expiry", "expires", "expire", "expiration", "expired", "exp",
        "ttl", "length", "len", "size", "name", "names", "id", "ids", "path", "paths", "file",
        "files", "filename", "dir", "directory", "header", "prefix", "suffix", "limit",
        "limits", "max", "min", "reset", "policy", "policies", "enabled", "enable", "disabled",
        "required", "hint", "field", "fields", "label", "format", "version", "timeout",
        "lifetime", "validity", "valid", "location", "env", "var", "variable", "source", "ref",
        "manager", "provider", "class", "mode", "strategy", "placeholder", "regex", "pattern",
        "rotation", "rotated", "created", "updated", "changed", "date", "time", "at", "age",
        "generated", "error", "errors", "missing", "sent", "scope", "scopes", "audience",
        "issuer", "algorithm", "alg", "usage", "index", "budget", "method", "methods", "flow",
        "param", "parameter", "params", "position", "pos", "offset", "bits", "strength",
        "complexity", "rule", "rules", "reason", "status", "state", "message", "msg", "text",
        "title", "description", "desc", "prompt", "input", "column", "attr", "attribute",
        "handler", "callback", "func", "function", "fn", "request", "response", "cache",
        "pool", "list", "map", "set", "dict", "table", "query", "char", "chars", "history",
        "stdin", "flag", "flags", "command", "cmd", "script", "helper", "dialog", "form",
        "box", "button", "icon", "view", "page", "screen", "tooltip", "visible", "toggle",
        "requirements", "store", "storage", "backend", "service", "arn", "region",
        "bytes", "lines", "mount", "volume", "refs", "selector", "key_id", "counter",
        "estimate", "estimated", "used", "remaining", "total", "num", "number",
        "tokenizer", "info", "meta", "metadata", "spec", "schema",
    }
)  # fmt: skip
_HEADS = frozenset(
    {
        "max", "min", "num", "number", "total", "is", "has", "use", "uses", "show", "hide",
        "enable", "enabled", "disable", "disabled", "require", "requires", "required", "no",
        "allow", "allowed", "count", "n", "should", "must", "can", "validate", "check",
        "forgot", "forget", "reset", "toggle", "if", "len", "length", "missing", "invalid",
        "expected", "expire", "expires", "generate", "rotate", "verify", "last", "on", "get",
        "hash", "hashed",
    }
)  # fmt: skip

# Key text that can only be part of a key holding a secret (the search anchor in patterns).
TRIGGER = r"(?:pass|pwd|pw(?![a-z])|secret|token|key|auth|cred|bearer|pat(?![a-z]))"
TRIGGER_KEYWORDS = ("pass", "pwd", "pw", "secret", "token", "key", "auth", "cred", "bearer", "pat")


def words_of(key: str) -> list[str]:
    """The lowercase words of a key name, digits dropped (`access_token1` → access, token)."""
    return [w.lower() for w in _WORDS.findall(key) if not w.isdigit()]


def key_strength(key: str) -> int:
    """How sure a value under this key name is a secret: NONE, FAINT, WEAK or STRONG."""
    words = words_of(key)
    if not words or words[-1] in _TAILS or (len(words) > 1 and words[0] in _HEADS):
        return NONE
    best = NONE
    for i, word in enumerate(words):
        qualifier = words[i - 1] if i else None
        if word in _STRONG_WORDS or word.endswith(_STRONG_SUFFIXES):
            best = STRONG
        elif word == "key":
            if qualifier in _KEY_QUALIFIERS:
                best = STRONG
            elif qualifier is None:
                best = max(best, FAINT)
            elif qualifier not in _KEY_NOT_SECRET:
                best = max(best, WEAK)
        elif word.endswith("key") and word[:-3] in _KEY_QUALIFIERS:
            best = STRONG
        elif word in ("pass", "pw") and i == len(words) - 1:
            best = STRONG  # `db_pass`, `smtpPw`: the key ends on it
        elif word in ("pass", "pw", "auth") or (word.endswith("pass") and word not in _NOT_PASS):
            best = max(best, WEAK)
    return best
