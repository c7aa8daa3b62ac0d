"""Fixtures for the raster handlers: a blob store on the session's Azurite and tiny rasters.

Each raster fixture is named for what it contains and is uploaded once per session to the
``rasters`` container (the allowed input container); handlers write to ``outputs`` (the
allowed output container).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.windows
import requests
from rasterio.crs import CRS
from rasterio.transform import from_origin

import wiring
from adapters.blob import BlobStore
from config.settings import ACCOUNT_URL as ENV_ACCOUNT_URL
from config.settings import CONNECTION_STRING as ENV_CONNECTION_STRING
from config.settings import INPUT_CONTAINERS as ENV_INPUT_CONTAINERS
from config.settings import OUTPUT_CONTAINERS as ENV_OUTPUT_CONTAINERS
from dagmaster.synthetic import write_sparse_raster
from tests.support.azurite import Azurite

INPUTS = "rasters"
OUTPUTS = "outputs"
UTM33 = CRS.from_epsg(32633)
# 10 m pixels somewhere in UTM zone 33N.
ORIGIN = from_origin(500_000, 5_000_000, 10, 10)


@pytest.fixture(scope="session")
def store(azurite: Azurite) -> Iterator[BlobStore]:
    """The handlers' own store, configured through the environment as in production."""
    names = (ENV_CONNECTION_STRING, ENV_ACCOUNT_URL, ENV_INPUT_CONTAINERS, ENV_OUTPUT_CONTAINERS)
    saved = {k: os.environ.get(k) for k in names}
    os.environ[ENV_CONNECTION_STRING] = azurite.connection_string
    os.environ.pop(ENV_ACCOUNT_URL, None)
    os.environ[ENV_INPUT_CONTAINERS] = INPUTS
    os.environ[ENV_OUTPUT_CONTAINERS] = OUTPUTS
    wiring.reset()
    instance = wiring.blob_store()
    service = instance._services[instance.default_account]  # type: ignore[attr-defined]
    for name in (INPUTS, OUTPUTS):
        if not service.get_container_client(name).exists():
            service.create_container(name)
    yield instance
    service.close()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    wiring.reset()


@pytest.fixture(scope="session")
def raster_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rasters")


def _upload(store: BlobStore, local: Path, blob_path: str) -> dict[str, str]:
    store.upload_file(store.ref(INPUTS, blob_path), local)
    return {"container": INPUTS, "blob_path": blob_path}


def _gradient(count: int, height: int, width: int, dtype: str, scale: float) -> np.ndarray:
    """Smooth, band-distinct pixels: compressible like real imagery, easy to compare."""
    rows, cols = np.mgrid[0:height, 0:width]
    bands = [(rows * (b + 1) + cols * (count - b)) * scale for b in range(count)]
    return np.stack(bands).astype(dtype)


def _write(path: Path, data: np.ndarray, **profile: object) -> Path:
    count, height, width = data.shape
    base = {"driver": "GTiff", "count": count, "height": height, "width": width}
    with rasterio.open(path, "w", dtype=data.dtype, **{**base, **profile}) as dst:
        dst.write(data)
        for bidx, desc in enumerate(profile.get("descriptions", ()) or (), start=1):  # type: ignore[arg-type]
            dst.set_band_description(bidx, desc)
    return path


