import json
from pathlib import Path

import numpy as np
import pystac
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from stac_validator.validate import StacValidate

from handlers.base import LocalContext, NonRetryableError
from handlers.raster.grid import Window, cover_problems, tile_windows
from handlers.raster.stac import local_schema_map
from tests.handlers.conftest import OUTPUTS
from tests.handlers.helpers import assert_same_pixels, download, pixels, run


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 600), height=st.integers(1, 600), tile_size=st.integers(7, 300))
def test_tiles_cover_every_pixel_exactly_once(width: int, height: int, tile_size: int):
    coverage = np.zeros((height, width), dtype=np.uint8)
    for w in tile_windows(width, height, tile_size):
        coverage[w.row_off : w.row_off + w.height, w.col_off : w.col_off + w.width] += 1
    assert (coverage == 1).all()


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 5000), height=st.integers(1, 5000), tile_size=st.integers(64, 900))
def test_cover_check_accepts_every_planned_grid(width: int, height: int, tile_size: int):
    assert cover_problems(tile_windows(width, height, tile_size), width, height) == []


def test_cover_check_reports_a_missing_tile():
    windows = tile_windows(100, 100, 50)[:-1]
    assert cover_problems(windows, 100, 100) == ["some pixels are covered by no window"]


def test_cover_check_reports_overlapping_tiles():
    windows = [*tile_windows(100, 100, 50), Window(25, 25, 50, 50)]
    assert cover_problems(windows, 100, 100) == ["some pixels are covered by more than one window"]


def test_plan_lists_row_major_tiles_with_their_bounds(uint16_nodata):
    plan = run("plan_tiles", {**uint16_nodata, "tile_size": 256})
    assert (plan["width"], plan["height"]) == (512, 384)
    assert [(t["col_off"], t["row_off"], t["width"], t["height"]) for t in plan["tiles"]] == [
        (0, 0, 256, 256),
        (256, 0, 256, 256),
        (0, 256, 256, 128),
        (256, 256, 256, 128),
    ]
    assert plan["tiles"][3]["bounds"] == [502560.0, 4996160.0, 505120.0, 4997440.0]


def test_tile_size_off_the_block_grid_is_invalid_params(uint16_nodata):
    with pytest.raises(NonRetryableError, match="multiple of 256"):
        run("plan_tiles", {**uint16_nodata, "tile_size": 300})


def _tiles(source: dict[str, str], prefix: str) -> list[dict]:
    plan = run("plan_tiles", {**source, "tile_size": 256})
    return [
        run(
            "cog_tile",
            {
                **source,
                "tile": tile,
                "output_container": OUTPUTS,
                "output_prefix": prefix,
                "blocksize": 128,
            },
        )
        for tile in plan["tiles"]
    ]


def test_tile_cog_is_valid_and_holds_its_window_of_pixels(store, uint16_nodata, tmp_path: Path):
    tiles = _tiles(uint16_nodata, "tiles/window")
    last = tiles[-1]
    local = download(store, OUTPUTS, last["output"]["blob_path"], tmp_path)
    source = pixels(download(store, **uint16_nodata, into=tmp_path))
    assert last["validation"]["is_valid"] is True
    assert last["output"]["blob_path"] == "tiles/window/tile_000003.tif"
    assert_same_pixels(pixels(local), source[:, 256:384, 256:512])


def test_tile_cog_is_georeferenced_at_its_window(store, uint16_nodata, tmp_path: Path):
    last = _tiles(uint16_nodata, "tiles/geo")[-1]
    with rasterio.open(download(store, OUTPUTS, last["output"]["blob_path"], tmp_path)) as cog:
        assert tuple(cog.bounds) == tuple(last["tile"]["bounds"])
        assert cog.nodata == 0
        assert cog.descriptions == ("blue", "green", "red", "nir")


