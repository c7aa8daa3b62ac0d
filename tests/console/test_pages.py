"""The console's HTTP surface on devhost, without a browser: headers, redirects, refusals."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest

from adapters.catalog import JobCatalog, JobRecord
from application.workflows import find
from console.security import CSP
from domain.jobs import JobStartMessage
from domain.models import WorkflowDefinition
from domain.names import JOB_ORCHESTRATOR
from domain.snapshot import pin
from tests.support.postgres import pool_for

pytestmark = pytest.mark.slow


def _get(console, path: str, **kwargs) -> httpx.Response:
    return httpx.get(f"{console.url}{path}", timeout=30, follow_redirects=False, **kwargs)


def test_the_site_root_redirects_to_the_console(console):
    response = _get(console, "/")
    assert (response.status_code, response.headers["location"]) == (302, "/ui/")
    assert _get(console, "/not-a-page").status_code == 404


def test_pages_carry_a_restrictive_content_security_policy_and_no_inline_script(console):
    response = _get(console, "/ui/workflows/fan_out_test")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert "unsafe-inline" not in CSP and "default-src 'none'" in CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert re.findall(r"<script[^>]*>", response.text) == [
        '<script src="/ui/static/console.js" defer>'
    ]
    assert " style=" not in response.text  # inline styles would need 'unsafe-inline'


def test_a_cancel_post_without_the_form_token_is_refused_and_changes_nothing(console):
    job_id = console.submit("fan_out_test", {"numbers": [1, 2]})
    response = httpx.post(
        f"{console.url}/ui/jobs/{job_id}/cancel", data={"reason": "x"}, timeout=30
    )
    assert response.status_code == 403
    assert "form token" in response.text
    assert console.wait(job_id)["status"] == "completed"


def test_a_post_from_another_site_is_refused_even_with_a_token(console):
    def echo_jobs() -> int:
        return len(
            console.call("GET", "/api/jobs?workflow_id=echo_test&limit=1000").json()["items"]
        )

    before = echo_jobs()
    with httpx.Client(base_url=console.url, timeout=30) as client:
        page = client.get("/ui/workflows/echo_test")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
        response = client.post(
            "/ui/workflows/echo_test/submit",
            data={"csrf": token, "inputs.message": "hi"},
            headers={"Origin": "https://evil.example"},
        )
    assert response.status_code == 403
    assert echo_jobs() == before


def test_the_live_endpoint_answers_with_the_graph_state_only(console):
    job_id = console.submit("fan_out_test", {"numbers": list(range(20))})
    console.wait(job_id)
    response = _get(console, f"/ui/jobs/{job_id}/live")
    assert response.json() == {
        "status": "completed",
        "final": True,
        "nodes": dict.fromkeys(["start", "square", "collect", "total", "end"], "completed"),
        "children": {"square": {"completed": 20}},
    }
    assert len(response.content) < 400
    again = _get(
        console, f"/ui/jobs/{job_id}/live", headers={"If-None-Match": response.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")


def test_an_unknown_job_is_a_404_page_naming_it(console):
    response = _get(console, "/ui/jobs/no-such-job")
    assert response.status_code == 404
    assert "unknown job &#39;no-such-job&#39;" in response.text
    assert _get(console, "/ui/static/../function_app.py").status_code == 404


def test_a_job_pinned_to_an_edited_workflow_shows_the_definition_it_runs(console):
    shipped = find("echo_test")
    data = shipped.model_dump(mode="json")
    data["nodes"].insert(
        3, {"id": "extra", "type": "task", "handler": "echo", "depends_on": ["second"]}
    )
    data["nodes"][-1]["depends_on"] = ["extra"]
    edited = pin(WorkflowDefinition.model_validate(data), lambda w, v: find(w, v))
    job_id = uuid.uuid4().hex
    with pool_for(console.env["DATABASE_URL"]) as pool:
        JobCatalog(pool).create_job(
            JobRecord(
                job_id=job_id,
                workflow_id="echo_test",
                workflow_version=1,
                workflow_hash=edited.hash,
                inputs={"message": "hi"},
            )
        )
    start = JobStartMessage(job_id=job_id, workflow=edited, inputs={"message": "hi", "repeat": 1})
    started = console.call(
        "POST",
        f"/runtime/webhooks/durabletask/orchestrators/{JOB_ORCHESTRATOR}/{job_id}",
        json=start.model_dump(mode="json"),
    )
    assert started.status_code == 202, started.text
    assert console.wait(job_id)["status"] == "completed"
    page = _get(console, f"/ui/jobs/{job_id}")
    assert page.status_code == 200
    assert 'data-node-id="extra" data-status="completed"' in page.text


def test_the_node_panel_shows_a_large_output_by_its_blob_reference(console):
    job_id = console.submit("large_output_test", {"count": 40, "padding": 1000})
    assert console.wait(job_id, timeout=120)["status"] == "completed"
    panel = _get(console, f"/ui/jobs/{job_id}/nodes/plan")
    assert panel.status_code == 200
    assert "data-blob-ref" in panel.text
    assert f"dagmaster-outputs/{job_id}/plan/1.json" in panel.text
    assert "x" * 200 not in panel.text  # the stub, not the content


def test_the_node_panel_shows_the_workers_progress_and_a_fan_outs_children(console):
    job_id = console.submit("fan_out_test", {"numbers": [1, 2, 3]})
    console.wait(job_id)
    with pool_for(console.env["DATABASE_URL"]) as pool:
        JobCatalog(pool).update_node_progress(job_id, "square[1]", 1, 42.0, "band 2 of 4")
    child = _get(console, f"/ui/jobs/{job_id}/nodes/square%5B1%5D")
    assert "worker progress: 42.0 % — band 2 of 4" in child.text
    assert "a child of <code>square</code>" in child.text
    parent = _get(console, f"/ui/jobs/{job_id}/nodes/square")
    assert parent.text.count('data-node-link="square[') == 3


def test_the_durable_status_links_answer_for_the_job_and_all_its_instances(console):
    job_id = console.submit("wide_fan_out_test", {"items": list(range(150))})  # two batches
    console.wait(job_id, timeout=120)
    page = _get(console, f"/ui/jobs/{job_id}").text
    status_url = html.unescape(re.search(r'href="([^"]+)" data-durable-link', page)[1])
    instances_url = html.unescape(re.search(r'href="([^"]+)">all its instances', page)[1])
    status = httpx.get(status_url, timeout=30).json()
    assert (status["instanceId"], status["runtimeStatus"]) == (job_id, "Completed")
    assert "historyEvents" in status
    listed = {i["instanceId"] for i in httpx.get(instances_url, timeout=30).json()}
    assert listed == {job_id, f"{job_id}.each@0", f"{job_id}.each@1"}


def test_the_job_list_takes_the_apis_filters_and_names_a_bad_one(console):
    job_id = console.submit("echo_test", {"message": "filtered"})
    console.wait(job_id)
    found = _get(console, "/ui/jobs?status=completed&workflow_id=echo_test&created_from=2020-01-01")
    assert found.status_code == 200 and f'data-job-id="{job_id}"' in found.text
    empty = _get(console, "/ui/jobs?status=failed&workflow_id=echo_test&asset_id=")
    assert f'data-job-id="{job_id}"' not in empty.text
    bad = _get(console, "/ui/jobs?status=done")
    assert bad.status_code == 400 and "status" in bad.text
