"""fireline: governed, evidence-first incident response with a tamper-evident record.

Imports nothing heavy: `fireline --help` and `fireline freeze check` must start fast.
"""

__version__ = "0.1.0"
