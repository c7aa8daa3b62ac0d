"""The platform registry (`wiring.platforms()`) in the read model: projected once per
process, before the first submission needs it."""

from __future__ import annotations

import threading

import wiring

_synced = threading.Event()


def ensure_projected() -> None:
    """Write the registry into the read model's `platforms` table (once per process)."""
    if _synced.is_set():
        return
    wiring.asset_catalog().sync_platforms(wiring.platforms().all())
    _synced.set()
