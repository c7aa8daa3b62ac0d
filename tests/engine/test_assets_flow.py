"""The B2B asset flow end to end on devhost, with a real container worker, Azurite and the
catalog: submit → processing → completed → review → clearance, versions, history, the
entity (read through the Durable entity HTTP route) against the read model."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient

from dagmaster.demo import make_geotiff
from tests.engine.support import Engine
from tests.engine.workers import run_workers
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow

ANA = {"X-MS-CLIENT-PRINCIPAL-NAME": "ana@example.org"}
BEN = {"X-MS-CLIENT-PRINCIPAL-NAME": "ben@example.org"}


@pytest.fixture(scope="module")
def platform(engine: Engine, tmp_path_factory) -> Engine:
    """The engine with one worker and a source GeoTIFF at raw/ddh/rgb.tif."""
    path = tmp_path_factory.mktemp("raster") / "rgb.tif"
    make_geotiff(path)
    service = blobs(engine)
    for name in ("raw", "cogs"):
        if not service.get_container_client(name).exists():
            service.create_container(name)
    service.get_blob_client("raw", "ddh/rgb.tif").upload_blob(path.read_bytes(), overwrite=True)
    with run_workers(engine, tmp_path_factory.mktemp("workers")):
        yield engine


def blobs(engine: Engine) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(
        engine.env["DAGMASTER_STORAGE_CONNECTION_STRING"]
    )


def submission(dataset: str, version: str = "v1", **extra: Any) -> dict[str, Any]:
    return {
        "platform_id": "ddh",
        "request_id": f"{dataset}-{version}-{uuid.uuid4().hex[:8]}",
        "identifiers": {"dataset_id": dataset, "resource_id": "r1", "version_id": version},
        "data_type": "raster",
        "source": {"container": "raw", "blob_path": "ddh/rgb.tif"},
        "title": f"dataset {dataset}",
        **extra,
    }


def submit(engine: Engine, body: dict[str, Any]) -> dict[str, Any]:
    response = engine.call("POST", "/api/platform/submit", json=body)
    assert response.status_code == 202, response.text
    return dict(response.json())


def status(engine: Engine, request_id: str) -> dict[str, Any]:
    response = engine.call("GET", f"/api/platform/status/{request_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_processed(engine: Engine, request_id: str, timeout: float = 180) -> dict[str, Any]:
    """Poll the status until the version's processing is final; every status seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = status(engine, request_id)
        if not seen or seen[-1] != current["processing"]:
            seen.append(current["processing"])
        if current["processing"] in ("completed", "failed"):
            return {**current, "seen": seen}
        time.sleep(0.2)
    raise AssertionError(f"{request_id} not processed: {status(engine, request_id)}")


def act(
    engine: Engine, asset_id: str, path: str, reason: str, headers: dict[str, str] | None = None
) -> Any:
    return engine.call(
        "POST",
        f"/api/assets/{asset_id}/{path}",
        json={"reason": reason},
        headers=headers or ANA,
    )


def history(engine: Engine, asset_id: str) -> list[dict[str, Any]]:
    return list(engine.call("GET", f"/api/assets/{asset_id}/history").json()["items"])