@pytest.fixture(scope="session")
def small_rgb(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """256x256 uint8 RGB in UTM 33N, striped (not a COG), no nodata."""
    data = _gradient(3, 256, 256, "uint8", 0.25)
    path = _write(raster_dir / "small_rgb.tif", data, crs=UTM33, transform=ORIGIN)
    return _upload(store, path, "fixtures/small_rgb.tif")


@pytest.fixture(scope="session")
def uint16_nodata(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """4-band uint16, 512x384, nodata 0 in a corner block, band descriptions, tiled."""
    data = _gradient(4, 384, 512, "uint16", 7.0) + 1
    data[:, :64, :64] = 0
    descriptions = ("blue", "green", "red", "nir")
    path = _write(
        raster_dir / "uint16_nodata.tif",
        data,
        crs=UTM33,
        transform=ORIGIN,
        nodata=0,
        tiled=True,
        blockxsize=128,
        blockysize=128,
        descriptions=descriptions,
    )
    return _upload(store, path, "fixtures/uint16_nodata.tif")


@pytest.fixture(scope="session")
def half_nodata(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """1-band uint8 256x256 in UTM 33N, nodata 0 on its left half, valid on the right."""
    data = _gradient(1, 256, 256, "uint8", 0.25) + 1
    data[:, :, :128] = 0
    path = _write(raster_dir / "half_nodata.tif", data, crs=UTM33, transform=ORIGIN, nodata=0)
    return _upload(store, path, "fixtures/half_nodata.tif")


@pytest.fixture(scope="session")
def float32_nan(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """1-band float32, 300x200 (not a multiple of any block size), NaN nodata and NaN holes."""
    data = _gradient(1, 200, 300, "float32", 0.01)
    data[0, 50:60, 70:90] = np.nan
    path = _write(
        raster_dir / "float32_nan.tif",
        data,
        crs=CRS.from_epsg(4326),
        transform=from_origin(10.0, 50.0, 0.001, 0.001),
        nodata=float("nan"),
    )
    return _upload(store, path, "fixtures/float32_nan.tif")


@pytest.fixture(scope="session")
def no_crs(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """1-band uint8 64x64 with neither CRS nor geotransform."""
    path = _write(raster_dir / "no_crs.tif", _gradient(1, 64, 64, "uint8", 1.0))
    return _upload(store, path, "fixtures/no_crs.tif")


@pytest.fixture(scope="session")
def local_cs(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """1-band uint8 64x64 on an engineering site grid (LOCAL_CS): no place on Earth."""
    crs = 'LOCAL_CS["Site grid",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]'
    data = _gradient(1, 64, 64, "uint8", 1.0)
    path = _write(raster_dir / "local_cs.tif", data, crs=crs, transform=ORIGIN)
    return _upload(store, path, "fixtures/local_cs.tif")


@pytest.fixture(scope="session")
def not_a_raster(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """A CSV file wearing a .tif name."""
    path = raster_dir / "not_a_raster.tif"
    path.write_text("id,name\n1,not a raster\n")
    return _upload(store, path, "fixtures/not_a_raster.tif")


@pytest.fixture(scope="session")
def truncated_tiff(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """A valid tiled GeoTIFF cut to its first half: header and IFD intact, blocks missing."""
    source = _write(
        raster_dir / "whole.tif",
        _gradient(1, 256, 256, "uint16", 3.0),
        crs=UTM33,
        transform=ORIGIN,
        tiled=True,
        blockxsize=64,
        blockysize=64,
    )
    path = raster_dir / "truncated.tif"
    content = source.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    return _upload(store, path, "fixtures/truncated.tif")


@pytest.fixture(scope="session")
def header_only_tiff(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """The first 100 bytes of a GeoTIFF: a TIFF signature and nothing GDAL can open."""
    source = _write(raster_dir / "whole2.tif", _gradient(1, 64, 64, "uint8", 1.0), crs=UTM33)
    path = raster_dir / "header_only.tif"
    path.write_bytes(source.read_bytes()[:100])
    return _upload(store, path, "fixtures/header_only.tif")


@pytest.fixture(scope="session")
def sparse_100k(store: BlobStore, raster_dir: Path) -> dict[str, str]:
    """100,000 x 100,000 uint8, tiled, SPARSE_OK with one real block: 10 GB of pixels in
    well under 1 MB of tile tables."""
    path = write_sparse_raster(raster_dir / "sparse_100k.tif", 100_000, pixel_size=10)
    return _upload(store, path, "fixtures/sparse_100k.tif")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if stac-validator tries to fetch a schema (it uses ``requests.get``)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(requests, "get", refuse)
