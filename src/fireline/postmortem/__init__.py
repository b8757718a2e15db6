"""Postmortems from the record: drafts in the seed templates, human edits, review states, the
external version, rendering, due dates in business days and the overdue tick.

Modules: `templates` (the seed templates), `generate` (sections from the record), `document`
(the fold of postmortem events), `sanitize` (the external version), `render` (Markdown and
HTML), `calendar` (business days, holidays), `handlers` (the write handlers), `overdue` (the
scheduler's tick), `summaries` (timeline lines). This module imports nothing.
"""
