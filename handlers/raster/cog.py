"""create_cog: convert a raster in blob storage to a Cloud Optimized GeoTIFF."""

from __future__ import annotations

import tempfile
from pathlib import Path

import rasterio
from pydantic import BaseModel, Field
from rasterio.errors import RasterioIOError

from adapters.blob import BlobRef, BlobStore
from handlers.base import HandlerContext, registry
from handlers.raster.cogwriter import CogOptions, validate_cog, write_cog
from handlers.raster.gdal import open_error
from handlers.raster.models import BlobLocation, CogValidation, StoredBlob
from handlers.raster.storage import blob_store, storage_errors

COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"


class CreateCogParams(BlobLocation, CogOptions):
    output_container: str = Field(min_length=3, max_length=63)
    output_path: str = Field(min_length=1, max_length=1024)


class CreateCogResult(BaseModel):
    source: StoredBlob
    output: StoredBlob
    validation: CogValidation
    resumed: bool = Field(description="true if an earlier attempt had already uploaded it")


@registry.register("create_cog", CreateCogParams)
def create_cog(params: CreateCogParams, ctx: HandlerContext) -> CreateCogResult:
    """Convert the source to a COG at ``output_container/output_path`` and validate it.

    The source is downloaded to a local temporary file first: conversion reads it more than
    once, and one sequential download is faster and fails more cleanly than many range
    reads. TMPDIR must hold the input, a staging copy (uncompressed size + 1/3) and the
    output; memory stays bounded by GDAL_CACHEMAX (see `write_cog`). After the upload, a
    checkpoint records the source and output ETags, so a retry after a crash returns
    without converting again.
    """
    store = blob_store()
    with storage_errors():
        src = store.ref(params.container, params.blob_path)
        dst = store.ref(params.output_container, params.output_path)
        source_info = store.info(src)
        resumed = _resume(store, src, dst, source_info.etag, ctx)
        if resumed is not None:
            return resumed
        with tempfile.TemporaryDirectory(prefix="create_cog-") as scratch:
            validation = _convert(store, src, dst, params, Path(scratch), ctx)
        output = _stored(store, dst)
        output_etag = store.info(dst).etag
    ctx.save_checkpoint(
        {
            "source_etag": source_info.etag,
            "output_etag": output_etag,
            "validation": validation.model_dump(mode="json"),
        }
    )
    ctx.report_progress(100, "done")
    return CreateCogResult(
        source=_stored(store, src), output=output, validation=validation, resumed=False
    )


def _convert(
    store: BlobStore,
    src: BlobRef,
    dst: BlobRef,
    params: CreateCogParams,
    scratch: Path,
    ctx: HandlerContext,
) -> CogValidation:
    local_src = scratch / ("source" + Path(src.path).suffix)
    local_dst = scratch / "output.tif"
    ctx.report_progress(0, f"downloading {src}")
    store.download_file(src, local_src)
    ctx.report_progress(30, "writing COG")
    _write(local_src, local_dst, src, params)
    ctx.report_progress(80, "validating COG")
    validation = validate_cog(local_dst)
    ctx.report_progress(85, f"uploading {dst}")
    store.upload_file(dst, local_dst, content_type=COG_MEDIA_TYPE)
    return validation


def _write(local_src: Path, local_dst: Path, src: BlobRef, params: CreateCogParams) -> None:
    # Opening first tells "not a raster" (the caller's problem) from a failed conversion.
    try:
        rasterio.open(local_src).close()
    except RasterioIOError as exc:
        raise open_error(src, exc) from exc
    write_cog(str(local_src), local_dst, params)


def _resume(
    store: BlobStore, src: BlobRef, dst: BlobRef, source_etag: str, ctx: HandlerContext
) -> CreateCogResult | None:
    """The earlier attempt's result if it finished the upload from this same source."""
    saved = ctx.checkpoint
    if not saved or saved.get("source_etag") != source_etag:
        return None
    if not store.exists(dst) or store.info(dst).etag != saved.get("output_etag"):
        return None
    return CreateCogResult(
        source=_stored(store, src),
        output=_stored(store, dst),
        validation=CogValidation.model_validate(saved["validation"]),
        resumed=True,
    )


def _stored(store: BlobStore, ref: BlobRef) -> StoredBlob:
    return StoredBlob(
        container=ref.container,
        blob_path=ref.path,
        url=store.url(ref),
        size_bytes=store.info(ref).size,
    )
