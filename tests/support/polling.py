"""The one way tests wait for something that happens in another thread or process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    check: Callable[[], T], timeout: float, what: str | Callable[[], str], interval: float = 0.05
) -> T:
    """Call ``check`` until it returns something truthy, and return that. After ``timeout``
    seconds, fail saying what was awaited: ``what``, or what it returns then (a last status,
    a log tail)."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout} s waiting for {described}")
        time.sleep(interval)
    return value
