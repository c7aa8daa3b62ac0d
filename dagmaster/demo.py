"""`make demo`: the whole platform on one machine.

Starts Azurite, devhost (the Functions app, with its embedded PostgreSQL catalog) and one
container worker; submits the shipped example workflows through the HTTP API, shows their
progress, prints each job's result and timeline; then ingests a synthetic GeoTIFF with
`raster_ingest` and prints its COG and STAC item, and a GeoPackage of parcels with
`vector_ingest` into a local PostGIS (Debian's PostgreSQL 15 + PostGIS, started here and
stopped at the end); then runs the B2B asset flow for DDH (submit, processing, approve,
clearance, a second version rejected, the history).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from dagmaster.azurite import run_azurite
from devhost.testing import run_devhost

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".dagmaster" / "demo"
FINAL = {"completed", "failed", "cancelled"}

EXAMPLES: list[tuple[str, str, dict[str, Any]]] = [
    ("a chain of two echo steps", "echo_test", {"message": "hello, dagmaster"}),
    ("fan-out over a list, fan-in collect and sum", "fan_out_test", {"numbers": [1, 2, 3, 4, 5]}),
    ("conditional routing: a large dataset", "size_routing", {"size_bytes": 5_000_000}),
    ("conditional routing: a small dataset", "size_routing", {"size_bytes": 1_000}),
    ("retries with exponential back-off", "retry_test", {"fail_first": 2}),
]


def say(text: str = "") -> None:
    print(text, flush=True)


class Api:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def submit(self, workflow_id: str, inputs: dict[str, Any]) -> str:
        response = self.http.post("/api/jobs", json={"workflow_id": workflow_id, "inputs": inputs})
        response.raise_for_status()
        return str(response.json()["job_id"])

    def follow(self, job_id: str, timeout: float = 180) -> dict[str, Any]:
        """Poll the job, printing its progress when it changes, until it ends."""
        deadline, last = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            job = self.http.get(f"/api/jobs/{job_id}").json()
            progress = job.get("progress") or {}
            line = f"    {job['status']:<9} {progress.get('percent', 0):>5}%  running: " + (
                ", ".join(progress.get("running", [])) or "-"
            )
            if line != last:
                say(line)
                last = line
            if job["status"] in FINAL:
                return dict(job)
            time.sleep(0.3)
        raise TimeoutError(f"job {job_id} did not finish in {timeout}s")

    def timeline(self, job_id: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:  # the timeline pages (1000 events a page)
            page = self.http.get(f"/api/jobs/{job_id}/timeline", params=params).json()
            events += page["items"]
            if page.get("next_cursor") is None:
                return events
            params = {"cursor": page["next_cursor"]}


def show(api: Api, job: dict[str, Any], *, result: bool = True) -> None:
    if result:
        say(f"    result: {json.dumps((job.get('output') or {}).get('result'))}")
    if job.get("error"):
        say(f"    error:  {job['error'].get('message')}")
    say("    timeline:")
    for event in api.timeline(job["job_id"]):
        node = f" {event['node_id']}" if event["node_id"] else ""
        attempt = f" #{event['attempt']}" if event["attempt"] else ""
        extra = ""
        if event["kind"] == "node.retrying":
            data = event["data"]
            extra = f"  (wait {data.get('delay_seconds')}s: {data['error']['message']})"
        say(f"      {event['seq']:>3} {event['at'][11:23]} {event['kind']}{node}{attempt}{extra}")


def make_geotiff(path: Path) -> None:
    """A small RGB GeoTIFF in Web Mercator with smooth gradients (compresses like imagery)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    size = 1024
    y, x = np.mgrid[0:size, 0:size]
    bands = np.stack([(x // 4) % 256, (y // 4) % 256, ((x + y) // 8) % 256]).astype("uint8")
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:3857",
        "transform": from_origin(-8_240_000, 4_970_000, 10, 10),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(bands)


def raster_ingest(api: Api, connection_string: str) -> None:
    from azure.storage.blob import BlobServiceClient

    say("\n== raster_ingest: a synthetic GeoTIFF -> COG -> STAC item")
    source = DATA / "demo.tif"
    make_geotiff(source)
    service = BlobServiceClient.from_connection_string(connection_string)
    for name in (
        "raw",
        "cogs",
    ):  # the input and the output containers (Bicep creates them on Azure)
        if not service.get_container_client(name).exists():
            service.create_container(name)
    container = service.get_container_client("raw")
    container.upload_blob("demo/demo.tif", source.read_bytes(), overwrite=True)
    say(f"    uploaded raw/demo/demo.tif ({source.stat().st_size:,} bytes) to Azurite")
    job = api.follow(
        api.submit("raster_ingest", {"container": "raw", "blob_path": "demo/demo.tif"})
    )
    if job["status"] != "completed":
        show(api, job)
        raise SystemExit("raster_ingest did not complete")
    show(api, job, result=False)
    stac = job["output"]["result"]["stac_item"]
    item = stac["item"]
    say(f"    STAC item '{item['id']}' (stored at {stac['item_blob']['blob_path']}):")
    say(f"      bbox: {item['bbox']}")
    say(
        f"      proj:epsg: {item['properties'].get('proj:epsg')}  "
        f"datetime: {item['properties'].get('datetime')}"
    )
    for key, asset in item["assets"].items():
        say(f"      asset {key}: {asset.get('type')} roles={asset.get('roles')}")
        say(f"        {asset['href'].split('?')[0]}")
    say(f"      extensions: {', '.join(item.get('stac_extensions', []))}")


REVIEWER = {"X-MS-CLIENT-PRINCIPAL-NAME": "reviewer@example.org"}  # App Service Auth on Azure


def _b2b_submit(api: Api, version_id: str) -> dict[str, Any]:
    body = {
        "platform_id": "ddh",
        "request_id": f"demo-{version_id}",
        "identifiers": {
            "dataset_id": "demo-dataset",
            "resource_id": "r1",
            "version_id": version_id,
        },
        "data_type": "raster",
        "source": {"container": "raw", "blob_path": "demo/demo.tif"},
        "title": "A synthetic gradient",
    }
    accepted = api.http.post("/api/platform/submit", json=body)
    accepted.raise_for_status()
    answer = dict(accepted.json())
    ordinal = answer["version_ordinal"]
    say(f"    submitted {version_id}: asset {answer['asset_id']} version {ordinal}")
    last, deadline = None, time.monotonic() + 180
    while time.monotonic() < deadline:
        status = api.http.get(f"/api/platform/status/{body['request_id']}").json()
        if status["processing"] != last:
            last = status["processing"]
            say(f"      processing: {last}  (job {status['job_status']})")
        if last in ("completed", "failed"):
            return dict(status)
        time.sleep(0.3)
    raise TimeoutError(f"{version_id} was not processed in time")


def _review(api: Api, asset_id: str, path: str, reason: str) -> None:
    response = api.http.post(
        f"/api/assets/{asset_id}/{path}", json={"reason": reason}, headers=REVIEWER
    )
    response.raise_for_status()
    say(f"    {path}: revision {response.json()['revision']}  ({reason})")


def asset_flow(api: Api) -> None:
    say("\n== B2B assets: DDH submits a raster; review and clearance; a second version")
    status = _b2b_submit(api, "v1")
    asset_id = status["asset_id"]
    say(f"      outputs: STAC item {status['outputs']['stac_item_id']}")
    say(f"               COG {status['outputs']['cog_href']}")
    _review(api, asset_id, "versions/1/approve", "checked the colours")
    _review(api, asset_id, "clearance/cleared", "licence confirmed")
    _review(api, asset_id, "clearance/public", "release to the public catalog")
    _b2b_submit(api, "v2")
    _review(api, asset_id, "versions/2/reject", "not needed: v1 stays public")
    say("    history:")
    for item in api.http.get(f"/api/assets/{asset_id}/history").json()["items"]:
        why = f"  ({item['reason']})" if item["reason"] else ""
        version = f" v{item['ordinal']}" if item["ordinal"] else ""
        what = f"{item['action']}{version} by {item['by']}{why}"
        say(f"      {item['revision']:>2} {item['at'][11:23]} {what}")
    entity = api.http.get(f"/runtime/webhooks/durabletask/entities/asset/{asset_id}").json()
    say(
        f"    the entity (Durable HTTP API): revision {entity['revision']}, clearance "
        f"{entity['clearance']}, versions "
        + ", ".join(f"{v['ordinal']}:{v['approval']}" for v in entity["versions"])
    )


def vector_ingest(api: Api, connection_string: str) -> None:
    from azure.storage.blob import BlobServiceClient

    from dagmaster import vector_samples

    say("\n== vector_ingest: a GeoPackage of parcels (UTM 33N) -> PostGIS (WGS84) -> STAC item")
    source = vector_samples.write(vector_samples.parcels(1_000), DATA / "parcels.gpkg", "GPKG")
    service = BlobServiceClient.from_connection_string(connection_string)
    if not service.get_container_client("raw").exists():
        service.create_container("raw")
    service.get_container_client("raw").upload_blob(
        "demo/parcels.gpkg", source.read_bytes(), overwrite=True
    )
    say(f"    uploaded raw/demo/parcels.gpkg ({source.stat().st_size:,} bytes) to Azurite")
    inputs = {"container": "raw", "blob_path": "demo/parcels.gpkg", "table": "parcels"}
    job = api.follow(api.submit("vector_ingest", {**inputs, "chunk_size": 250}))
    if job["status"] != "completed":
        show(api, job)
        raise SystemExit("vector_ingest did not complete")
    show(api, job, result=False)
    result = dict(job["output"]["result"])
    item = result.pop("stac_item")["item"]
    say(f"    result: {json.dumps(result)}")
    say(f"    STAC item '{item['id']}': {item['assets']['data']['href']}")


@contextmanager
def local_postgis() -> Iterator[dict[str, str]]:
    """A PostGIS for the vector tables: DAGMASTER_POSTGIS_URL if set, else a local cluster."""
    from adapters.postgis.local import start_local_postgis
    from config.settings import PostgisSettings

    if PostgisSettings.from_env().url:
        yield {}
        return
    server = start_local_postgis(REPO / ".dagmaster" / "postgis")
    say(f"    PostGIS for vector tables on {server.url} (data in .dagmaster/postgis)")
    try:
        yield {"DAGMASTER_POSTGIS_URL": server.url}
    finally:
        server.stop()


def main() -> None:
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    say("== starting Azurite, devhost (Functions app + embedded PostgreSQL) and a worker")
    with run_azurite() as azurite, local_postgis() as postgis_env:
        env = {
            **postgis_env,
            "DAGMASTER_STORAGE_CONNECTION_STRING": azurite.connection_string,
            "DAGMASTER_TASK_QUEUE": "storage",
            "DAGMASTER_DATA_DIR": str(DATA),
            "DAGMASTER_STAC_INDEX": "catalog",
            "DAGMASTER_INPUT_CONTAINERS": "raw",
            "DAGMASTER_OUTPUT_CONTAINERS": "cogs,vectors",
        }
        with run_devhost(REPO, DATA / "devhost", env=env) as host:
            say(f"    Functions app on {host.base_url}  (log: {host.log_path})")
            say(f"    while it runs, try: curl {host.base_url}/api/jobs")
            worker = _start_worker({**env, "DAGMASTER_DURABLE_BASE_URL": host.base_url})
            try:
                api = Api(host.base_url)
                for title, workflow_id, inputs in EXAMPLES:
                    say(f"\n== {workflow_id}: {title}  inputs={json.dumps(inputs)}")
                    show(api, api.follow(api.submit(workflow_id, inputs)))
                raster_ingest(api, azurite.connection_string)
                vector_ingest(api, azurite.connection_string)
                asset_flow(api)
                say("\nDone. Run `.venv/bin/dagmaster dev` to start the app on its own.")
            finally:
                worker.terminate()
                worker.wait(30)


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (DATA / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "container_worker"],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


if __name__ == "__main__":
    main()
