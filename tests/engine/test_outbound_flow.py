"""B2B outbound end to end on devhost, with a worker, Azurite, the catalog and a real HTTP
receiver: signed callbacks on every version event, publishing on clearance public,
unpublishing on delete, and at-least-once delivery to a receiver that fails at first."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from dagmaster.demo import make_geotiff
from devhost.testing import run_devhost
from domain.assets import asset_id_for
from domain.callbacks import SIGNATURE_HEADER, verify
from tests.engine.support import REPO, Engine, app_env
from tests.engine.workers import run_workers
from tests.support.polling import wait_until
from tests.support.postgres import fresh_catalog

pytestmark = pytest.mark.slow

SECRET = "whsec_outbound_test"
PUBLIC = "public-e2e"
# Keys mode: each platform calls with its own key, reviewers with theirs.
DDH_KEY = {"X-Dagmaster-Key": "ddh-secret-key"}
HUB_KEY = {"X-Dagmaster-Key": "hub-secret-key"}
REVIEWER = {"X-MS-CLIENT-PRINCIPAL-NAME": "ana@example.org", "X-Dagmaster-Key": "rev-key"}


@dataclass
class Receiver:
    """A B2B platform's webhook endpoint: verifies each signature, answers 503 to the first
    ``failures`` requests about an asset in ``flaky``, keeps each event once by event_id."""

    url: str = ""
    flaky: dict[str, int] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        event = json.loads(body)
        signed = verify(SECRET.encode(), headers.get(SIGNATURE_HEADER, ""), body, int(time.time()))
        with self.lock:
            self.requests.append({"event": event, "signed": signed})
            if not signed:
                return 400
            if self.flaky.get(event["asset_id"], 0) > 0:
                self.flaky[event["asset_id"]] -= 1
                return 503
            self.accepted.setdefault(event["event_id"], event)
            return 204

    def events(self, asset_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.accepted.values() if e["asset_id"] == asset_id]

    def types(self, asset_id: str) -> list[str]:
        return [e["type"] for e in self.events(asset_id)]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(state.handle(dict(self.headers), body))
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet: the tests read what the receiver recorded, not its access log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/dagmaster"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def engine(azurite, embedded_pg, tmp_path_factory, receiver: Receiver) -> Iterator[Engine]:
    """The app in keys mode with the shipped `ddh` entry, its callback URL setting holding the
    receiver's URL, and a second platform, `hub`, without callbacks."""
    data_dir = tmp_path_factory.mktemp("outbound")
    platforms = data_dir / "platforms"
    platforms.mkdir()
    ddh = (REPO / "platforms" / "ddh.yaml").read_text()
    (platforms / "ddh.yaml").write_text(ddh)  # its key: DAGMASTER_DDH_API_KEY
    no_callback = "".join(line for line in ddh.splitlines(True) if "callback" not in line)
    hub = no_callback.replace("platform_id: ddh", "platform_id: hub").replace(
        "DAGMASTER_DDH_API_KEY", "HUB_API_KEY"
    )
    (platforms / "hub.yaml").write_text(hub)
    with fresh_catalog(embedded_pg) as db:
        env = {
            **app_env(azurite, db.url, data_dir),
            "DAGMASTER_PLATFORMS_DIR": str(platforms),
            "DAGMASTER_DDH_CALLBACK_URL": receiver.url,
            "DAGMASTER_DDH_CALLBACK_SECRET": SECRET,
            "DAGMASTER_STAC_INDEX": "catalog",
            "DAGMASTER_PUBLIC_CONTAINER": PUBLIC,
            "DAGMASTER_CALLBACK_BACKOFF_SECONDS": "0.5",
            "DAGMASTER_CALLBACK_TIMEOUT_SECONDS": "5",
            "DAGMASTER_ACCESS": "keys",
            "DAGMASTER_REVIEWER_KEY": REVIEWER["X-Dagmaster-Key"],
            "DAGMASTER_DDH_API_KEY": DDH_KEY["X-Dagmaster-Key"],
            "HUB_API_KEY": HUB_KEY["X-Dagmaster-Key"],
        }
        with run_devhost(REPO, data_dir / "devhost", env=env) as host:
            # the engine's own reads (jobs, STAC) as a reviewer; each test names its caller
            running = Engine(host, env, headers={"X-Dagmaster-Key": REVIEWER["X-Dagmaster-Key"]})
            source = data_dir / "rgb.tif"
            make_geotiff(source)
            raw = blobs(running).get_container_client("raw")
            if not raw.exists():  # other modules share the session's Azurite
                raw.create_container()
            raw.upload_blob("ddh/rgb.tif", source.read_bytes(), overwrite=True)
            with run_workers(running, tmp_path_factory.mktemp("workers")):
                yield running


