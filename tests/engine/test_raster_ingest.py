"""`raster_ingest` end to end on devhost: validate, COG on the heavy queue (a real container
worker), STAC item, against Azurite."""

import pytest
from azure.storage.blob import BlobServiceClient
from rio_cogeo.cogeo import cog_validate

from dagmaster.demo import make_geotiff
from tests.engine.workers import run_workers


@pytest.fixture(scope="module")
def raw_raster(engine, tmp_path_factory):
    path = tmp_path_factory.mktemp("raster") / "rgb.tif"
    make_geotiff(path)
    service = BlobServiceClient.from_connection_string(
        engine.env["DAGMASTER_STORAGE_CONNECTION_STRING"]
    )
    for name in ("raw", "cogs"):
        if not service.get_container_client(name).exists():
            service.create_container(name)
    service.get_blob_client("raw", "ingest/rgb.tif").upload_blob(path.read_bytes(), overwrite=True)
    return service


def test_raster_ingest_writes_a_valid_cog_and_a_stac_item(engine, raw_raster, tmp_path):
    with run_workers(engine, tmp_path):
        job_id = engine.submit("raster_ingest", {"container": "raw", "blob_path": "ingest/rgb.tif"})
        job = engine.wait(job_id, timeout=180)
    assert job["status"] == "completed", job
    stac = job["output"]["result"]["stac_item"]
    assert stac["item"]["properties"]["proj:epsg"] == 3857
    assert engine.nodes(job_id)["plan_tiles"]["status"] == "skipped"
    cog = tmp_path / "cog.tif"
    cog.write_bytes(
        raw_raster.get_blob_client("cogs", f"{job_id}/cog.tif").download_blob().readall()
    )
    is_valid, errors, _ = cog_validate(str(cog))
    assert is_valid, errors
