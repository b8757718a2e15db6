"""What `fireline serve` hands Uvicorn: JSON logs, no Server header, the shutdown window."""

from __future__ import annotations

import dataclasses
import json
import logging
import logging.config

import pytest
import uvicorn

from fireline.api.accesslog import LOGGER
from fireline.api.app import create_app
from fireline.api.serving import log_config, uvicorn_options
from tests.conftest import Store

pytestmark = pytest.mark.adapter


def test_uvicorn_takes_the_options_and_the_shutdown_window_from_settings(store: Store) -> None:
    settings = dataclasses.replace(store.settings, shutdown_timeout=7)
    config = uvicorn.Config(create_app(settings), **uvicorn_options(settings))
    assert config.timeout_graceful_shutdown == 7
    assert config.server_header is False
    assert config.access_log is False


def test_the_log_config_writes_one_json_object_per_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    previous = logging.getLogger(LOGGER).handlers[:]
    logging.config.dictConfig(log_config())
    try:
        logging.getLogger(LOGGER).info(
            "request", extra={"access": {"request_id": "r1", "status": 200}}
        )
        logging.getLogger("uvicorn.error").warning("line one\nline two")
    finally:
        logging.getLogger(LOGGER).handlers[:] = previous
        logging.getLogger("uvicorn.error").handlers.clear()
        logging.getLogger("fireline").handlers.clear()
        for name in (LOGGER, "uvicorn.error", "fireline"):
            logging.getLogger(name).propagate = True
    lines = capsys.readouterr().err.splitlines()
    access, warning = (json.loads(line) for line in lines)
    assert access["request_id"] == "r1"
    assert access["logger"] == LOGGER
    assert warning == {
        "ts": warning["ts"],
        "level": "warning",
        "logger": "uvicorn.error",
        "message": "line one\nline two",
    }
