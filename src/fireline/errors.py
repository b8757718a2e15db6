"""The fireline exception tree: every refusal, with its exit code and HTTP status.

    FirelineError                  1  500  anything fireline refuses to do
    ├── InvalidCommandError        2  422  bad input: unknown severity/role, empty title, bad date …
    │   └── InvalidTransitionError 2  422  a lifecycle move the state machine forbids
    ├── RunbookError               2  422  a runbook path cannot be read: missing, not UTF-8
    ├── RedactionError             2  422  a text's secrets could not be removed for certain
    ├── NotFoundError              3  404  unknown incident, entry or item (or not yours to see)
    ├── PolicyDeniedError          4  403  the policy refused the write; its reasons are the message
    │   └── PasswordChangeRequiredError 4  403  a one-time password must be replaced first
    ├── ConfigError                5  500  unreadable or invalid fireline.toml / FIRELINE_* value
    │   └── PolicyUndecidableError 5  500  the policy bundle cannot decide (named module and rule)
    ├── StoreError                 6  503  store missing, not initialised, or at another schema
    ├── IntegrityError             7  500  the record fails verification (chain, checkpoint, key)
    └── AuthenticationError        8  401  no valid credentials: missing, wrong, expired or revoked
        └── TooManyAttemptsError   8  429  failed logins locked the account or address (Retry-After)

    (anything else)               70  500  a bug: `internal error: <ExcType>: <message>`

Every message is one line: what is wrong, the offending value, what is allowed. An exception
outside this tree is a fireline bug; adapters still answer it with one line and
INTERNAL_ERROR_EXIT (sysexits' EX_SOFTWARE) unless FIRELINE_DEBUG=1 asks for the traceback.
"""

from __future__ import annotations


class FirelineError(Exception):
    """Base of every error fireline raises on purpose; adapters render it as one line."""

    exit_code = 1
    http_status = 500
    # True when the message quotes only the user's own configuration (a server URL, a file of
    # theirs), not stored data: shown redacted but without PII masking, so an IP stays legible.
    unmasked = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCommandError(FirelineError):
    """The input cannot be accepted as given; nothing was written."""

    exit_code = 2
    http_status = 422


class InvalidTransitionError(InvalidCommandError):
    """The incident lifecycle does not allow this status change."""


class RunbookError(FirelineError):
    """A runbook path cannot be used at all: missing, unreadable or not UTF-8 text."""

    exit_code = 2
    http_status = 422


class RedactionError(FirelineError):
    """Redaction could not make a text clean (its output still matched a rule); nothing was
    written: storing it would risk a secret."""

    exit_code = 2
    http_status = 422


class NotFoundError(FirelineError):
    """The named incident, entry or item does not exist (or is not visible)."""

    exit_code = 3
    http_status = 404


class PolicyDeniedError(FirelineError):
    """The policy engine refused the command; nothing was written."""

    exit_code = 4
    http_status = 403


class ConfigError(FirelineError):
    """Configuration cannot be read or holds a value fireline refuses."""

    exit_code = 5
    http_status = 500


class PolicyUndecidableError(ConfigError):
    """The policy bundle cannot decide: it does not compile, lacks an entry-point rule, or one
    fails or answers out of shape. Never an empty answer or a deny: nobody may mistake a broken
    policy for "no incidents" or "not allowed"."""


class StoreError(FirelineError):
    """The store is missing, uninitialised or at a schema this version does not know."""

    exit_code = 6
    http_status = 503


class IntegrityError(FirelineError):
    """The record does not verify: a hash, link, checkpoint or key is wrong."""

    exit_code = 7
    http_status = 500


class AuthenticationError(FirelineError):
    """The request carries no valid credentials (a missing, wrong, expired or revoked token, a
    failed login); nothing was read or written. A failed login does not say whether the user
    exists; a refused token tells its holder whether it expired or was revoked."""

    exit_code = 8
    http_status = 401


class PasswordChangeRequiredError(PolicyDeniedError):
    """The password was right but is a one-time password: only setting a new one is allowed."""


class TooManyAttemptsError(AuthenticationError):
    """Too many failed logins for the account or from the address: refused without checking
    the password until the lockout ends, `retry_after` seconds from now."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


INTERNAL_ERROR_EXIT = 70
DEBUG_ENV = "FIRELINE_DEBUG"


def internal_error_line(exc: BaseException) -> str:
    """The one line an unexpected exception (a bug) is reported as, its type kept visible."""
    detail = " ".join(str(exc).split()) or "(no message)"
    if len(detail) > 300:
        detail = detail[:300] + "…"
    return f"fireline: internal error: {type(exc).__name__}: {detail}"
