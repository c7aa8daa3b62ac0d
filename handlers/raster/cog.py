"""create_cog: convert a raster in blob storage to a Cloud Optimized GeoTIFF."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import BaseModel, Field

import wiring
from adapters.blob import BlobRef, BlobStore
from handlers.base import HandlerContext, registry
from handlers.raster.cogwriter import CogOptions, validate_cog, write_cog
from handlers.raster.gdal import gdal_config, open_blob_raster
from handlers.raster.models import BlobLocation, CogValidation, StoredBlob
from handlers.raster.storage import input_ref, output_ref, storage_errors, stored_blob

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

    The source is read once, over HTTP range reads, straight into the local staging copy
    (see `write_cog`): downloading it first cost a second pass over its bytes and a copy on
    disk. TMPDIR must hold the staging copy (uncompressed size + 1/3) and the output; memory
    stays bounded by GDAL_CACHEMAX. The COG is validated on local disk, then uploaded.
    After the upload, a checkpoint records the source and output ETags, so a retry after a
    crash returns without converting again.
    """
    store = wiring.blob_store()
    with storage_errors():
        src = input_ref(store, params.container, params.blob_path)
        dst = output_ref(store, params.output_container, params.output_path)
        source_info = store.info(src)
        resumed = _resume(store, src, dst, source_info.etag, ctx)
        if resumed is not None:
            return resumed
        with tempfile.TemporaryDirectory(prefix="create_cog-") as scratch:
            validation = _convert(store, src, dst, params, Path(scratch), ctx)
        output = stored_blob(store, dst)[0]
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
        source=stored_blob(store, src)[0], output=output, validation=validation, resumed=False
    )


def _convert(
    store: BlobStore,
    src: BlobRef,
    dst: BlobRef,
    params: CreateCogParams,
    scratch: Path,
    ctx: HandlerContext,
) -> CogValidation:
    local_dst = scratch / "output.tif"
    ctx.report_progress(0, f"writing COG from {src}")
    _write(store, src, local_dst, params)
    ctx.report_progress(80, "validating COG")
    validation = validate_cog(local_dst)
    ctx.report_progress(85, f"uploading {dst}")
    store.upload_file(dst, local_dst, content_type=COG_MEDIA_TYPE)
    return validation


def _write(store: BlobStore, src: BlobRef, local_dst: Path, params: CreateCogParams) -> None:
    # Opening first tells "not a raster" (the caller's problem) or "storage unreachable"
    # (transient) from a failed conversion.
    with open_blob_raster(store, src) as dataset:
        write_cog(dataset.name, local_dst, params, **gdal_config(src.path))


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
        source=stored_blob(store, src)[0],
        output=stored_blob(store, dst)[0],
        validation=CogValidation.model_validate(saved["validation"]),
        resumed=True,
    )
