"""Durable patterns end to end on a real devhost process, driven through the real client."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.devhost.conftest import Driver

pytestmark = pytest.mark.slow


def test_chaining_returns_results_in_order(driver: Driver) -> None:
    status = driver.run("chain")
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["Hello Tokyo", "Hello Seattle", "Hello London"]


def test_client_wait_for_completion_returns_output(driver: Driver) -> None:
    response = driver.http.post("/api/run/chain")
    assert response.status_code == 200
    assert response.json() == ["Hello Tokyo", "Hello Seattle", "Hello London"]


def test_fan_out_fan_in_of_500_activities_sums_every_result(driver: Driver) -> None:
    started = time.monotonic()
    status = driver.run("fan_out", 500, timeout=60)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == sum(i * 2 for i in range(500))
    assert time.monotonic() - started < 30


def test_activity_concurrency_is_bounded_by_host_json(driver: Driver) -> None:
    # tests/devhost_app/host.json sets maxConcurrentActivityFunctions to 16.
    peak = driver.run("probe_concurrency")["output"]
    assert 4 <= peak <= 16


def test_event_before_timer_approves_and_cancels_timer(driver: Driver) -> None:
    instance_id = driver.start("approval", 30)
    driver.wait(instance_id, until={"Running"})
    assert driver.raise_event(instance_id, "Approve", {"by": "ana"}).status_code == 202
    status = driver.wait(instance_id, timeout=10, showHistory="true")
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == {"approved": {"by": "ana"}}
    # The canceled timer never fired, yet the instance completed at once.
    kinds = [e["EventType"] for e in status["historyEvents"]]
    assert "TimerFired" not in kinds


def test_timer_before_event_times_out(driver: Driver) -> None:
    status = driver.run("approval", 1, timeout=15)
    assert status["output"] == "timeout"


def test_event_raised_before_wait_is_buffered(driver: Driver) -> None:
    instance_id = driver.start("wait_two_events")
    driver.wait(instance_id, until={"Running"})
    # B arrives while the orchestration still waits for A: it must be kept, not lost.
    assert driver.raise_event(instance_id, "B", "second").status_code == 202
    time.sleep(0.3)
    assert driver.raise_event(instance_id, "A", "first").status_code == 202
    status = driver.wait(instance_id, timeout=10)
    assert status["output"] == ["first", "second"]


def test_client_raise_event_double_encodes_string_data_like_azure(driver: Driver) -> None:
    instance_id = driver.start("waits_forever")
    driver.wait(instance_id, until={"Running"})
    assert driver.http.post(f"/api/raise/{instance_id}/go", json="1234").status_code == 202
    status = driver.wait(instance_id, timeout=10)
    assert status["output"] == '"1234"'


def test_durable_timer_fires(driver: Driver) -> None:
    started = time.monotonic()
    status = driver.run("durable_timer", 1, timeout=15)
    assert status["output"] == "fired"
    assert time.monotonic() - started >= 1


def test_retry_succeeds_after_failures(driver: Driver) -> None:
    key = uuid.uuid4().hex
    status = driver.run("retrying", {"key": key, "fail_times": 2, "attempts": 3})
    assert status["output"] == "ok after 3"


def test_retry_exhausting_attempts_reports_last_failure(driver: Driver) -> None:
    key = uuid.uuid4().hex
    status = driver.run("retrying", {"key": key, "fail_times": 9, "attempts": 2}, timeout=20)
    error = status["output"]["error"]
    assert error.startswith("Activity function 'flaky' failed: ValueError: attempt 2 failed")
    assert (driver.out_dir / f"flaky-{key}").read_text() == "2"


def test_sub_orchestrations_return_results_and_propagate_failure(driver: Driver) -> None:
    instance_id = driver.start("parent")
    status = driver.wait(instance_id)
    assert status["output"]["ok"] == 42
    assert status["output"]["named"] == 10
    assert "Orchestrator function 'child' failed: child exploded" in status["output"]["error"]
    named_child = driver.wait(f"{instance_id}-named")
    assert named_child["runtimeStatus"] == "Completed"


def test_sub_orchestration_with_retry_fails_after_attempts(driver: Driver) -> None:
    status = driver.run("parent_retry")
    assert "child exploded" in status["output"]["error"]


def test_continue_as_new_loops_with_fresh_history(driver: Driver) -> None:
    instance_id = driver.start("counter_loop", {"n": 0, "limit": 6})
    status = driver.wait(instance_id, showHistory="true")
    assert status["output"] == 6
    assert status["customStatus"] == {"n": 6}
    started = [e for e in status["historyEvents"] if e["EventType"] == "ExecutionStarted"]
    assert len(started) == 1  # only the last execution's history remains


def test_new_uuid_and_current_time_are_deterministic_across_replays(driver: Driver) -> None:
    status = driver.run("deterministic")
    output = status["output"]
    assert output["echoed"] == output["before"]
    assert output["second"] != output["before"][0]
    assert status["customStatus"] == "stage-2"


def test_activity_failure_fails_orchestration_with_reason(driver: Driver) -> None:
    status = driver.run("failing")
    assert status["runtimeStatus"] == "Failed"
    assert status["output"].startswith(
        "Orchestrator function 'failing' failed: Activity function 'explode' failed: "
        "RuntimeError: kaboom"
    )
    details = json.loads(status["output"].split("\n")[1])
    assert details["Message"].split(":", 1)[1].lstrip() == "kaboom"
    response = driver.status(status["instanceId"], returnInternalServerErrorOnFailure="true")
    assert response.status_code == 500


def test_call_http_makes_one_request_and_returns_status_and_content(driver: Driver) -> None:
    url = f"{driver.host.base_url}/api/items/3?q=from-orchestrator"
    status = driver.run("http_call", url)
    assert status["runtimeStatus"] == "Completed", status
    response = status["output"]
    assert response["statusCode"] == 200
    assert json.loads(response["content"])["q"] == "from-orchestrator"


def test_worker_style_event_name_with_colons_over_http_api(driver: Driver) -> None:
    # The container worker raises `task:<node>:<attempt>` with a JSON object body.
    instance_id = driver.start("wait_named", "task:validate:2")
    driver.wait(instance_id, until={"Running"})
    response = driver.raise_event(instance_id, "task:validate:2", {"ok": True, "size": 7})
    assert response.status_code == 202
    assert driver.wait(instance_id, timeout=10)["output"] == {"ok": True, "size": 7}
