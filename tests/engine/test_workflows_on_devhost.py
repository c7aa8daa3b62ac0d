"""The engine on devhost, behaviour by behaviour: routing, retries, timeouts, approvals,
cancel, and bad submissions."""

import pytest

from tests.support.polling import wait_until


def kinds(timeline, node_id=None):
    return [
        (e["kind"], e["attempt"]) for e in timeline if node_id is None or e["node_id"] == node_id
    ]


def test_fan_out_test_collects_and_sums(engine):
    job = engine.wait(engine.submit("fan_out_test", {"numbers": [1, 2, 3, 4]}))
    assert job["output"]["result"] == {"squares": [1, 4, 9, 16], "sum": 30}


@pytest.mark.parametrize(("size", "path"), [(5_000_000, "large"), (10, "small")])
def test_size_routing_takes_each_branch(engine, size, path):
    job_id = engine.submit("size_routing", {"size_bytes": size})
    job = engine.wait(job_id)
    assert job["output"]["result"] == {"route": path}
    other = "small" if path == "large" else "large"
    assert engine.nodes(job_id)[other]["status"] == "skipped"


def test_retries_back_off_and_every_attempt_is_on_the_timeline(engine):
    job_id = engine.submit("retry_test", {"fail_first": 2})
    job = engine.wait(job_id)
    assert job["status"] == "completed"
    assert job["output"]["result"]["flaky"]["attempt"] == 3
    flaky = [e for e in engine.timeline(job_id) if e["node_id"] == "flaky"]
    assert [(e["kind"], e["attempt"]) for e in flaky] == [
        ("node.ready", None),
        ("node.dispatched", 1),
        ("node.retrying", 1),
        ("node.dispatched", 2),
        ("node.retrying", 2),
        ("node.dispatched", 3),
        ("node.completed", 3),
    ]
    waits = [e["data"]["delay_seconds"] for e in flaky if e["kind"] == "node.retrying"]
    assert waits == [1.0, 2.0]
    assert "attempt 1 fails on purpose" in flaky[2]["data"]["error"]["message"]


def test_node_timeout_counts_as_a_failed_attempt(engine):
    job_id = engine.submit("timeouts_test")
    job = engine.wait(job_id)
    assert job["status"] == "failed"
    slow = kinds(engine.timeline(job_id), "slow")
    assert slow[-3:] == [("node.retrying", 1), ("node.dispatched", 2), ("node.timed_out", 2)]
    assert "timed out after 1s" in job["error"]["message"]


def test_job_timeout_fails_the_job(engine):
    job = engine.wait(engine.submit("job_timeout_test"))
    assert job["status"] == "failed"
    assert job["error"]["kind"] == "job_timeout"


def test_durable_status_of_a_failed_job_is_failed_with_the_reason(engine):
    job_id = engine.submit("job_timeout_test")
    engine.wait(job_id)
    status = wait_until(
        lambda: (s := engine.durable_status(job_id))["runtimeStatus"] != "Running" and s,
        10,
        "the orchestration to end",
    )
    assert status["runtimeStatus"] == "Failed"
    assert "exceeded its timeout" in str(status["output"])


def test_cancel_mid_run_ends_cancelled_with_a_complete_timeline(engine):
    job_id = engine.submit("cancel_test")
    engine.wait(job_id, until={"running"})
    response = engine.call("POST", f"/api/jobs/{job_id}/cancel", json={"by": "ops", "reason": "x"})
    assert response.status_code == 202
    job = engine.wait(job_id)
    assert job["status"] == "cancelled"
    timeline = engine.timeline(job_id)
    assert timeline[-1]["kind"] == "job.cancelled"
    assert ("node.cancelled", 1) in kinds(timeline, "wait")
    assert [e["seq"] for e in timeline] == list(range(len(timeline)))


