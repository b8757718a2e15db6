"""The one read service: every read of incident data by the CLI, the API and (next) the web UI.

Each read takes the store (a Context, or a read-only connection and the settings), the
viewer's identity and its parameters, and returns a JSON-serialisable read model that is
already masked for that viewer. Need-to-know (the policy's visibility rule), the access trail
(`access.read` on the chain of each restricted incident read) and PII/coordinate masking happen
here, once, so no adapter re-implements them (`sight.see`). Adapters only render.

Modules: `sight` (need-to-know, trail, masking), `incidents` (list, show, timeline, checklists,
action items, breakglass, gates), `evidence` (list, show, content), `store` (users, verify,
runbook search and suggest), `freeze` (the deploy freeze, without SQLAlchemy), `export`.
This package itself imports nothing heavy, so that client mode can name it cheaply.
"""

from __future__ import annotations

from typing import Any

# A read model: JSON data (dicts, lists, strings, numbers, booleans, None) as the API returns it.
Model = Any
