"""Accounts: passwords (argon2id), API tokens, the login throttle and the admin bootstrap.

Every change is a command through `service.execute` onto the registry chain; what is read
here (verifiers, token records, throttle counts) is looked up straight from the store. The HTTP
API (`api.auth`, `api.accounts`) and the CLI (`fireline token …`, `fireline user password`,
`fireline user bootstrap`) are adapters over these functions.
"""

from __future__ import annotations

from fireline.accounts.bootstrap import OneTimePassword, bootstrap_admin
from fireline.accounts.login import (
    IssuedToken,
    change_password,
    issue_token,
    login,
    set_password,
    verify_password,
)

__all__ = [
    "IssuedToken",
    "OneTimePassword",
    "bootstrap_admin",
    "change_password",
    "issue_token",
    "login",
    "set_password",
    "verify_password",
]