def blobs(engine: Engine) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(
        engine.env["DAGMASTER_STORAGE_CONNECTION_STRING"]
    )


def submission(dataset: str, blob_path: str = "ddh/rgb.tif") -> dict[str, Any]:
    return {
        "platform_id": "ddh",
        "request_id": f"{dataset}-{uuid.uuid4().hex[:8]}",
        "identifiers": {"dataset_id": dataset, "resource_id": "r1", "version_id": "v1"},
        "data_type": "raster",
        "source": {"container": "raw", "blob_path": blob_path},
    }


def submit(engine: Engine, dataset: str, blob_path: str = "ddh/rgb.tif") -> dict[str, Any]:
    body = submission(dataset, blob_path)
    response = engine.call("POST", "/api/platform/submit", json=body, headers=DDH_KEY)
    assert response.status_code == 202, response.text
    return dict(response.json())


def act(engine: Engine, asset_id: str, path: str) -> None:
    response = engine.call(
        "POST", f"/api/assets/{asset_id}/{path}", json={"reason": "test"}, headers=REVIEWER
    )
    assert response.status_code == 200, response.text


def asset(engine: Engine, asset_id: str) -> dict[str, Any]:
    response = engine.call("GET", f"/api/assets/{asset_id}", headers=REVIEWER)
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_event(receiver: Receiver, asset_id: str, type_: str, timeout: float = 180) -> dict:
    wait_until(lambda: type_ in receiver.types(asset_id), timeout, f"{type_} of {asset_id}")
    return next(e for e in receiver.events(asset_id) if e["type"] == type_)


def public_item(engine: Engine, asset_id: str) -> Any:
    """The public STAC item, read as the other platform: the public collection is everyone's."""
    return engine.call("GET", f"/api/stac/collections/public/items/{asset_id}", headers=HUB_KEY)


def deliveries(engine: Engine, asset_id: str) -> list[dict[str, Any]]:
    response = engine.call("GET", f"/api/assets/{asset_id}/deliveries", headers=REVIEWER)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.fixture(scope="module")
def flow(engine: Engine, receiver: Receiver) -> dict[str, Any]:
    """submit → completed → approve → cleared → public → delete, and what each step sent."""
    accepted = submit(engine, "outbound-1")
    asset_id = accepted["asset_id"]
    steps: dict[str, Any] = {"asset_id": asset_id, "accepted": accepted}
    steps["completed"] = wait_event(receiver, asset_id, "version.processing_completed")
    act(engine, asset_id, "versions/1/approve")
    steps["approved"] = wait_event(receiver, asset_id, "version.approved")
    act(engine, asset_id, "clearance/cleared")
    act(engine, asset_id, "clearance/public")
    steps["published"] = wait_event(receiver, asset_id, "asset.published")
    publish_job = steps["published"]["outputs"]["job_id"]
    steps["publish_job"] = engine.wait(publish_job, timeout=120)
    steps["published_asset"] = asset(engine, asset_id)
    steps["public_item"] = public_item(engine, asset_id).json()
    href = steps["public_item"]["item"]["assets"]["data"]["href"]
    steps["public_blob"] = href.split(f"/{PUBLIC}/", 1)[1]
    steps["public_blob_existed"] = (
        blobs(engine).get_blob_client(PUBLIC, steps["public_blob"]).exists()
    )
    response = engine.call(
        "DELETE", f"/api/assets/{asset_id}", json={"reason": "withdrawn"}, headers=REVIEWER
    )
    assert response.status_code == 200, response.text
    steps["deleted"] = wait_event(receiver, asset_id, "asset.deleted")
    unpublish_job = wait_event(receiver, asset_id, "asset.unpublished")["outputs"]["job_id"]
    steps["unpublish_job"] = engine.wait(unpublish_job, timeout=120)
    return steps


