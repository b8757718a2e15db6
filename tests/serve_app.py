"""Test launcher: the real app under Uvicorn with the options `fireline serve` passes, on the
store FIRELINE_* names. Nothing is overridden: callers authenticate with real API tokens.

    python tests/serve_app.py PORT
"""

from __future__ import annotations

import sys

import uvicorn

from fireline.api.app import create_app
from fireline.api.serving import uvicorn_options
from fireline.config import load_settings


def main(port: int) -> None:
    settings = load_settings()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, **uvicorn_options(settings))


if __name__ == "__main__":
    main(int(sys.argv[1]))
