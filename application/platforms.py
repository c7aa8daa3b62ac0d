"""The platform registry the app serves: `platforms/*.yaml` (and the folders named in
`DAGMASTER_PLATFORMS_DIR`), loaded and validated once per process against the served
workflows, and projected into the read model once per process."""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path

import wiring
from config.settings import AppSettings
from domain.platforms import PlatformRegistry, load_platform_dir

PLATFORMS_DIR = Path(__file__).resolve().parents[1] / "platforms"
_synced = threading.Event()


@cache
def registry() -> PlatformRegistry:
    """Every entry under `DAGMASTER_PLATFORMS_DIR` (folders separated by the OS path
    separator; default: the app's `platforms/`). Invalid entries fail loudly, all at once."""
    folders = (AppSettings.from_env().platforms_dirs or str(PLATFORMS_DIR)).split(os.pathsep)
    known = {wid for wid, _ in wiring.workflows().workflows}
    return load_platform_dir([Path(f) for f in folders if f], workflows=known)


def ensure_projected() -> None:
    """Write the registry into the read model's `platforms` table (once per process)."""
    if _synced.is_set():
        return
    wiring.asset_catalog().sync_platforms(registry().all())
    _synced.set()
