"""The intake's query seam for other features: which alert groups of an incident still fire.

The read models live in the read service (`fireline.reads.alerts`); this name is the one the
shared contract gives other features (the switches' stability window).
"""

from __future__ import annotations

from fireline.reads.alerts import firing_groups

__all__ = ["firing_groups"]