def entity_state(engine: Engine, asset_id: str) -> dict[str, Any]:
    response = engine.call("GET", f"/runtime/webhooks/durabletask/entities/asset/{asset_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_entity_agrees_with_read_model(engine: Engine, asset_id: str) -> None:
    state = entity_state(engine, asset_id)
    asset = engine.call("GET", f"/api/assets/{asset_id}").json()
    assert (asset["revision"], asset["clearance"], asset["deleted"]) == (
        state["revision"],
        state["clearance"],
        state["deleted"],
    )
    keys = ("ordinal", "processing", "approval", "job_id", "outputs", "error")
    assert [{k: v[k] for k in keys} for v in asset["versions"]] == [
        {k: v[k] for k in keys} for v in state["versions"]
    ]
    assert [r["revision"] for r in history(engine, asset_id)] == list(
        range(1, state["revision"] + 1)
    )


@pytest.fixture(scope="module")
def reviewed(platform: Engine) -> dict[str, Any]:
    """DDH's dataset d1 through the whole flow; what the steps answered."""
    engine = platform
    first = submission("d1", "v1")
    accepted = submit(engine, first)
    asset_id = accepted["asset_id"]
    processed = wait_processed(engine, first["request_id"])
    steps = {"accepted": accepted, "processed": processed}
    steps["approve"] = act(engine, asset_id, "versions/1/approve", "colours check out")
    steps["cleared"] = act(engine, asset_id, "clearance/cleared", "licence ok", BEN)
    steps["public"] = act(engine, asset_id, "clearance/public", "release", BEN)
    second = submission("d1", "v2")
    steps["second"] = submit(engine, second)
    steps["second_processed"] = wait_processed(engine, second["request_id"])
    steps["third"] = engine.call("POST", "/api/platform/submit", json=submission("d1", "v3"))
    steps["reject"] = act(engine, asset_id, "versions/2/reject", "wrong band order")
    return {"asset_id": asset_id, "request_id": first["request_id"], **steps}


def test_submission_is_accepted_as_version_1_with_its_job(reviewed):
    accepted = reviewed["accepted"]
    assert accepted["status"] == "accepted"
    assert accepted["version_ordinal"] == 1
    assert accepted["asset_id"].startswith("ddh-")
    assert accepted["links"]["status"].endswith(f"/api/platform/status/{reviewed['request_id']}")


def test_status_moves_to_completed_with_the_stac_item_and_cog_in_outputs(reviewed, platform):
    processed = reviewed["processed"]
    assert processed["seen"][-1] == "completed"
    assert set(processed["seen"]) <= {"queued", "processing", "completed"}
    assert processed["job_status"] == "completed"
    outputs = processed["outputs"]
    assert outputs["stac_item_id"] == processed["job_id"]
    assert outputs["cog_href"].endswith(f"/cogs/{processed['job_id']}/cog.tif")
    assert outputs["stac_collection"] == "ddh"  # the registry's fixed input
    actions = [r["action"] for r in history(platform, reviewed["asset_id"])]
    assert actions[:3] == ["submitted", "processing_started", "processing_completed"]


def test_approve_then_cleared_then_public_publishes_version_1(reviewed, platform):
    for step in ("approve", "cleared", "public"):
        assert reviewed[step].status_code == 200, reviewed[step].text
    latest = platform.call("GET", f"/api/assets/{reviewed['asset_id']}/versions/latest").json()
    assert (latest["ordinal"], latest["approval"], latest["reviewed_by"]) == (
        1,
        "approved",
        "ana@example.org",
    )
    asset = platform.call("GET", f"/api/assets/{reviewed['asset_id']}").json()
    assert (asset["clearance"], asset["public_ordinal"]) == ("public", 1)


def test_a_second_submission_becomes_version_2_and_is_rejected(reviewed, platform):
    assert reviewed["second"]["asset_id"] == reviewed["asset_id"]
    assert reviewed["second"]["version_ordinal"] == 2
    assert reviewed["second_processed"]["processing"] == "completed"
    assert reviewed["reject"].status_code == 200, reviewed["reject"].text
    version = platform.call("GET", f"/api/assets/{reviewed['asset_id']}/versions/2").json()
    assert (version["version_label"], version["approval"]) == ("v2", "rejected")
    assert version["review_reason"] == "wrong band order"


def test_a_submission_while_a_version_awaits_review_is_refused_naming_it(reviewed):
    refused = reviewed["third"]
    assert refused.status_code == 409
    body = refused.json()
    assert "unresolved version 2" in body["error"]
    assert body["current"]["unresolved_version"] == 2
    assert "submit" not in body["allowed"]


def test_history_shows_every_step_with_who_and_why(reviewed, platform):
    items = history(platform, reviewed["asset_id"])
    reviews = [(r["action"], r["by"], r["reason"]) for r in items if r["by"] != "dagmaster"]
    assert reviews == [
        ("submitted", "platform:ddh", None),
        ("approved", "ana@example.org", "colours check out"),
        ("cleared", "ben@example.org", "licence ok"),
        ("published", "ben@example.org", "release"),
        ("submitted", "platform:ddh", None),
        ("rejected", "ana@example.org", "wrong band order"),
    ]
    assert all(r["at"] for r in items)
    # devhost runs open: each request's credential is "open"; dagmaster's own reports none.
    vias = {(r["by"] == "dagmaster", r["via"]) for r in items}
    assert vias == {(False, "open"), (True, None)}


def test_entity_state_over_the_durable_http_route_agrees_with_the_read_model(reviewed, platform):
    assert_entity_agrees_with_read_model(platform, reviewed["asset_id"])


def test_refused_transition_answers_409_naming_the_state_and_what_is_allowed(reviewed, platform):
    response = act(platform, reviewed["asset_id"], "versions/2/approve", "changed my mind")
    assert response.status_code == 409
    body = response.json()
    assert "approval rejected" in body["error"]
    assert body["current"]["version"] == {
        "ordinal": 2,
        "processing": "completed",
        "approval": "rejected",
    }
    assert body["allowed"] == []


def test_duplicate_and_concurrent_submissions_of_one_request_create_one_version(platform):
    body = submission("d2")
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: platform.call("POST", "/api/platform/submit", json=body), range(8))
        )
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    assert len({(a.json()["version_ordinal"], a.json()["job_id"]) for a in answers}) == 1
    again = submit(platform, body)
    assert again == answers[0].json()
    asset = platform.call("GET", f"/api/assets/{again['asset_id']}").json()
    assert [v["ordinal"] for v in asset["versions"]] == [1]
    jobs = platform.call("GET", "/api/jobs", params={"asset_id": again["asset_id"]}).json()
    assert [j["job_id"] for j in jobs["items"]] == [again["job_id"]]
    wait_processed(platform, body["request_id"])


