"""Runbook index, search and suggestion for an alert.

`documents` turns runbook files into index entries, `store` keeps them in the store (the only
writes to the runbook index), `text` and `rank` analyse and rank (pure, the same on every
backend), `alert` reads alert payloads, `engine` decides what to suggest and why.
"""

from __future__ import annotations
