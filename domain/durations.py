"""Durations as authors write them: `30s`, `10m`, `2h`, `1d`, `500ms`, or ISO 8601 (`PT1H30M`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_SHORT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_ISO = re.compile(
    r"^P(?!$)(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> timedelta:
    """Parse a duration; raise ValueError quoting the bad value and the accepted forms."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"invalid duration {value!r}: expected a string like '30s' or 'PT30S'")
    seconds = float(value) if isinstance(value, int | float) else _parse_text(value)
    if seconds <= 0:
        raise ValueError(f"invalid duration {value!r}: must be positive")
    return timedelta(seconds=seconds)


def _parse_text(text: str) -> float:
    short = _SHORT.match(text)
    if short:
        return float(short.group(1)) * _UNIT_SECONDS[short.group(2)]
    iso = _ISO.match(text.strip().upper())
    if iso:
        parts = {k: float(v) for k, v in iso.groupdict().items() if v}
        return (
            parts.get("days", 0) * 86400
            + parts.get("hours", 0) * 3600
            + parts.get("minutes", 0) * 60
            + parts.get("seconds", 0)
        )
    raise ValueError(
        f"invalid duration {text!r}: use a number and a unit (500ms, 30s, 10m, 2h, 1d) "
        "or ISO 8601 (PT30S)"
    )


def format_duration(value: timedelta) -> str:
    """The shortest exact form, e.g. `90s` → `90s`, 2 hours → `2h` (canonical in snapshots)."""
    ms = round(value.total_seconds() * 1000)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