def test_processing_completed_is_called_back_signed_with_the_outputs(flow, receiver):
    event = flow["completed"]
    assert event["request_id"] == flow["accepted"]["request_id"]
    assert (event["version_ordinal"], event["platform_id"]) == (1, "ddh")
    assert event["identifiers"] == {"dataset_id": "outbound-1", "resource_id": "r1"}
    assert event["outputs"]["stac_item_id"] == flow["accepted"]["job_id"]
    assert all(r["signed"] for r in receiver.requests)


def test_approval_is_called_back(flow):
    assert flow["approved"]["state"]["approval"] == "approved"


def test_clearance_public_runs_the_publish_job_and_the_public_copy_reads_back(flow):
    assert flow["publish_job"]["status"] == "completed"
    assert flow["published"]["outputs"]["public_item_id"] == flow["asset_id"]
    publication = flow["published_asset"]["publication"]
    assert (publication["kind"], publication["status"]) == ("publish", "succeeded")
    assert publication["job_id"] == flow["published"]["outputs"]["job_id"]
    assert flow["publish_job"]["workflow_id"] == "publish_asset"
    assert flow["public_blob_existed"]
    assert flow["public_item"]["collection"] == "public"


def test_delete_unpublishes_and_is_called_back(flow, engine):
    assert flow["unpublish_job"]["status"] == "completed"
    assert public_item(engine, flow["asset_id"]).status_code == 404
    assert not blobs(engine).get_blob_client(PUBLIC, flow["public_blob"]).exists()
    assert flow["deleted"]["state"]["deleted"] is True


def test_events_of_an_asset_arrive_in_order_once_each(flow, receiver):
    assert receiver.types(flow["asset_id"]) == [
        "version.processing_completed",
        "version.approved",
        "asset.published",  # once the publish job has published it
        "asset.deleted",
        "asset.unpublished",  # once the unpublish job has removed the public copy
    ]


def test_deliveries_record_every_event_delivered_with_its_attempts(flow, engine):
    items = deliveries(engine, flow["asset_id"])
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in items] == [
        ("delivered", 1, 204)
    ] * 5


def test_a_receiver_failing_the_first_three_attempts_gets_every_event_once(engine, receiver):
    identity = {"dataset_id": "outbound-flaky", "resource_id": "r1"}
    receiver.flaky[asset_id_for("ddh", ["dataset_id", "resource_id"], identity)] = 3
    asset = submit(engine, "outbound-flaky", blob_path="ddh/missing.tif")  # fails validation
    wait_event(receiver, asset["asset_id"], "version.processing_failed")
    response = engine.call(
        "DELETE", f"/api/assets/{asset['asset_id']}", json={"reason": "gone"}, headers=REVIEWER
    )
    assert response.status_code == 200, response.text
    wait_event(receiver, asset["asset_id"], "asset.deleted")

    assert receiver.types(asset["asset_id"]) == ["version.processing_failed", "asset.deleted"]
    sent = [
        r["event"]["event_id"]
        for r in receiver.requests
        if r["event"]["asset_id"] == asset["asset_id"]
    ]
    first, second = (e["event_id"] for e in receiver.events(asset["asset_id"]))
    assert sent == [first] * 4 + [second]  # the same event_id on every retry
    items = deliveries(engine, asset["asset_id"])
    assert [(d["attempts"], d["status"]) for d in items] == [(4, "delivered"), (1, "delivered")]