NO_WORKER = {"source": {"container": "raw", "blob_path": "ddh/absent.tif"}}  # fails in validate


def test_the_same_request_id_with_another_body_is_a_conflict(platform):
    body = submission("d3", **NO_WORKER)
    submit(platform, body)
    response = platform.call("POST", "/api/platform/submit", json={**body, "title": "other"})
    assert response.status_code == 409
    assert "different body" in response.json()["error"]


def test_a_failed_job_marks_its_version_failed_and_reprocess_runs_a_new_job(platform):
    service = blobs(platform)
    service.get_blob_client("raw", "ddh/broken.tif").upload_blob(b"not a tiff", overwrite=True)
    body = submission("d4", source={"container": "raw", "blob_path": "ddh/broken.tif"})
    accepted = submit(platform, body)
    failed = wait_processed(platform, body["request_id"])
    assert (failed["processing"], failed["job_status"]) == ("failed", "failed")
    assert failed["error"]["message"]

    good = service.get_blob_client("raw", "ddh/rgb.tif").download_blob().readall()
    service.get_blob_client("raw", "ddh/broken.tif").upload_blob(good, overwrite=True)
    # GDAL's /vsicurl/ cache in the activity process is keyed by URL and outlives the call;
    # the SAS URL changes each second (its expiry), so only then is the new content read.
    time.sleep(1.5)
    response = act(platform, accepted["asset_id"], "versions/1/reprocess", "source fixed")
    assert response.status_code == 200, response.text
    new_job = response.json()["result"]["job_id"]
    assert new_job != accepted["job_id"]
    done = wait_processed(platform, body["request_id"])
    assert (done["processing"], done["job_id"], done["error"]) == ("completed", new_job, None)
    version = platform.call("GET", f"/api/assets/{accepted['asset_id']}/versions/1").json()
    assert version["jobs"] == [accepted["job_id"], new_job]


