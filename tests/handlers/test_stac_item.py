import json
from collections.abc import Iterator

import pytest
from stac_validator.validate import StacValidate

import wiring
from adapters.catalog import StacCatalog, close_pool
from handlers.base import LocalContext, NonRetryableError
from handlers.raster.stac import local_schema_map
from handlers.raster.stac_index import ENV_STAC_INDEX
from tests.handlers.conftest import OUTPUTS
from tests.handlers.helpers import download, pixels, run


@pytest.fixture(scope="module")
def cog(uint16_nodata) -> dict[str, str]:
    run(
        "create_cog",
        {
            **uint16_nodata,
            "output_container": OUTPUTS,
            "output_path": "stac/scene.tif",
            "blocksize": 128,
        },
    )
    return {"container": OUTPUTS, "blob_path": "stac/scene.tif"}


def _in_outputs(store, source: dict[str, str]) -> dict[str, str]:
    """A copy of an input raster in the output container, where an item may be written."""
    data = store.download_bytes(store.ref(source["container"], source["blob_path"]))
    store.upload_bytes(store.ref(OUTPUTS, source["blob_path"]), data)
    return {"container": OUTPUTS, "blob_path": source["blob_path"]}


def test_item_validates_against_local_schemas_without_network(cog, offline):
    result = run("stac_item", {**cog, "collection": "scenes", "datetime": "2024-05-01T10:00:00Z"})
    validator = StacValidate(schema_map=local_schema_map())
    assert validator.validate_dict(result["item"]), validator.message
    assert result["item"]["collection"] == "scenes"
    assert result["item"]["properties"]["datetime"] == "2024-05-01T10:00:00Z"


def test_item_carries_projection_and_raster_bands(cog):
    item = run("stac_item", cog)["item"]
    props, asset = item["properties"], item["assets"]["data"]
    assert props["proj:epsg"] == 32633
    assert props["proj:shape"] == [384, 512]
    assert [b["data_type"] for b in asset["raster:bands"]] == ["uint16"] * 4
    assert all(b["nodata"] == 0 for b in asset["raster:bands"])


def test_asset_is_a_cog_data_asset_at_the_unsigned_blob_url(store, cog):
    item = run("stac_item", cog)["item"]
    asset = item["assets"]["data"]
    assert asset["type"] == "image/tiff; application=geotiff; profile=cloud-optimized"
    assert asset["roles"] == ["data"]
    assert asset["href"] == store.url(store.ref(OUTPUTS, "stac/scene.tif"))
    assert "?" not in asset["href"]


def test_item_bbox_is_in_wgs84_around_the_raster(cog):
    west, south, east, north = run("stac_item", cog)["item"]["bbox"]
    assert 14.9 < west < east < 15.2
    assert 45.0 < south < north < 45.2


def test_item_is_stored_as_json_next_to_the_data(store, cog):
    result = run("stac_item", {**cog, "item_id": "scene-1"})
    stored = json.loads(store.download_bytes(store.ref(OUTPUTS, "stac/scene.stac.json")))
    assert result["item_blob"]["blob_path"] == "stac/scene.stac.json"
    assert stored == result["item"]
    assert stored["id"] == "scene-1"


def test_properties_given_are_kept(cog):
    item = run("stac_item", {**cog, "properties": {"platform": "sentinel-2a"}})["item"]
    assert item["properties"]["platform"] == "sentinel-2a"


def test_a_geotiff_that_is_not_a_cog_gets_the_geotiff_media_type(store, uint16_nodata):
    item = run("stac_item", _in_outputs(store, uint16_nodata))["item"]
    assert item["assets"]["data"]["type"] == "image/tiff; application=geotiff"


def test_raster_without_crs_is_non_retryable(store, no_crs):
    with pytest.raises(NonRetryableError) as raised:
        run("stac_item", _in_outputs(store, no_crs))
    assert raised.value.kind == "not_georeferenced"
    assert "fixtures/no_crs.tif" in raised.value.message


def test_local_schema_validation_rejects_a_broken_item(cog):
    item = run("stac_item", cog)["item"]
    item["assets"]["data"]["raster:bands"][0]["data_type"] = "uint17"
    assert not StacValidate(schema_map=local_schema_map()).validate_dict(item)


