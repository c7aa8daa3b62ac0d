"""A wide fan-out completes with a bounded parent history; a devhost crash mid-run loses
nothing and records nothing twice."""

import time


def test_a_1000_wide_fan_out_completes(engine):
    job_id = engine.submit("wide_fan_out_test", {"items": list(range(1000))})
    job = engine.wait(job_id, timeout=240)
    assert job["status"] == "completed", job
    assert job["output"]["result"] == sum(range(1000))
    parent = engine.durable_status(job_id, history=True)["historyEvents"]
    assert len(parent) < 120  # 10 batch sub-orchestrations, not 1,000 activities


def test_devhost_killed_during_a_fan_out_resumes_and_records_each_event_once(engine):
    job_id = engine.submit("wide_fan_out_test", {"items": list(range(200))})
    engine.wait(job_id, until={"running"})
    time.sleep(1.0)
    engine.host.kill()
    engine.host.restart()
    job = engine.wait(job_id, timeout=240)
    assert job["status"] == "completed", job
    assert job["output"]["result"] == sum(range(200))
    timeline = engine.timeline(job_id)
    assert [e["seq"] for e in timeline] == list(range(len(timeline)))
    completed = [e["node_id"] for e in timeline if e["kind"] == "node.completed"]
    assert len(completed) == len(set(completed)) == 200 + 4  # children, start, fan-out, fan-in, end
