"""Opening a VRT mosaic stored in blob storage, with its tiles read over signed URLs.

A mosaic's sources are relative to the VRT and carry no credentials (see `mosaic`). Opened
over ``/vsicurl/`` with a SAS URL, GDAL would resolve them against the URL's path and drop
the SAS, so every tile would fail to open and read as nodata. Here each relative source is
replaced by its own signed path and the VRT is opened from that XML text instead.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager

import rasterio
from rasterio.errors import RasterioIOError
from rasterio.io import DatasetReader

from adapters.blob import BlobRef, BlobStore
from handlers.raster.gdal import gdal_config, open_error


def is_vrt(ref: BlobRef) -> bool:
    return ref.path.lower().endswith(".vrt")


def signed_vrt(store: BlobStore, ref: BlobRef) -> str:
    """The VRT's XML with every relative source replaced by that blob's GDAL path."""
    root = ET.fromstring(store.download_bytes(ref))
    folder = posixpath.dirname(ref.path)
    for name in root.iter("SourceFilename"):
        if name.get("relativeToVRT") == "1" and name.text:
            path = posixpath.normpath(posixpath.join(folder, name.text))
            name.text = store.gdal_path(store.ref(ref.container, path, ref.account))
            name.set("relativeToVRT", "0")
    return ET.tostring(root, encoding="unicode")


def vrt_sources(store: BlobStore, ref: BlobRef) -> list[BlobRef]:
    """The blobs a VRT's relative sources name (a mosaic's tiles), in document order."""
    root = ET.fromstring(store.download_bytes(ref))
    folder = posixpath.dirname(ref.path)
    found: list[BlobRef] = []
    for name in root.iter("SourceFilename"):
        if name.get("relativeToVRT") == "1" and name.text:
            path = posixpath.normpath(posixpath.join(folder, name.text))
            source = store.ref(ref.container, path, ref.account)
            if source not in found:
                found.append(source)
    return found


@contextmanager
def open_blob_vrt(store: BlobStore, ref: BlobRef) -> Iterator[DatasetReader]:
    """Like `open_blob_raster`, for a VRT whose sources are blobs next to it (GeoTIFFs)."""
    xml = signed_vrt(store, ref)
    with rasterio.Env(**gdal_config("source.tif")):
        try:
            src = rasterio.open(xml)
        except RasterioIOError as exc:
            raise open_error(ref, exc) from exc
        with src:
            yield src