def sql(engine: Engine, query: str, *params: Any) -> None:
    import psycopg

    with psycopg.connect(engine.env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(query.encode(), params)


def test_withdrawing_the_published_version_unpublishes_it_and_a_failed_publish_shows(
    engine, receiver
):
    accepted = submit(engine, "outbound-withdraw")
    asset_id = accepted["asset_id"]
    wait_event(receiver, asset_id, "version.processing_completed")
    for step in ("versions/1/approve", "clearance/cleared", "clearance/public"):
        act(engine, asset_id, step)
    wait_event(receiver, asset_id, "asset.published")
    href = public_item(engine, asset_id).json()["item"]["assets"]["data"]["href"]
    public_blob = blobs(engine).get_blob_client(PUBLIC, href.split(f"/{PUBLIC}/", 1)[1])
    assert public_blob.exists()

    act(engine, asset_id, "versions/1/reject")  # withdraws the published version
    unpublished = wait_event(receiver, asset_id, "asset.unpublished")
    assert public_item(engine, asset_id).status_code == 404
    assert not public_blob.exists()
    after = asset(engine, asset_id)
    assert (after["clearance"], after["public_ordinal"]) == ("public", None)
    assert (after["publication"]["kind"], after["publication"]["status"]) == (
        "unpublish",
        "succeeded",
    )
    assert unpublished["version_ordinal"] == 1

    # Version 2's STAC item is gone from the index before it is approved: its publish fails.
    second = dict(submission("outbound-withdraw"), request_id=f"withdraw-{uuid.uuid4().hex[:8]}")
    second["identifiers"]["version_id"] = "v2"
    response = engine.call("POST", "/api/platform/submit", json=second, headers=DDH_KEY)
    assert response.status_code == 202, response.text
    wait_until(
        lambda: receiver.types(asset_id).count("version.processing_completed") == 2,
        180,
        "version 2 processed",
    )
    item_id = asset(engine, asset_id)["versions"][1]["outputs"]["stac_item_id"]
    hide = "UPDATE stac_items SET item_id = %s WHERE collection = 'ddh' AND item_id = %s"
    sql(engine, hide, f"{item_id}-hidden", item_id)
    act(engine, asset_id, "versions/2/approve")
    failed = wait_event(receiver, asset_id, "asset.publication_failed")
    assert failed["version_ordinal"] == 2 and "not in the STAC index" in str(failed["error"])
    shown = asset(engine, asset_id)["publication"]
    assert (shown["kind"], shown["ordinal"], shown["status"]) == ("publish", 2, "failed")
    assert receiver.types(asset_id) == [
        "version.processing_completed",
        "version.approved",
        "asset.published",
        "version.rejected",
        "asset.unpublished",
        "version.processing_completed",
        "version.approved",
        "asset.publication_failed",
    ]
    assert "publication:retry" in asset(engine, asset_id)["actions"]

    # The cause mended, a reviewer retries: version 2 is published.
    sql(engine, hide, item_id, f"{item_id}-hidden")
    act(engine, asset_id, "publication/retry")
    wait_until(lambda: receiver.types(asset_id).count("asset.published") == 2, 60, "v2 published")
    published = [e for e in receiver.events(asset_id) if e["type"] == "asset.published"][-1]
    assert published["version_ordinal"] == 2
    shown = asset(engine, asset_id)
    assert (shown["publication"]["ordinal"], shown["publication"]["status"]) == (2, "succeeded")
    assert "publication:retry" not in shown["actions"]
    item = public_item(engine, asset_id)
    assert item.status_code == 200, item.text
    href = item.json()["item"]["assets"]["data"]["href"]
    assert blobs(engine).get_blob_client(PUBLIC, href.split(f"/{PUBLIC}/", 1)[1]).exists()
    again = engine.call(
        "POST", f"/api/assets/{asset_id}/publication/retry", json={}, headers=REVIEWER
    )
    assert again.status_code == 409 and "succeeded" in again.json()["error"], again.text


@pytest.fixture(scope="module")
def ddh_asset(engine: Engine) -> dict[str, Any]:
    """An asset of ddh (its job fails at once: no worker needed), with its request."""
    return submit(engine, "access-1", blob_path="ddh/none.tif")


def test_a_call_without_a_key_is_refused_with_401(engine, ddh_asset):
    response = httpx.get(f"{engine.url}/api/assets/{ddh_asset['asset_id']}", timeout=30)
    assert response.status_code == 401
    assert "x-dagmaster-key" in response.json()["error"]


def test_a_platform_reads_its_own_asset_and_request(engine, ddh_asset):
    asset = engine.call("GET", f"/api/assets/{ddh_asset['asset_id']}", headers=DDH_KEY)
    status = engine.call("GET", f"/api/platform/status/{ddh_asset['request_id']}", headers=DDH_KEY)
    assert (asset.status_code, status.status_code) == (200, 200)


def test_another_platform_cannot_read_the_asset_or_its_request(engine, ddh_asset):
    asset_id, request_id = ddh_asset["asset_id"], ddh_asset["request_id"]
    for path in (
        f"/api/assets/{asset_id}",
        f"/api/assets/{asset_id}/versions",
        f"/api/assets/{asset_id}/history",
        f"/api/assets/{asset_id}/deliveries",
        f"/api/platform/status/{request_id}",
    ):
        assert engine.call("GET", path, headers=HUB_KEY).status_code == 404, path


def test_another_platform_cannot_read_the_assets_job_which_its_own_platform_can(engine, ddh_asset):
    path = f"/api/jobs/{ddh_asset['job_id']}"
    assert engine.call("GET", path, headers=HUB_KEY).status_code == 404
    assert engine.call("GET", path, headers=DDH_KEY).status_code == 200
    listed = engine.call("GET", "/api/jobs", headers=HUB_KEY).json()["items"]
    assert ddh_asset["job_id"] not in {j["job_id"] for j in listed}


def test_another_platform_does_not_see_the_asset_in_listings(engine, ddh_asset):
    mine = engine.call("GET", "/api/assets", headers=HUB_KEY).json()["items"]
    theirs = engine.call("GET", "/api/assets?platform_id=ddh", headers=HUB_KEY).json()["items"]
    assert ddh_asset["asset_id"] not in {a["asset_id"] for a in mine + theirs}


def test_a_platform_cannot_submit_for_another_platform(engine):
    body = submission("access-2", blob_path="ddh/none.tif")
    response = engine.call("POST", "/api/platform/submit", json=body, headers=HUB_KEY)
    assert response.status_code == 403
    assert "cannot submit for 'ddh'" in response.json()["error"]


def test_platforms_cannot_approve_delete_or_retry_publishing_even_their_own_assets(
    engine, ddh_asset
):
    asset_id = ddh_asset["asset_id"]
    for key in (HUB_KEY, DDH_KEY):
        approve = engine.call(
            "POST", f"/api/assets/{asset_id}/versions/1/approve", json={"reason": "x"}, headers=key
        )
        delete = engine.call("DELETE", f"/api/assets/{asset_id}", json={"reason": "x"}, headers=key)
        retry = engine.call(
            "POST", f"/api/assets/{asset_id}/publication/retry", json={}, headers=key
        )
        assert (approve.status_code, delete.status_code, retry.status_code) == (403, 403, 403)
    asset = engine.call("GET", f"/api/assets/{asset_id}", headers=REVIEWER).json()
    assert asset["deleted"] is False


def test_the_reviewer_key_reads_every_platform(engine, ddh_asset):
    response = engine.call("GET", f"/api/assets/{ddh_asset['asset_id']}", headers=REVIEWER)
    assert response.status_code == 200
