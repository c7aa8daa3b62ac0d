"""`raster_ingest` end to end on devhost with two real container workers, against Azurite:
the whole-COG branch and the tiled branch (tile COGs in parallel, a VRT mosaic over them),
each ending in a STAC item."""

from pathlib import Path

import numpy as np
import pytest
import rasterio
from azure.storage.blob import BlobServiceClient
from rasterio.windows import Window
from rio_cogeo.cogeo import cog_validate
from stac_validator.validate import StacValidate

from dagmaster.demo import make_geotiff
from handlers.raster.stac import local_schema_map
from tests.engine.workers import run_workers

SOURCE = {"container": "raw", "blob_path": "ingest/rgb.tif"}  # 1024 x 1024, 3 bands
TILED = {**SOURCE, "tile_threshold_bytes": 0, "tile_size": 512}  # 4 tiles of 512 x 512


@pytest.fixture(scope="module")
def source(engine, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("raster") / "rgb.tif"
    make_geotiff(path)
    service = blobs(engine)
    for name in ("raw", "cogs"):
        if not service.get_container_client(name).exists():
            service.create_container(name)
    service.get_blob_client("raw", SOURCE["blob_path"]).upload_blob(
        path.read_bytes(), overwrite=True
    )
    return path


@pytest.fixture(scope="module")
def worker_logs(engine, tmp_path_factory) -> Path:
    """Two workers, one task at a time each, for the whole module; their logs' folder."""
    log_dir = tmp_path_factory.mktemp("workers")
    with run_workers(engine, log_dir, count=2):
        yield log_dir


@pytest.fixture(scope="module")
def tiled(engine, source, worker_logs) -> tuple[str, dict]:
    """One tiled ingest, shared by the tests that look at its parts."""
    return ingest(engine, TILED)


def blobs(engine) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(
        engine.env["DAGMASTER_STORAGE_CONNECTION_STRING"]
    )


def download(engine, container: str, blob_path: str, into: Path) -> Path:
    """Fetch a blob into ``into`` keeping its path, so a VRT's relative sources resolve."""
    local = into / blob_path
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(blobs(engine).get_blob_client(container, blob_path).download_blob().readall())
    return local


def pixels(path: Path, window: dict | None = None) -> np.ndarray:
    with rasterio.open(path) as src:
        if window is None:
            return src.read()
        w = Window(window["col_off"], window["row_off"], window["width"], window["height"])
        return src.read(window=w)


def assert_valid_stac_item(item: dict) -> None:
    validator = StacValidate(schema_map=local_schema_map())
    assert validator.validate_dict(item), validator.message


def ingest(engine, inputs: dict) -> tuple[str, dict]:
    job_id = engine.submit("raster_ingest", inputs)
    return job_id, engine.wait(job_id, timeout=180)


def started_by_worker(log_dir: Path, job_id: str) -> dict[str, set[str]]:
    """Node ids of ``job_id`` each worker started, from the workers' own logs."""
    return {
        log.stem: {
            line.split(f"task {job_id}/", 1)[1].rsplit("/", 1)[0].split("/")[0]
            for line in log.read_text().splitlines()
            if f"task {job_id}/" in line and " started (pid " in line
        }
        for log in sorted(log_dir.glob("worker-*.log"))
    }


def test_small_raster_becomes_one_valid_cog_with_the_input_pixels_and_a_stac_item(
    engine, source, worker_logs, tmp_path
):
    job_id, job = ingest(engine, SOURCE)

    assert job["status"] == "completed", job
    assert engine.nodes(job_id)["plan_tiles"]["status"] == "skipped"
    cog = download(engine, "cogs", f"{job_id}/cog.tif", tmp_path)
    is_valid, errors, _ = cog_validate(str(cog))
    assert is_valid, errors
    np.testing.assert_array_equal(pixels(cog), pixels(source))
    item = job["output"]["result"]["stac_item"]["item"]
    assert item["properties"]["proj:epsg"] == 3857
    assert_valid_stac_item(item)


def test_large_raster_is_tiled_into_valid_cogs_holding_their_windows_of_the_input(
    engine, source, tiled, tmp_path
):
    job_id, job = tiled

    assert job["status"] == "completed", job
    nodes = engine.nodes(job_id)
    assert nodes["cog"]["status"] == "skipped"
    tiles = nodes["merge"]["output"]
    assert [t["tile"]["index"] for t in tiles] == [0, 1, 2, 3]
    for t in tiles:
        local = download(engine, t["output"]["container"], t["output"]["blob_path"], tmp_path)
        is_valid, errors, _ = cog_validate(str(local))
        assert is_valid, (local.name, errors)
        np.testing.assert_array_equal(pixels(local), pixels(source, t["tile"]))


def test_tiled_ingest_mosaic_reproduces_the_input_and_has_a_valid_stac_item(
    engine, source, tiled, tmp_path
):
    job_id, job = tiled

    assert job["status"] == "completed", job
    for t in engine.nodes(job_id)["merge"]["output"]:
        download(engine, t["output"]["container"], t["output"]["blob_path"], tmp_path)
    vrt = download(engine, "cogs", f"{job_id}/mosaic.vrt", tmp_path)
    np.testing.assert_array_equal(pixels(vrt), pixels(source))
    item = job["output"]["result"]["stac_item"]["item"]
    assert_valid_stac_item(item)
    asset = item["assets"]["data"]
    assert asset["href"].endswith(f"/cogs/{job_id}/mosaic.vrt")
    assert asset["type"] == "application/xml"
    maxima = [band["statistics"]["maximum"] for band in asset["raster:bands"]]
    assert maxima == [int(band.max()) for band in pixels(source)]  # read through the tiles


def test_tiled_ingest_timeline_runs_tiles_then_mosaic_then_stac(engine, tiled):
    job_id, job = tiled

    assert job["status"] == "completed", job
    completed = [e["node_id"] for e in engine.timeline(job_id) if e["kind"] == "node.completed"]
    tiles = [f"tiles[{i}]" for i in range(4)]
    assert sorted(n for n in completed if n.startswith("tiles[")) == tiles
    order = [n for n in completed if not n.startswith("tiles[")]
    assert order == [
        "start",
        "validate",
        "route",
        "plan_tiles",
        "tiles",
        "merge",
        "mosaic",
        "stac",
        "end",
    ]
    assert max(completed.index(t) for t in tiles) < completed.index("tiles")


def test_tile_tasks_are_spread_over_both_workers(tiled, worker_logs):
    job_id, job = tiled

    assert job["status"] == "completed", job
    started = started_by_worker(worker_logs, job_id)
    assert set().union(*started.values()) == {f"tiles[{i}]" for i in range(4)}
    assert all(started.values()), started
