"""Alembic migrations for the fireline store; run by `fireline init` through `fireline.schema`."""
