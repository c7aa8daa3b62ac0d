"""Writing Cloud Optimized GeoTIFFs with GDAL's COG driver, shared by create_cog and cog_tile."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import rasterio
import rasterio.shutil
from pydantic import BaseModel, Field, field_validator
from rasterio._err import CPLE_BaseError  # GDAL errors outside RasterioError; no public alias
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rio_cogeo.cogeo import cog_validate

from config.settings import HandlerSettings
from handlers.base import NonRetryableError, RetryableError
from handlers.raster.gdal import redact
from handlers.raster.models import CogValidation

Compression = Literal["deflate", "lzw", "zstd", "lerc", "jpeg", "webp", "packbits", "none"]
ResamplingName = Literal["nearest", "average", "bilinear", "cubic", "lanczos", "mode"]
_PREDICTORS = {1: "NO", 2: "STANDARD", 3: "FLOATING_POINT"}
_BYTE_ONLY = {"jpeg", "webp"}
_SWATH_BYTES = 128 * 1024 * 1024
_STAGING = {
    "TILED": "YES",
    "BLOCKXSIZE": "512",
    "BLOCKYSIZE": "512",
    "BIGTIFF": "IF_SAFER",
    "COMPRESS": "NONE",
}
# GDAL's block cache: enough to keep a few rows of 512x512 blocks of a wide raster; the COG
# driver streams, so more cache does not make it faster, only bigger. Override with the
# usual GDAL_CACHEMAX environment variable (MB).
DEFAULT_CACHE_MB = 256


class CogOptions(BaseModel):
    """How to write a COG. Defaults match ``rio cogeo create``'s deflate profile."""

    compression: Compression = "deflate"
    level: int | None = Field(default=None, ge=1, le=22, description="compression level")
    predictor: Literal[1, 2, 3] | None = Field(
        default=None, description="1 none, 2 horizontal (integers), 3 floating point"
    )
    blocksize: int = Field(default=512, ge=64, le=4096)
    overview_count: int | None = Field(
        default=None, ge=0, le=30, description="None: until the raster fits one block"
    )
    overview_resampling: ResamplingName = "nearest"

    @field_validator("blocksize")
    @classmethod
    def _multiple_of_16(cls, value: int) -> int:
        if value % 16:
            raise ValueError(f"blocksize must be a multiple of 16, got {value}")
        return value

    def creation_options(self) -> dict[str, str]:
        """COG driver creation options."""
        options = {
            "COMPRESS": self.compression.upper(),
            "BLOCKSIZE": str(self.blocksize),
            "OVERVIEW_RESAMPLING": self.overview_resampling.upper(),
            "NUM_THREADS": "ALL_CPUS",
            "BIGTIFF": "IF_SAFER",
        }
        if self.level is not None:
            options["LEVEL"] = str(self.level)
        if self.predictor is not None:
            options["PREDICTOR"] = _PREDICTORS[self.predictor]
        # Overviews are built on the staging copy (see `write_cog`) and copied from there.
        options["OVERVIEWS"] = "NONE" if self.overview_count == 0 else "FORCE_USE_EXISTING"
        return options

    def overview_factors(self, width: int, height: int) -> list[int]:
        """Powers of two until the smallest level fits one block (GDAL's COG rule), at most
        ``overview_count`` of them."""
        factors: list[int] = []
        while max(width, height) / (2 ** len(factors)) > self.blocksize:
            factors.append(2 ** (len(factors) + 1))
        return factors if self.overview_count is None else factors[: self.overview_count]


