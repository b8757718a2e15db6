"""Runbooks as data: the model, the schema and the parser (lint and scaffold build on them).

Pure: no database, no clock, no settings read at import. Everything here works on a folder
of Markdown files, so `fireline runbook lint` needs no store.
"""

from __future__ import annotations

from fireline.runbooks.model import ChecklistItem, Fence, Link, Problem, Runbook, Section
from fireline.runbooks.parser import load_runbook, parse_runbook
from fireline.runbooks.schema import DEFAULT_SCHEMA, FieldSpec, Schema, make_schema

__all__ = [
    "DEFAULT_SCHEMA",
    "ChecklistItem",
    "FieldSpec",
    "Fence",
    "Link",
    "Problem",
    "Runbook",
    "Schema",
    "Section",
    "load_runbook",
    "make_schema",
    "parse_runbook",
]
