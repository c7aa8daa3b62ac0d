"""Logging set-up shared by the supervisor and its task processes (spawned children start bare)."""

from __future__ import annotations

import logging

from config.settings import LogSettings

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"


def configure_logging() -> None:
    """Level from ``DAGMASTER_LOG_LEVEL`` (default INFO)."""
    logging.basicConfig(level=LogSettings.from_env().log_level, format=FORMAT)
    # The Azure SDKs log every HTTP request at INFO: far too much for a polling loop; httpx
    # would log the raise-event URL, system key included.
    for noisy in ("azure", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