def test_twenty_concurrent_commands_on_one_asset_serialise_without_lost_updates(reviewed, platform):
    asset_id = reviewed["asset_id"]
    before = entity_state(platform, asset_id)["revision"]
    targets = ["clearance/cleared", "clearance/public"] * 10
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda path: act(platform, asset_id, path, "toggle"), targets))
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    applied = sorted(a.json()["revision"] for a in answers if a.status_code == 200)
    assert applied, "at least the first cleared (from public) applies"
    # The publish and unpublish jobs the toggles start report their ends as revisions too.
    wait_until(
        lambda: (
            (entity_state(platform, asset_id).get("publication") or {}).get("status") != "running"
        ),
        120,
        "the asset's publication jobs to end",
    )
    state = entity_state(platform, asset_id)
    after = [r for r in history(platform, asset_id) if r["revision"] > before]
    assert [r["revision"] for r in after] == list(range(before + 1, state["revision"] + 1))
    assert [r["revision"] for r in after if r["reason"] == "toggle"] == applied  # no lost one
    assert {r["action"] for r in after if r["reason"] != "toggle"} <= {
        "publication_succeeded",
        "publication_superseded",
        "publication_failed",
    }
    assert_entity_agrees_with_read_model(platform, asset_id)


def test_bad_submissions_answer_400_naming_every_bad_field(platform):
    body = submission("d5", data_type="pointcloud")
    body["identifiers"] = {"dataset_id": "d5"}
    response = platform.call("POST", "/api/platform/submit", json=body)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"identifiers.resource_id", "data_type"}

    unknown = platform.call(
        "POST", "/api/platform/submit", json={**submission("d5"), "platform_id": "nope"}
    )
    assert "unknown platform 'nope'" in unknown.json()["fields"]["platform_id"]
    strict = submission("d5", title=5)
    strict["identifiers"]["resource_id"] = 7
    response = platform.call("POST", "/api/platform/submit", json=strict)
    assert response.status_code == 400
    assert {"title", "identifiers.resource_id"} <= set(response.json()["fields"])


def test_reviewer_needs_a_principal_or_by_and_by_cannot_contradict_the_principal(
    reviewed, platform
):
    path = f"/api/assets/{reviewed['asset_id']}/versions/9/approve"
    nobody = platform.call("POST", path, json={"reason": "x"})
    assert nobody.status_code == 400 and "by" in nobody.json()["fields"]
    contradicts = platform.call("POST", path, json={"reason": "x", "by": "eve"}, headers=ANA)
    assert contradicts.status_code == 400 and "by" in contradicts.json()["fields"]
    by_body = platform.call("POST", path, json={"reason": "x", "by": "carl"})
    assert by_body.status_code == 404  # accepted who, then: no version 9