def test_tile_outside_the_raster_is_non_retryable(uint16_nodata):
    tile = {"index": 9, "col_off": 512, "row_off": 0, "width": 256, "height": 256}
    with pytest.raises(NonRetryableError, match="lies outside blob"):
        run(
            "cog_tile",
            {
                **uint16_nodata,
                "tile": tile,
                "output_container": OUTPUTS,
                "output_prefix": "tiles/outside",
            },
        )


def test_mosaic_vrt_over_tile_cogs_reproduces_the_input(store, uint16_nodata, tmp_path: Path):
    tiles = _tiles(uint16_nodata, "tiles/mosaic")
    result = run(
        "mosaic",
        {"tiles": tiles, "output_container": OUTPUTS, "output_path": "tiles/mosaic/all.vrt"},
    )
    for t in tiles:
        download(store, OUTPUTS, t["output"]["blob_path"], tmp_path)
    vrt = download(store, OUTPUTS, "tiles/mosaic/all.vrt", tmp_path)
    source = download(store, **uint16_nodata, into=tmp_path)
    assert (result["width"], result["height"], result["tile_count"]) == (512, 384, 4)
    assert_same_pixels(pixels(vrt), pixels(source))
    with rasterio.open(vrt) as mosaic, rasterio.open(source) as original:
        assert mosaic.transform == original.transform
        assert mosaic.crs == original.crs
        assert mosaic.nodata == 0


def test_mosaic_of_nan_float_tiles_keeps_nan_nodata(store, float32_nan, tmp_path: Path):
    tiles = _tiles(float32_nan, "tiles/float")
    run(
        "mosaic",
        {"tiles": tiles, "output_container": OUTPUTS, "output_path": "tiles/float/all.vrt"},
    )
    for t in tiles:
        download(store, OUTPUTS, t["output"]["blob_path"], tmp_path)
    vrt = download(store, OUTPUTS, "tiles/float/all.vrt", tmp_path)
    assert_same_pixels(pixels(vrt), pixels(download(store, **float32_nan, into=tmp_path)))


def test_mosaic_with_a_missing_tile_is_non_retryable(uint16_nodata):
    tiles = _tiles(uint16_nodata, "tiles/gap")
    with pytest.raises(NonRetryableError, match="covered by no window"):
        run(
            "mosaic",
            {
                "tiles": tiles[:1] + tiles[2:],
                "output_container": OUTPUTS,
                "output_path": "tiles/gap/all.vrt",
            },
        )


def test_mosaic_refuses_tiles_in_another_container(uint16_nodata):
    tiles = _tiles(uint16_nodata, "tiles/elsewhere")
    moved = [{**t, "output": {**t["output"], "container": "rasters"}} for t in tiles]
    with pytest.raises(NonRetryableError, match="cannot be referenced by a VRT"):
        run(
            "mosaic",
            {"tiles": moved, "output_container": OUTPUTS, "output_path": "tiles/elsewhere/all.vrt"},
        )


def _mosaic(tiles: list[dict], path: str, **options: object) -> dict:
    return run(
        "mosaic", {"tiles": tiles, "output_container": OUTPUTS, "output_path": path, **options}
    )


def test_mosaic_writes_vrt_and_a_valid_stac_collection_by_default(store, uint16_nodata, offline):
    tiles = _tiles(uint16_nodata, "tiles/coll")
    result = _mosaic(tiles, "tiles/coll/all.vrt", datetime="2024-05-01T10:00:00Z")
    stored = json.loads(store.download_bytes(store.ref(OUTPUTS, "tiles/coll/all.collection.json")))
    assert result["output"]["blob_path"] == "tiles/coll/all.vrt"
    assert result["collection"]["blob_path"] == "tiles/coll/all.collection.json"
    validator = StacValidate(schema_map=local_schema_map())
    assert validator.validate_dict(stored), validator.message
    collection = pystac.Collection.from_dict(stored)
    assert collection.id == "tiles-coll-all"
    assert collection.extent.temporal.intervals[0][0].isoformat() == "2024-05-01T10:00:00+00:00"


