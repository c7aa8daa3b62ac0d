"""Sub-workflows and fan-out batches are child orchestrations: they get the parent's asset,
their inputs are checked, and they stop when the parent job ends early."""

from tests.support.polling import wait_until

ITEMS = list(range(120))  # two batches (100 + 20), each far too slow to finish on its own


def wait_durable(engine, instance_id, statuses, timeout=30.0):
    def reached():
        response = engine.call("GET", f"/runtime/webhooks/durabletask/instances/{instance_id}")
        status = response.json() if response.status_code < 300 else {}
        return status if status.get("runtimeStatus") in statuses else None

    return wait_until(reached, timeout, f"{instance_id} {statuses}", interval=0.2)


def test_sub_workflow_runs_with_its_default_inputs_filled_in(engine):
    job = engine.wait(engine.submit("sub_workflow_test", {"message": "hi"}))
    assert job["status"] == "completed", job
    assert job["output"]["result"] == {"message": "echo of hi", "repeat": 1}


def test_sub_workflow_job_belongs_to_the_parents_asset(engine):
    job_id = engine.submit("sub_workflow_test", {"message": "hi"}, asset_id="asset-7")
    engine.wait(job_id)
    children = engine.call("GET", "/api/jobs", params={"asset_id": "asset-7"}).json()["items"]
    assert {c["job_id"] for c in children} == {job_id, f"{job_id}.child.1"}


def test_sub_workflow_with_mistyped_inputs_fails_the_node_naming_the_field(engine):
    job_id = engine.submit("sub_workflow_bad_inputs_test")
    job = engine.wait(job_id)
    assert job["status"] == "failed"
    node = engine.nodes(job_id)["child"]
    assert node["error"]["kind"] == "invalid_inputs"
    assert "inputs.message: expected string, got integer 42" in node["error"]["message"]
    child = engine.call("GET", f"/runtime/webhooks/durabletask/instances/{job_id}.child.1")
    assert child.status_code == 404  # never started


def test_cancelling_a_job_stops_its_running_sub_workflow(engine):
    job_id = engine.submit("sub_workflow_cancel_test")
    child_id = f"{job_id}.child.1"
    wait_durable(engine, child_id, {"Running"})
    response = engine.call("POST", f"/api/jobs/{job_id}/cancel", json={"by": "ops"})
    assert response.status_code == 202
    assert engine.wait(job_id)["status"] == "cancelled"
    child = engine.wait(child_id)
    assert child["status"] == "cancelled"


def test_cancelling_a_wide_fan_out_stops_its_batches(engine):
    job_id = engine.submit("wide_cancel_test", {"items": ITEMS, "seconds": 0.5})
    batches = [f"{job_id}.each@0", f"{job_id}.each@1"]
    for batch in batches:
        wait_durable(engine, batch, {"Running"})
    engine.call("POST", f"/api/jobs/{job_id}/cancel", json={"by": "ops", "reason": "enough"})
    assert engine.wait(job_id)["status"] == "cancelled"
    for batch in batches:
        outcomes = wait_durable(engine, batch, {"Completed"}, timeout=15)["output"]["outcomes"]
        assert "cancelled" in {o["status"] for o in outcomes}
    nodes = engine.nodes(job_id)
    assert {nodes[f"each[{i}]"]["status"] for i in ITEMS} <= {"completed", "cancelled"}


def test_progress_counts_children_finished_inside_a_running_batch(engine):
    job_id = engine.submit("wide_cancel_test", {"items": ITEMS, "seconds": 0.2})

    def four_completed():
        progress = engine.job(job_id)["progress"] or {}
        return progress if progress.get("counts", {}).get("completed", 0) >= 4 else None

    progress = wait_until(four_completed, 30, "4 children completed", interval=0.2)
    batch = engine.durable_status(f"{job_id}.each@0")
    engine.call("POST", f"/api/jobs/{job_id}/cancel", json={"by": "test"})
    assert batch["runtimeStatus"] == "Running"  # no batch had returned to the parent
    assert progress["counts"]["completed"] >= 4, progress
    assert sum(progress["counts"].values()) == len(ITEMS) + 3  # start, each, end + children
    assert 0 < progress["percent"] < 100
    assert any(n.startswith("each[") for n in progress["running"])


def test_a_cancelled_wide_fan_out_counts_only_the_children_it_cancelled(engine):
    job_id = engine.submit("wide_cancel_test", {"items": ITEMS, "seconds": 0.2})

    def five_completed():
        counts = (engine.job(job_id)["progress"] or {}).get("counts", {})
        return counts.get("completed", 0) >= 5

    wait_until(five_completed, 30, "5 children completed", interval=0.2)
    engine.call("POST", f"/api/jobs/{job_id}/cancel", json={"by": "ops"})
    assert engine.wait(job_id)["status"] == "cancelled"
    for batch in (f"{job_id}.each@0", f"{job_id}.each@1"):
        wait_durable(engine, batch, {"Completed"}, timeout=15)
    ends: dict[str, list[str]] = {}
    for event in engine.timeline(job_id):
        if (
            event["node_id"]
            and event["node_id"].startswith("each[")
            and event["kind"]
            in {
                "node.completed",
                "node.cancelled",
            }
        ):
            ends.setdefault(event["node_id"], []).append(event["kind"])
    assert all(len(kinds) == 1 for kinds in ends.values()), ends  # never completed and cancelled
    completed = sum(kinds == ["node.completed"] for kinds in ends.values())
    assert completed >= 2
    assert sum(kinds == ["node.cancelled"] for kinds in ends.values()) == len(ITEMS) - completed
    counts = engine.job(job_id)["progress"]["counts"]
    assert counts["cancelled"] == len(ITEMS) - completed + 2  # and the fan-out and end nodes
    assert counts["completed"] == completed + 1  # and start
