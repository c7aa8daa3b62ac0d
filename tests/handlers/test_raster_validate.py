import time

import pytest

from adapters.blob import BlobStore
from handlers.base import NonRetryableError
from tests.handlers.conftest import INPUTS, OUTPUTS
from tests.handlers.helpers import run


def test_describes_bands_grid_and_blocks_of_a_tiled_geotiff(uint16_nodata):
    report = run("raster_validate", uint16_nodata)
    assert (report["driver"], report["width"], report["height"], report["count"]) == (
        "GTiff",
        512,
        384,
        4,
    )
    assert report["dtypes"] == ["uint16"] * 4
    assert report["epsg"] == 32633
    assert report["nodata"] == [0, 0, 0, 0]
    assert report["bounds"] == [500000.0, 4996160.0, 505120.0, 5000000.0]
    assert report["transform"] == [10.0, 0.0, 500000.0, 0.0, -10.0, 5000000.0]
    assert report["block_shapes"] == [[128, 128]] * 4
    assert report["tiled"] is True
    assert report["size_bytes"] > 0


def test_a_non_cog_is_reported_with_rio_cogeo_errors(uint16_nodata):
    report = run("raster_validate", uint16_nodata)
    assert report["cog"]["is_valid"] is False
    assert any("IFD" in e for e in report["cog"]["errors"])
    assert any("Cloud Optimized" in w for w in report["warnings"])


def test_a_cog_written_by_create_cog_is_reported_valid_with_its_overviews(uint16_nodata):
    params = {
        **uint16_nodata,
        "output_container": OUTPUTS,
        "output_path": "validate/cog.tif",
        "blocksize": 128,
    }
    run("create_cog", params)
    report = run("raster_validate", {"container": OUTPUTS, "blob_path": "validate/cog.tif"})
    assert report["cog"] == {"is_valid": True, "errors": [], "warnings": []}
    assert report["overviews"] == [2, 4]


def test_nan_nodata_is_reported_as_the_string_nan(float32_nan):
    assert run("raster_validate", float32_nan)["nodata"] == ["nan"]


def test_missing_crs_and_nodata_are_warnings(no_crs):
    report = run("raster_validate", no_crs)
    assert report["crs_wkt"] is None
    assert "no CRS: the raster is not georeferenced" in report["warnings"]
    assert any(w.startswith("no nodata value") for w in report["warnings"])


def test_non_raster_blob_is_non_retryable_naming_the_blob(not_a_raster):
    with pytest.raises(NonRetryableError) as raised:
        run("raster_validate", not_a_raster)
    assert raised.value.kind == "unreadable_raster"
    assert "rasters/fixtures/not_a_raster.tif" in raised.value.message


def test_truncated_tiff_is_non_retryable_naming_the_blob(truncated_tiff):
    with pytest.raises(NonRetryableError) as raised:
        run("raster_validate", truncated_tiff)
    assert raised.value.kind == "truncated_raster"
    assert "rasters/fixtures/truncated.tif is truncated" in raised.value.message


def test_tiff_cut_inside_its_header_is_unreadable(header_only_tiff):
    with pytest.raises(NonRetryableError) as raised:
        run("raster_validate", header_only_tiff)
    assert raised.value.kind == "unreadable_raster"
    assert "fixtures/header_only.tif" in raised.value.message


def test_error_messages_never_contain_the_sas_signature(not_a_raster):
    with pytest.raises(NonRetryableError) as raised:
        run("raster_validate", not_a_raster)
    assert "sig=" not in raised.value.message


def test_missing_blob_is_non_retryable_blob_not_found(store: BlobStore):
    with pytest.raises(NonRetryableError) as raised:
        run("raster_validate", {"container": INPUTS, "blob_path": "fixtures/absent.tif"})
    assert raised.value.kind == "blob_not_found"


def test_path_traversal_is_non_retryable_naming_the_path(store: BlobStore):
    with pytest.raises(NonRetryableError) as raised:
        run("raster_validate", {"container": INPUTS, "blob_path": "../other/secret.tif"})
    assert raised.value.kind == "invalid_blob_ref"
    assert "'../other/secret.tif'" in raised.value.message


def test_a_10_gigapixel_sparse_raster_validates_from_metadata_alone(sparse_100k):
    start = time.perf_counter()
    report = run("raster_validate", sparse_100k)
    elapsed = time.perf_counter() - start
    assert (report["width"], report["height"]) == (100_000, 100_000)
    assert report["size_bytes"] < 1_000_000
    # Reading the pixels over HTTP would take minutes; generous for shared CI cores.
    assert elapsed < 5, f"raster_validate took {elapsed:.1f} s"


def test_a_raster_on_a_local_engineering_crs_is_refused_naming_the_crs(local_cs):
    with pytest.raises(NonRetryableError) as info:
        run("raster_validate", local_cs)
    assert info.value.kind == "invalid_raster"
    assert "coordinate system 'Site grid'" in str(info.value)
    assert "no position on Earth" in str(info.value)