def test_collection_extent_is_the_union_of_the_tiles_and_assets_are_the_tile_cogs(
    store, uint16_nodata
):
    tiles = _tiles(uint16_nodata, "tiles/extent")
    _mosaic(tiles, "tiles/extent/all.vrt", format="stac", collection_id="scene-tiles")
    ref = store.ref(OUTPUTS, "tiles/extent/all.collection.json")
    stored = json.loads(store.download_bytes(ref))
    west, south, east, north = stored["extent"]["spatial"]["bbox"][0]
    # the source's own item, written beside a copy of it in the output container
    source = store.download_bytes(store.ref(uint16_nodata["container"], uint16_nodata["blob_path"]))
    store.upload_bytes(store.ref(OUTPUTS, "tiles/extent/source.tif"), source)
    copy = {"container": OUTPUTS, "blob_path": "tiles/extent/source.tif"}
    whole = run("stac_item", copy)["item"]["bbox"]
    assert [west, south, east, north] == pytest.approx(whole, abs=1e-6)
    assets = stored["assets"]
    assert sorted(assets) == [f"tile_{i:06d}" for i in range(4)]
    assert assets["tile_000003"]["href"] == tiles[3]["output"]["url"]
    assert assets["tile_000003"]["type"] == str(pystac.MediaType.COG)


def test_format_stac_writes_no_vrt_and_format_vrt_no_collection(store, uint16_nodata):
    tiles = _tiles(uint16_nodata, "tiles/formats")
    stac_only = _mosaic(tiles, "tiles/formats/stac.vrt", format="stac")
    vrt_only = _mosaic(tiles, "tiles/formats/vrt.vrt", format="vrt")
    assert stac_only["output"] is None
    assert not store.exists(store.ref(OUTPUTS, "tiles/formats/stac.vrt"))
    assert vrt_only["collection"] is None
    assert not store.exists(store.ref(OUTPUTS, "tiles/formats/vrt.collection.json"))


def _one_tile(source: dict[str, str], prefix: str, **options: object) -> dict:
    tile = run("plan_tiles", {**source, "tile_size": 256})["tiles"][0]
    return {
        **source,
        "tile": tile,
        "output_container": OUTPUTS,
        "output_prefix": prefix,
        "blocksize": 128,
        **options,
    }


def test_retried_tile_after_upload_resumes_without_converting(store, uint16_nodata):
    params = _one_tile(uint16_nodata, "tiles/resume")
    first_ctx = LocalContext()
    first = run("cog_tile", params, first_ctx)
    etag = store.info(store.ref(OUTPUTS, first["output"]["blob_path"])).etag
    retry = run("cog_tile", params, LocalContext(attempt=2, checkpoint=first_ctx.checkpoint))
    assert retry["resumed"] is True
    assert retry["output"] == first["output"]
    assert retry["validation"] == first["validation"]
    assert store.info(store.ref(OUTPUTS, first["output"]["blob_path"])).etag == etag


def test_tile_checkpoint_of_a_replaced_output_is_ignored(store, uint16_nodata):
    params = _one_tile(uint16_nodata, "tiles/replaced")
    ctx = LocalContext()
    first = run("cog_tile", params, ctx)
    store.upload_bytes(store.ref(OUTPUTS, first["output"]["blob_path"]), b"not a tile")
    again = run("cog_tile", params, LocalContext(attempt=2, checkpoint=ctx.checkpoint))
    assert again["resumed"] is False
    assert again["validation"]["is_valid"] is True


def test_tile_checkpoint_from_other_params_is_ignored(uint16_nodata):
    ctx = LocalContext()
    run("cog_tile", _one_tile(uint16_nodata, "tiles/params"), ctx)
    other = _one_tile(uint16_nodata, "tiles/params", compression="zstd")
    again = run("cog_tile", other, LocalContext(attempt=2, checkpoint=ctx.checkpoint))
    assert again["resumed"] is False
