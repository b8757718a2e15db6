"""How Uvicorn runs the app: what `fireline serve` passes to `uvicorn.run` besides host, port
and workers — JSON logs (fireline's access line replaces Uvicorn's), no `Server` header, and
the graceful-shutdown window from `shutdown_timeout`.
"""

from __future__ import annotations

from typing import Any

from fireline.api.accesslog import LOGGER
from fireline.config import Settings


def log_config() -> dict[str, Any]:
    """`logging.config.dictConfig` input: every server log line is one JSON object on stderr."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "fireline.api.accesslog.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "loggers": {
            LOGGER: {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "fireline": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` (with host, port, workers)."""
    return {
        "server_header": False,
        "access_log": False,  # the app writes its own, without raw paths or query strings
        "log_config": log_config(),
        "timeout_graceful_shutdown": settings.shutdown_timeout,
    }
