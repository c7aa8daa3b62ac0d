import uuid
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate

import wiring
from adapters.blob import BlobStore
from config.settings import OUTPUT_CONTAINERS as ENV_OUTPUT_CONTAINERS
from handlers.base import LocalContext, NonRetryableError
from tests.handlers.conftest import OUTPUTS
from tests.handlers.helpers import assert_same_pixels, download, pixels, run


def _cog(source: dict[str, str], name: str, **options: object) -> dict:
    params = {**source, "output_container": OUTPUTS, "output_path": f"cogs/{name}.tif"}
    return run("create_cog", {**params, **options})


def test_output_is_a_valid_cog_with_the_input_pixels(store, uint16_nodata, tmp_path: Path):
    result = _cog(uint16_nodata, "uint16", blocksize=128, predictor=2)
    local = download(store, OUTPUTS, "cogs/uint16.tif", tmp_path)
    assert result["validation"]["is_valid"] is True
    assert cog_validate(str(local), quiet=True)[0] is True
    assert_same_pixels(pixels(local), pixels(download(store, **uint16_nodata, into=tmp_path)))


def test_nodata_crs_and_band_descriptions_are_preserved(store, uint16_nodata, tmp_path: Path):
    _cog(uint16_nodata, "uint16-meta", blocksize=128)
    with rasterio.open(download(store, OUTPUTS, "cogs/uint16-meta.tif", tmp_path)) as cog:
        assert cog.nodata == 0
        assert cog.crs.to_epsg() == 32633
        assert cog.descriptions == ("blue", "green", "red", "nir")
        assert cog.profile["compress"] == "deflate"


def test_nan_pixels_survive_float_conversion(store, float32_nan, tmp_path: Path):
    _cog(float32_nan, "float", predictor=3, compression="zstd")
    out = pixels(download(store, OUTPUTS, "cogs/float.tif", tmp_path))
    expected = pixels(download(store, **float32_nan, into=tmp_path))
    assert np.isnan(out).sum() == 200
    assert_same_pixels(out, expected)


def test_requested_overview_count_and_blocksize_are_applied(store, uint16_nodata, tmp_path):
    _cog(uint16_nodata, "one-overview", blocksize=64, overview_count=1)
    with rasterio.open(download(store, OUTPUTS, "cogs/one-overview.tif", tmp_path)) as cog:
        assert cog.overviews(1) == [2]
        assert cog.block_shapes[0] == (64, 64)


def test_progress_is_reported_up_to_completion(uint16_nodata):
    ctx = LocalContext()
    run(
        "create_cog",
        {**uint16_nodata, "output_container": OUTPUTS, "output_path": "cogs/progress.tif"},
        ctx,
    )
    percents = [p for p, _ in ctx.progress]
    assert percents == sorted(percents)
    assert percents[-1] == 100


def test_retry_after_upload_resumes_from_checkpoint_without_converting(uint16_nodata):
    ctx = LocalContext()
    params = {**uint16_nodata, "output_container": OUTPUTS, "output_path": "cogs/resume.tif"}
    first = run("create_cog", params, ctx)
    retry = LocalContext(attempt=2, checkpoint=ctx.checkpoint)
    second = run("create_cog", params, retry)
    assert second["resumed"] is True
    assert second["output"] == first["output"]
    assert not any("writing COG" in message for _, message in retry.progress)


def test_checkpoint_of_an_overwritten_output_is_ignored(store: BlobStore, uint16_nodata):
    ctx = LocalContext()
    params = {**uint16_nodata, "output_container": OUTPUTS, "output_path": "cogs/stale.tif"}
    run("create_cog", params, ctx)
    store.upload_bytes(store.ref(OUTPUTS, "cogs/stale.tif"), b"someone else's file")
    again = run("create_cog", params, LocalContext(attempt=2, checkpoint=ctx.checkpoint))
    assert again["resumed"] is False
    assert again["validation"]["is_valid"] is True


def test_non_raster_source_is_non_retryable_naming_the_blob(not_a_raster):
    with pytest.raises(NonRetryableError) as raised:
        _cog(not_a_raster, "never")
    assert "fixtures/not_a_raster.tif" in raised.value.message


def test_compression_the_data_type_does_not_support_is_non_retryable(uint16_nodata):
    with pytest.raises(NonRetryableError) as raised:
        _cog(uint16_nodata, "jpeg-uint16", compression="jpeg")
    assert raised.value.kind == "cog_write_failed"


def test_output_path_traversal_is_rejected_naming_it(uint16_nodata):
    with pytest.raises(NonRetryableError, match=r"'cogs/\.\./\.\./x\.tif'"):
        run(
            "create_cog",
            {**uint16_nodata, "output_container": OUTPUTS, "output_path": "cogs/../../x.tif"},
        )


def test_output_container_that_does_not_exist_is_created(
    store: BlobStore, uint16_nodata, monkeypatch: pytest.MonkeyPatch
):
    container = f"new-cogs-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv(ENV_OUTPUT_CONTAINERS, f"{OUTPUTS},{container}")
    wiring.container_policy.cache_clear()
    try:
        result = run(
            "create_cog",
            {**uint16_nodata, "output_container": container, "output_path": "cogs/fresh.tif"},
        )
    finally:
        wiring.container_policy.cache_clear()  # the next test reads the restored environment
    assert result["validation"]["is_valid"] is True
    assert store.exists(store.ref(container, "cogs/fresh.tif"))
