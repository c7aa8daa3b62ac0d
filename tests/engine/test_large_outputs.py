"""Outputs over the large-output limit (32 KB) go to blob storage and stay usable: small
fields in conditions, the offloaded list in a fan-out, the whole value in a handler's params."""

import json

from domain.offload import is_ref

COUNT = 300  # ~72 KB of items, and wider than one batch of 100


def test_fan_out_over_an_offloaded_list_runs_every_item(engine):
    job = engine.wait(engine.submit("large_output_test", {"count": COUNT}), timeout=120)
    assert job["status"] == "completed", job
    result = job["output"]["result"]
    assert result["count"] == COUNT
    assert result["names"] == [f"item-{i}" for i in range(COUNT)]


def test_handler_receives_the_whole_offloaded_value_and_a_part_of_it(engine):
    job = engine.wait(engine.submit("large_output_test", {"count": COUNT}), timeout=120)
    assert job["output"]["result"]["first"] == "item-0"
    assert job["output"]["result"]["received"] == COUNT  # the list itself, not its reference


def test_history_carries_the_stub_not_the_output(engine):
    job_id = engine.submit("large_output_test", {"count": COUNT})
    engine.wait(job_id, timeout=120)
    history = engine.durable_status(job_id, history=True)["historyEvents"]
    assert "x" * 200 not in json.dumps(history)  # no item's filler crossed the history
    plan = engine.nodes(job_id)["plan"]
    assert plan["output"]["count"] == COUNT
    assert is_ref(plan["output"]["items"])


def test_job_output_reads_large_outputs_back_unless_asked_not_to(engine):
    job_id = engine.submit("large_output_test", {"count": COUNT})
    job = engine.wait(job_id, timeout=120)
    assert len(job["output"]["result"]["plan"]["items"]) == COUNT
    raw = engine.call("GET", f"/api/jobs/{job_id}", params={"resolve": "false"}).json()
    assert is_ref(raw["output"]["result"]["plan"]["items"])
