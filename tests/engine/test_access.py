"""Access on the product app: links never from the request's Host, containers checked on
submit, a Durable terminate reaching the catalog, a broken workflow file reported at
start-up while the others keep working."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.engine.support import REPO, TEST_WORKFLOWS, Engine, run_engine
from tests.support.polling import wait_until
from tests.support.postgres import fresh_catalog

pytestmark = pytest.mark.slow
BROKEN = """\
workflow_id: broken
version: 1
nodes:
  - {id: start, type: start}
  - {id: end, type: end, depends_on: [nowhere]}
"""


@pytest.fixture(scope="module")
def engine(azurite, embedded_pg, tmp_path_factory) -> Iterator[Engine]:
    """The app with keys required, a broken workflow file beside the shipped ones, and a
    reconciler that runs every second."""
    data_dir = tmp_path_factory.mktemp("engine-access")
    broken_dir = data_dir / "broken-workflows"
    broken_dir.mkdir()
    (broken_dir / "broken.yaml").write_text(BROKEN)
    folders = [str(REPO / "workflows"), str(TEST_WORKFLOWS), str(broken_dir)]
    env = {
        "DAGMASTER_WORKFLOWS_DIR": os.pathsep.join(folders),
        "DAGMASTER_RECONCILE_SCHEDULE": "*/1 * * * * *",
    }
    with (
        fresh_catalog(embedded_pg) as db,
        run_engine(azurite, db.url, data_dir, env, require_keys=True) as running,
    ):
        yield running


def _jobs(engine: Engine) -> list[str]:
    return [j["job_id"] for j in engine.call("GET", "/api/jobs").json()["items"]]


def test_links_ignore_the_request_host_header(engine: Engine) -> None:
    evil = {"Host": "evil.example"}
    body = {"workflow_id": "echo_test", "inputs": {"message": "hi"}}
    response = engine.call("POST", "/api/jobs", json=body, headers=evil)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert response.headers["Location"] == f"{engine.url}/api/jobs/{job_id}"
    assert all(link.startswith(engine.url) for link in response.json()["links"].values())
    job = engine.call("GET", f"/api/jobs/{job_id}", headers=evil).json()
    assert job["links"]["self"] == f"{engine.url}/api/jobs/{job_id}"
    engine.wait(job_id)


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"container": "dagmaster-outputs"}, "inputs.container"),
        ({"container": "secrets"}, "inputs.container"),
        ({"container": "raw", "output_container": "raw"}, "inputs.output_container"),
        ({"container": "raw", "output_container": "dagmaster-payloads"}, "inputs.output_container"),
    ],
)
def test_submit_refuses_a_container_not_allowed_for_its_purpose(
    engine: Engine, inputs: dict[str, str], field: str
) -> None:
    before = _jobs(engine)
    body = {"workflow_id": "raster_ingest", "inputs": {"blob_path": "a.tif", **inputs}}
    response = engine.call("POST", "/api/jobs", json=body)
    assert response.status_code == 400, response.text
    assert list(response.json()["fields"]) == [field]
    assert "is not an allowed" in response.json()["fields"][field]
    assert _jobs(engine) == before


def test_a_durable_terminate_ends_the_job_in_the_catalog(engine: Engine) -> None:
    job_id = engine.submit("approval_test")
    wait_until(lambda: "prepare" in engine.nodes(job_id), 30, "a node in the catalog")
    terminate = engine.call(
        "POST",
        f"/runtime/webhooks/durabletask/instances/{job_id}/terminate",
        params={"reason": "stopped by ops"},
    )
    assert terminate.status_code == 202
    job = engine.wait(job_id, timeout=30)
    assert job["status"] == "cancelled"
    last = engine.timeline(job_id)[-1]
    assert last["kind"] == "job.cancelled"
    assert last["data"] == {
        "by": "durable",
        "reason": "the Durable instance was terminated: stopped by ops",
    }
    nodes = engine.nodes(job_id)
    unfinished = {n: v["status"] for n, v in nodes.items() if v["status"] != "completed"}
    assert unfinished and set(unfinished.values()) == {"cancelled"}


def test_a_broken_workflow_file_is_reported_at_start_up(engine: Engine) -> None:
    wait_until(lambda: "workflow not loaded" in engine.host.log_text(), 10, "the start-up log")
    assert "broken.yaml:5: node 'end':" in engine.host.log_text()


def test_readyz_lists_the_broken_file_without_connection_details(engine: Engine) -> None:
    response = httpx.get(f"{engine.url}/api/readyz", timeout=30)  # anonymous
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["storage"] == {"ok": True}
    assert checks["workflows"]["ok"] is False
    assert any("broken.yaml:5" in e for e in checks["workflows"]["errors"])
    assert "postgres" not in response.text and "dagmaster_test" not in response.text


def test_valid_workflows_run_beside_the_broken_file(engine: Engine) -> None:
    names = {w["workflow_id"] for w in engine.call("GET", "/api/workflows").json()["items"]}
    assert "echo_test" in names and "broken" not in names
    assert engine.wait(engine.submit("echo_test", {"message": "x"}))["status"] == "completed"


def test_the_api_never_hands_out_the_system_key(engine: Engine) -> None:
    keys = engine.host.keys()
    caller = {"x-functions-key": keys["function_default"]}
    body = {"workflow_id": "echo_test", "inputs": {"message": "who"}}
    submitted = engine.call("POST", "/api/jobs", json=body, headers=caller)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]
    engine.wait(job_id)
    paths = ["", "/nodes", "/timeline"]
    answers = [submitted] + [
        engine.call("GET", f"/api/jobs/{job_id}{p}", headers=caller) for p in paths
    ]
    for answer in answers:
        assert answer.status_code in (200, 202)
        assert keys["durable_system"] not in answer.text + str(answer.headers)
    management = f"/runtime/webhooks/durabletask/instances/{job_id}"
    assert engine.call("GET", management, headers=caller).status_code == 401