def _valid_percents(item: dict) -> list[float]:
    return [b["statistics"]["valid_percent"] for b in item["assets"]["data"]["raster:bands"]]


def test_valid_percent_of_a_fully_valid_raster_is_100(store, small_rgb):
    item = run("stac_item", _in_outputs(store, small_rgb))["item"]
    assert _valid_percents(item) == [100.0, 100.0, 100.0]


def test_valid_percent_of_a_half_nodata_raster_is_about_50(store, half_nodata):
    item = run("stac_item", _in_outputs(store, half_nodata))["item"]
    assert _valid_percents(item) == [pytest.approx(50.0, abs=0.5)]


@pytest.fixture
def index(catalog_db, monkeypatch: pytest.MonkeyPatch) -> Iterator[StacCatalog]:
    """The catalog index configured as in production: DATABASE_URL + DAGMASTER_STAC_INDEX."""
    monkeypatch.setenv("DATABASE_URL", catalog_db.url)
    monkeypatch.setenv(ENV_STAC_INDEX, "catalog")
    close_pool()
    wiring.reset()
    yield StacCatalog(catalog_db.pool)
    close_pool()
    wiring.reset()


def test_item_of_a_collection_is_indexed_with_its_job_node_and_href(cog, index: StacCatalog):
    ctx = LocalContext(job_id="job-42", node_id="stac")
    result = run("stac_item", {**cog, "collection": "scenes", "item_id": "scene-42"}, ctx)
    stored = index.get_item("scenes", "scene-42")
    assert result["indexed"] is True
    assert (stored.job_id, stored.node_id) == ("job-42", "stac")
    assert stored.href == result["item_blob"]["url"]
    assert stored.item == result["item"]
    assert list(stored.bbox) == pytest.approx(result["item"]["bbox"])


def test_running_stac_item_again_updates_the_one_indexed_row(cog, index: StacCatalog):
    params = {**cog, "collection": "scenes", "item_id": "again"}
    run("stac_item", params, LocalContext(job_id="job-1"))
    run("stac_item", {**params, "properties": {"platform": "s2b"}}, LocalContext(job_id="job-2"))
    page = index.list_items(collection="scenes")
    assert [(i.item_id, i.job_id) for i in page.items] == [("again", "job-2")]
    assert page.items[0].item["properties"]["platform"] == "s2b"


def test_item_without_a_collection_is_not_indexed(cog, index: StacCatalog):
    result = run("stac_item", {**cog, "item_id": "loose"})
    assert result["indexed"] is False
    assert index.list_items().items == []


def test_items_are_not_indexed_when_no_index_is_configured(cog, monkeypatch):
    monkeypatch.delenv(ENV_STAC_INDEX, raising=False)
    assert run("stac_item", {**cog, "collection": "scenes"})["indexed"] is False


def test_an_unknown_index_setting_is_non_retryable_naming_the_variable(cog, monkeypatch):
    monkeypatch.setenv(ENV_STAC_INDEX, "elastic")
    with pytest.raises(NonRetryableError, match="invalid DAGMASTER_STAC_INDEX 'elastic'"):
        run("stac_item", {**cog, "collection": "scenes"})


def test_item_of_a_tile_mosaic_reads_the_pixels_of_its_tiles(uint16_nodata, store, tmp_path):
    plan = run("plan_tiles", {**uint16_nodata, "tile_size": 256})
    tiles = [
        run(
            "cog_tile",
            {
                **uint16_nodata,
                "tile": tile,
                "output_container": OUTPUTS,
                "output_prefix": "stac/mosaic",
                "blocksize": 128,
            },
        )
        for tile in plan["tiles"]
    ]
    run(
        "mosaic",
        {"tiles": tiles, "output_container": OUTPUTS, "output_path": "stac/mosaic/all.vrt"},
    )

    asset = run("stac_item", {"container": OUTPUTS, "blob_path": "stac/mosaic/all.vrt"})["item"][
        "assets"
    ]["data"]

    assert asset["type"] == "application/xml"
    expected = pixels(download(store, **uint16_nodata, into=tmp_path))
    assert [b["statistics"]["maximum"] for b in asset["raster:bands"]] == [
        int(band.max()) for band in expected
    ]
