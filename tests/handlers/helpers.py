"""One way to run a handler and to look at what it wrote, shared by the handler tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import rasterio

import handlers.raster  # noqa: F401  (registers the raster handlers)
from adapters.blob import BlobStore
from handlers.base import LocalContext, registry


def run(name: str, params: dict[str, Any], ctx: LocalContext | None = None) -> Any:
    """Run a registered handler as an activity would: params validated, output as JSON."""
    return registry.run(name, params, ctx or LocalContext())


def download(store: BlobStore, container: str, blob_path: str, into: Path) -> Path:
    """Fetch a blob into ``into``, keeping its path (so relative VRT sources still resolve)."""
    local = into / blob_path
    local.parent.mkdir(parents=True, exist_ok=True)
    store.download_file(store.ref(container, blob_path), local)
    return local


def pixels(path: Path | str) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read()


def assert_same_pixels(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal values, NaN where NaN is expected (NaN != NaN otherwise)."""
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)
