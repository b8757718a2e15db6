"""Who may see PII and precise coordinates unmasked: holders of the `sensitive` clearance.

The user registry's clearances count, and configuration (`sensitive_clearance`) can grant it in
addition. Nobody else holds it: with neither, every view is masked. Pure: the caller reads the
registry and passes the actor's clearances in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fireline.config import Settings

SENSITIVE = "sensitive"


def can_see_sensitive(actor: str, settings: Settings, *, clearances: Iterable[str] = ()) -> bool:
    """True when `actor` holds `sensitive` through the registry (`clearances`) or the config."""
    return SENSITIVE in clearances or actor in settings.sensitive_clearance