def test_cancel_of_a_finished_job_is_a_conflict(engine):
    job_id = engine.submit("echo_test", {"message": "x"})
    engine.wait(job_id)
    response = engine.call("POST", f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 409
    assert "already completed" in response.json()["error"]


def test_approval_approved_lets_the_job_finish(engine):
    job_id = engine.submit("approval_test")
    engine.wait(job_id, until={"running"})
    response = engine.call(
        "POST", f"/api/jobs/{job_id}/approve/review", json={"by": "ana", "reason": "looks right"}
    )
    assert response.status_code == 202, response.text
    job = engine.wait(job_id)
    assert job["status"] == "completed", job
    assert job["output"]["result"] == {"approved_by": "ana"}


def test_a_job_waiting_for_approval_shows_the_earlier_node_done_and_the_approval_waiting(engine):
    job_id = engine.submit("approval_test")

    def waiting() -> dict | None:
        nodes = engine.nodes(job_id)
        return nodes if nodes.get("review", {}).get("status") == "waiting" else None

    nodes = wait_until(waiting, 20, lambda: f"review waiting: {engine.nodes(job_id)}")
    assert nodes["prepare"]["status"] == "completed"
    timeline = [(e["kind"], e["node_id"]) for e in engine.timeline(job_id)]
    assert timeline[-2:] == [("node.ready", "review"), ("node.waiting", "review")]
    assert ("node.completed", "prepare") in timeline
    live = engine.call("GET", f"/ui/jobs/{job_id}/live").json()  # the console's job page
    assert (live["nodes"]["prepare"], live["nodes"]["review"]) == ("completed", "waiting")
    assert engine.job(job_id)["progress"]["running"] == ["review"]


def test_approval_not_given_in_time_times_out(engine):
    job = engine.wait(engine.submit("approval_timeout_test"))
    assert job["status"] == "failed"
    assert "review" in job["error"]["message"] and "timed out" in job["error"]["message"]


def test_approve_of_a_finished_approval_is_a_conflict(engine):
    job_id = engine.submit("approval_timeout_test")
    engine.wait(job_id)
    response = engine.call("POST", f"/api/jobs/{job_id}/approve/review", json={"by": "ana"})
    assert response.status_code == 409


def test_approve_without_who_is_a_400(engine):
    job_id = engine.submit("approval_test")
    response = engine.call("POST", f"/api/jobs/{job_id}/approve/review", json={})
    assert response.status_code == 400
    assert response.json()["fields"] == {"by": "Field required"}


def test_approve_of_a_non_approval_node_is_a_conflict(engine):
    job_id = engine.submit("approval_test")
    response = engine.call("POST", f"/api/jobs/{job_id}/approve/prepare", json={"by": "ana"})
    assert response.status_code == 409
    assert "not an approval" in response.json()["error"]


def test_unknown_workflow_is_rejected_and_nothing_starts(engine):
    before = engine.call("GET", "/api/jobs").json()["items"]
    response = engine.call("POST", "/api/jobs", json={"workflow_id": "nope", "inputs": {}})
    assert response.status_code == 404
    assert "unknown workflow 'nope'" in response.json()["error"]
    assert engine.call("GET", "/api/jobs").json()["items"] == before


def test_missing_and_mistyped_inputs_are_rejected_with_each_field(engine):
    response = engine.call(
        "POST",
        "/api/jobs",
        json={"workflow_id": "size_routing", "inputs": {"threshold_bytes": "big"}},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "inputs.size_bytes": "required integer input is missing",
        "inputs.threshold_bytes": "expected integer, got string 'big'",
    }


def test_malformed_json_is_a_400(engine):
    response = engine.call("POST", "/api/jobs", content=b"{not json")
    assert response.status_code == 400
    assert "malformed JSON body" in response.json()["error"]


def test_same_request_id_returns_the_same_job(engine):
    body = {"workflow_id": "echo_test", "inputs": {"message": "once"}, "request_id": "req-42"}
    first = engine.call("POST", "/api/jobs", json=body).json()["job_id"]
    second = engine.call("POST", "/api/jobs", json=body).json()["job_id"]
    assert first == second
    engine.wait(first)


def test_unknown_job_is_a_404(engine):
    response = engine.call("GET", "/api/jobs/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"error": "unknown job 'does-not-exist'"}


def test_workflows_are_listed_with_their_mermaid_graph(engine):
    items = engine.call("GET", "/api/workflows").json()["items"]
    assert "echo_test" in {w["workflow_id"] for w in items}
    detail = engine.call("GET", "/api/workflows/size_routing").json()
    assert detail["mermaid"].startswith("flowchart TD")


def test_probes_answer(engine):
    assert engine.call("GET", "/api/livez").json() == {"status": "ok"}
    ready = engine.call("GET", "/api/readyz")
    assert ready.status_code == 200, ready.text


def test_cancel_of_a_job_whose_instance_was_terminated_and_purged_is_not_a_500(engine):
    job_id = engine.submit("cancel_test")
    engine.wait(job_id, until={"running"})
    instance = f"/runtime/webhooks/durabletask/instances/{job_id}"
    assert engine.call("POST", f"{instance}/terminate?reason=test").status_code == 202
    for _ in range(100):
        if engine.durable_status(job_id).get("runtimeStatus") == "Terminated":
            break
    assert engine.call("DELETE", instance).status_code == 200
    response = engine.call("POST", f"/api/jobs/{job_id}/cancel", json={"by": "ops"})
    # 404 while the catalog still says running; 409 once it has learned the instance ended
    assert response.status_code in {404, 409}, response.text
    assert job_id in response.json()["error"]