def write_cog(source: str, destination: Path, options: CogOptions, **config: str) -> None:
    """Write ``source`` (any GDAL path) as a COG at ``destination``, in three streamed steps.

    1. copy the source to an uncompressed tiled GeoTIFF next to ``destination`` (staging);
    2. build its overviews there;
    3. copy it with GDAL's COG driver, which compresses and reuses those overviews.

    Letting the COG driver build overviews from the source directly is simpler but 2-3x
    slower on striped inputs (every overview level re-reads whole strips); with the staging
    copy this matches ``rio cogeo create`` (see benchmarks/README-raster.md). Disk: the
    staging file is about the uncompressed size plus a third; memory stays near
    GDAL_CACHEMAX whatever the raster's size.
    """
    env: dict[str, str | int] = {
        "GDAL_CACHEMAX": _cache_mb(),
        "GDAL_NUM_THREADS": "ALL_CPUS",
        # GDAL copies in swaths of this many bytes. The default (10 MB) is less than 512 rows
        # of a wide striped raster, so each 512-row band of tiles re-read every strip many
        # times: 36 s instead of 2 s for the staging copy of a 10240^2 x 4 uint16 input.
        "GDAL_SWATH_SIZE": _SWATH_BYTES,
        **config,
    }
    staging = destination.with_name(destination.stem + ".staging.tif")
    try:
        with rasterio.Env(**env):
            _stage(source, staging, options)
            _build_overviews(staging, options)
            copy_options = options.creation_options()
            rasterio.shutil.copy(str(staging), str(destination), driver="COG", **copy_options)
    except RasterioError as exc:
        # The caller opened the source already, so a failure here means options GDAL
        # refuses or a broken staging file: retrying would fail the same way.
        message = f"writing the COG failed: {redact(str(exc))}"
        raise NonRetryableError(message, kind="cog_write_failed") from exc
    finally:
        staging.unlink(missing_ok=True)


def _stage(source: str, staging: Path, options: CogOptions) -> None:
    """Copy the source to the staging file: the only step that reads the source.

    With one reading thread: GDAL's multi-threaded TIFF reader drops the errors of its
    range requests, so an HTTP 503 made a staging copy of zeros without any exception.
    A read that fails midway raises a bare CPLE error whose message cannot tell a dropped
    connection from a corrupt strip; it is retryable, as a failed download was.
    """
    with rasterio.Env(GDAL_NUM_THREADS="1"), rasterio.open(source) as src:
        _check_compatible(src, options)
        try:
            rasterio.shutil.copy(src, str(staging), driver="GTiff", **_STAGING)
        except CPLE_BaseError as exc:
            raise RetryableError(
                f"reading the source failed: {redact(str(exc))}", kind="source_read_failed"
            ) from exc


def _build_overviews(staging: Path, options: CogOptions) -> None:
    with rasterio.open(staging, "r+") as dst:
        factors = options.overview_factors(dst.width, dst.height)
        if factors:
            dst.build_overviews(factors, Resampling[options.overview_resampling])


def _check_compatible(src: DatasetReader, options: CogOptions) -> None:
    """Refuse what the codecs cannot encode before GDAL tries.

    With NUM_THREADS, GDAL compresses in worker threads whose errors never reach the caller:
    an impossible codec would leave a file with empty tiles instead of an exception.
    """
    if options.compression in _BYTE_ONLY and set(src.dtypes) != {"uint8"}:
        raise NonRetryableError(
            f"{options.compression} compression needs uint8 bands, the source has "
            f"{', '.join(sorted(set(src.dtypes)))}",
            kind="cog_write_failed",
        )
    if options.predictor == 3 and not all(d.startswith("float") for d in src.dtypes):
        raise NonRetryableError(
            "predictor 3 (floating point) needs float bands", kind="cog_write_failed"
        )


def validate_cog(path: Path) -> CogValidation:
    is_valid, errors, warnings = cog_validate(str(path), quiet=True)
    return CogValidation(is_valid=is_valid, errors=errors, warnings=warnings)


def _cache_mb() -> int:
    value = HandlerSettings.from_env().gdal_cachemax
    # GDAL also accepts "25%" or bytes; only a plain MB count is passed through here.
    return int(value) if value and value.isdigit() else DEFAULT_CACHE_MB
