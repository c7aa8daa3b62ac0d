"""GDAL configuration and opening rasters in blob storage over HTTP range reads."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

import rasterio
from rasterio.errors import RasterioIOError
from rasterio.io import DatasetReader

from adapters.blob import BlobRef, BlobStore
from handlers.base import HandlerError, NonRetryableError, RetryableError

# GDAL messages quote the URL it failed on; the SAS in its query string must not reach logs.
_QUERY = re.compile(r"\?[^\s'\"]*")
_TRANSIENT = re.compile(
    r"HTTP response code: (5\d\d|429)|timed out|Couldn't connect|Connection reset", re.I
)


def gdal_config(blob_path: str, **extra: str) -> dict[str, str]:
    """GDAL settings for reading one blob over ``/vsicurl/``.

    EMPTY_DIR and the allowed extension stop GDAL probing for sidecar files (.aux.xml,
    .ovr, .msk): each probe is a failed HTTP request. The first 64 KiB (header and first
    IFDs of a TIFF) come in one request; consecutive ranges are merged.
    """
    config = {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "GDAL_INGESTED_BYTES_AT_OPEN": "65536",
        "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
        "GDAL_HTTP_MAX_RETRY": "3",
        "GDAL_HTTP_RETRY_DELAY": "1",
        "VSI_CACHE": "TRUE",
    }
    suffix = PurePosixPath(blob_path).suffix
    if suffix:
        config["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"] = suffix
    config.update(extra)
    return config


def redact(message: str) -> str:
    """``message`` without URL query strings (SAS tokens)."""
    return _QUERY.sub("?<redacted>", message)


def open_error(ref: BlobRef, exc: Exception) -> HandlerError:
    """Classify a GDAL failure to open or read ``ref``; the message names the blob."""
    detail = redact(str(exc))
    if _TRANSIENT.search(detail):
        return RetryableError(f"reading blob {ref} failed: {detail}", kind="blob_unavailable")
    return NonRetryableError(
        f"blob {ref} is not a raster GDAL can read, or it is corrupt: {detail}",
        kind="unreadable_raster",
    )


@contextmanager
def open_blob_raster(store: BlobStore, ref: BlobRef, **config: str) -> Iterator[DatasetReader]:
    """Open ``ref`` with HTTP range reads; GDAL settings stay active inside the block."""
    with rasterio.Env(**gdal_config(ref.path, **config)):
        try:
            src = rasterio.open(store.gdal_path(ref))
        except RasterioIOError as exc:
            raise open_error(ref, exc) from exc
        with src:
            yield src


def json_number(value: float | None) -> float | str | None:
    """A float JSON can carry: NaN and infinities become the strings GDAL uses for them."""
    if value is None or math.isfinite(value):
        return value
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"