def test_listing_filters_strictly_and_pages(reviewed, platform):
    listed = platform.call(
        "GET", "/api/assets", params={"platform_id": "ddh", "approval": "rejected"}
    )
    assert reviewed["asset_id"] in [a["asset_id"] for a in listed.json()["items"]]
    assert platform.call("GET", "/api/assets", params={"deleted": "maybe"}).status_code == 400
    assert platform.call("GET", "/api/assets", params={"clearance": "secret"}).status_code == 400
    first = platform.call("GET", "/api/assets", params={"limit": 1}).json()
    rest = platform.call(
        "GET", "/api/assets", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert first["items"][0]["asset_id"] != rest["items"][0]["asset_id"]


def test_after_a_soft_delete_only_reads_work(platform):
    body = submission("d6", **NO_WORKER)
    asset_id = submit(platform, body)["asset_id"]
    deleted = platform.call(
        "DELETE", f"/api/assets/{asset_id}", json={"reason": "withdrawn"}, headers=ANA
    )
    assert deleted.status_code == 200, deleted.text
    again = act(platform, asset_id, "versions/1/approve", "too late")
    assert again.status_code == 409 and "deleted" in again.json()["error"]
    asset = platform.call("GET", f"/api/assets/{asset_id}").json()
    assert (asset["deleted"], asset["clearance"]) == (True, "uncleared")


def test_platform_registry_is_served(platform):
    items = platform.call("GET", "/api/platforms").json()["items"]
    ddh = next(p for p in items if p["platform_id"] == "ddh")
    assert ddh["identity"] == ["dataset_id", "resource_id"]
    assert platform.call("GET", "/api/platforms/ddh").json()["version_label"] == "version_id"
    assert platform.call("GET", "/api/platforms/nope").status_code == 404


def test_an_asset_id_dagmaster_cannot_have_made_is_404_without_reaching_an_entity(platform):
    for path in ("/api/assets/@x@y", "/api/assets/ddh-1/history"):
        response = platform.call("GET", path)
        assert response.status_code == 404 and "unknown asset" in response.json()["error"]
    response = act(platform, "not-ours%23", "versions/1/approve", "x")
    assert response.status_code == 404


def _matches(document: dict, method: str, template: str, response) -> None:
    from jsonschema import Draft202012Validator

    op = document["paths"][template][method]
    content = op["responses"][str(response.status_code)]["content"]["application/json"]
    schema = {**content["schema"], "components": document["components"]}
    Draft202012Validator(schema).validate(response.json())


def test_answers_about_a_real_asset_match_their_openapi_schemas(reviewed, platform):
    """schemathesis cannot guess an asset id: these answers are checked with one that exists."""
    document = platform.call("GET", "/api/openapi.json").json()
    asset = f"/api/assets/{reviewed['asset_id']}"
    for template, path in [
        ("/api/assets", "/api/assets"),
        ("/api/assets/{asset_id}", asset),
        ("/api/assets/{asset_id}/versions", f"{asset}/versions"),
        ("/api/assets/{asset_id}/versions/{ordinal}", f"{asset}/versions/1"),
        ("/api/assets/{asset_id}/history", f"{asset}/history"),
        ("/api/platform/status/{request_id}", f"/api/platform/status/{reviewed['request_id']}"),
        ("/api/platforms", "/api/platforms"),
        ("/api/platforms/{platform_id}", "/api/platforms/ddh"),
    ]:
        response = platform.call("GET", path)
        assert response.status_code == 200, (path, response.text)
        _matches(document, "get", template, response)
    _matches(
        document, "post", "/api/assets/{asset_id}/versions/{ordinal}/approve", reviewed["approve"]
    )
    _matches(
        document,
        "post",
        "/api/assets/{asset_id}/versions/{ordinal}/approve",
        act(platform, reviewed["asset_id"], "versions/1/approve", "again"),
    )
    submitted = platform.call("POST", "/api/platform/submit", json=submission("d9", **NO_WORKER))
    _matches(document, "post", "/api/platform/submit", submitted)


def test_a_devhost_killed_mid_flow_loses_nothing_and_duplicates_nothing(platform):
    """Last in the module: it restarts the shared devhost."""
    body = submission("d7")
    accepted = submit(platform, body)
    platform.host.kill()  # SIGKILL while the version's job runs
    platform.host.restart()
    done = wait_processed(platform, body["request_id"])
    assert done["processing"] == "completed"
    asset_id = accepted["asset_id"]
    assert [
        v["ordinal"] for v in platform.call("GET", f"/api/assets/{asset_id}").json()["versions"]
    ] == [1]
    jobs = platform.call("GET", "/api/jobs", params={"asset_id": asset_id}).json()["items"]
    assert [j["job_id"] for j in jobs] == [accepted["job_id"]]
    actions = [r["action"] for r in history(platform, asset_id)]
    assert actions == ["submitted", "processing_started", "processing_completed"]
    assert submit(platform, body) == accepted
    assert_entity_agrees_with_read_model(platform, asset_id)


def test_links_ignore_the_request_host_header(platform):
    response = platform.call(
        "POST",
        "/api/platform/submit",
        json=submission("d8", **NO_WORKER),
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 202, response.text
    links = response.json()["links"]
    assert links and all(link.startswith(platform.url) for link in links.values()), links
