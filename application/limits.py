"""The limits the API and the engine apply (`config.settings.AppSettings`: ``max_body_bytes``,
``max_fan_out``), read once per process."""

from __future__ import annotations

from functools import cache

from config.settings import AppSettings


@cache
def limits() -> AppSettings:
    return AppSettings.from_env()
