"""The Durable HTTP API and the client's management calls: status, queries, terminate,
suspend/resume, purge, raise-event errors, starting over the webhook."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.devhost.conftest import WEBHOOKS, Driver
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow


def test_status_with_history_folds_scheduled_events_into_completions(driver: Driver) -> None:
    instance_id = driver.start("chain")
    driver.wait(instance_id)
    response = driver.status(instance_id, showHistory="true", showHistoryOutput="true")
    assert response.status_code == 200
    body = response.json()
    kinds = [e["EventType"] for e in body["historyEvents"]]
    assert kinds == [
        "ExecutionStarted",
        "TaskCompleted",
        "TaskCompleted",
        "TaskCompleted",
        "ExecutionCompleted",
    ]
    first = body["historyEvents"][1]
    assert first["FunctionName"] == "hello"
    assert first["Result"] == "Hello Tokyo"
    assert "ScheduledTime" in first and "EventId" not in first
    assert body["historyEvents"][-1]["OrchestrationStatus"] == "Completed"


def test_client_get_status_sees_history(driver: Driver) -> None:
    instance_id = driver.start("chain")
    driver.wait(instance_id)
    body = driver.http.get(f"/api/status/{instance_id}").json()
    assert body["runtimeStatus"] == "Completed"
    assert body["historyEvents"][0]["EventType"] == "ExecutionStarted"


def test_running_instance_status_is_202_with_location(driver: Driver) -> None:
    instance_id = driver.start("waits_forever")
    driver.wait(instance_id, until={"Running"})
    response = driver.status(instance_id)
    assert response.status_code == 202
    assert response.headers["Location"].endswith(f"/instances/{instance_id}")
    assert response.json()["customStatus"] == "waiting"
    driver.http.post(f"{WEBHOOKS}/instances/{instance_id}/terminate")


def test_unknown_instance_is_404(driver: Driver) -> None:
    assert driver.status("no-such-instance").status_code == 404
    assert driver.raise_event("no-such-instance", "x", 1).status_code == 404


def test_terminate_sets_reason_and_later_events_get_410(driver: Driver) -> None:
    instance_id = driver.start("waits_forever")
    driver.wait(instance_id, until={"Running"})
    assert driver.http.post(f"/api/manage/terminate/{instance_id}").status_code == 202
    status = driver.wait(instance_id, timeout=10)
    assert status["runtimeStatus"] == "Terminated"
    assert status["output"] == "stopped by test"
    assert driver.raise_event(instance_id, "go", 1).status_code == 410
    terminate_again = driver.http.post(f"{WEBHOOKS}/instances/{instance_id}/terminate")
    assert terminate_again.status_code == 410


def test_suspended_instance_holds_events_until_resumed(driver: Driver) -> None:
    instance_id = driver.start("waits_forever")
    driver.wait(instance_id, until={"Running"})
    assert driver.http.post(f"/api/manage/suspend/{instance_id}").status_code == 202
    assert driver.wait(instance_id, until={"Suspended"})["runtimeStatus"] == "Suspended"
    assert driver.raise_event(instance_id, "go", "value").status_code == 202
    time.sleep(0.5)
    assert driver.status(instance_id).json()["runtimeStatus"] == "Suspended"
    assert driver.http.post(f"/api/manage/resume/{instance_id}").status_code == 202
    status = driver.wait(instance_id, timeout=10, showHistory="true")
    assert status["output"] == "value"
    kinds = [e["EventType"] for e in status["historyEvents"]]
    assert "ExecutionSuspended" in kinds and "ExecutionResumed" in kinds


def test_purge_deletes_a_completed_instance_once(driver: Driver) -> None:
    instance_id = driver.start("chain")
    driver.wait(instance_id)
    assert driver.http.post(f"/api/manage/purge/{instance_id}").json() == {"deleted": 1}
    assert driver.status(instance_id).status_code == 404
    assert driver.http.delete(f"{WEBHOOKS}/instances/{instance_id}").status_code == 404


def test_purge_by_time_requires_created_time_from(driver: Driver) -> None:
    response = driver.http.delete(f"{WEBHOOKS}/instances/")
    assert response.status_code == 400


def test_purge_by_filters_deletes_matching_instances(driver: Driver) -> None:
    prefix = f"purge-{uuid.uuid4().hex[:6]}-"
    for n in range(3):
        driver.wait(driver.start("chain", instance_id=f"{prefix}{n}"))
    response = driver.http.delete(
        f"{WEBHOOKS}/instances/",
        params={"createdTimeFrom": "2000-01-01T00:00:00Z", "runtimeStatus": "Completed"},
    )
    assert response.status_code == 200
    assert response.json()["instancesDeleted"] >= 3
    assert driver.status(f"{prefix}0").status_code == 404


def test_client_purge_by_status_deletes_only_that_status(driver: Driver) -> None:
    terminated = driver.start("waits_forever")
    driver.wait(terminated, until={"Running"})
    driver.http.post(f"/api/manage/terminate/{terminated}")
    driver.wait(terminated)
    completed = driver.start("chain")
    driver.wait(completed)
    deleted = driver.http.post(f"/api/manage/purge_by/{completed}").json()["deleted"]
    assert deleted >= 1
    assert driver.status(terminated).status_code == 404
    assert driver.status(completed).status_code == 200


def test_list_filters_by_prefix_and_status_and_pages_with_continuation(driver: Driver) -> None:
    prefix = f"list-{uuid.uuid4().hex[:6]}-"
    for n in range(5):
        driver.wait(driver.start("chain", instance_id=f"{prefix}{n}"))
    params = {"instanceIdPrefix": prefix, "runtimeStatus": "Completed,Failed", "top": "2"}
    seen: list[str] = []
    headers: dict[str, str] = {}
    for _ in range(5):
        response = driver.http.get(f"{WEBHOOKS}/instances", params=params, headers=headers)
        assert response.status_code == 200
        seen += [s["instanceId"] for s in response.json()]
        token = response.headers.get("x-ms-continuation-token")
        if not token:
            break
        headers = {"x-ms-continuation-token": token}
    assert sorted(seen) == [f"{prefix}{n}" for n in range(5)]
    via_client = driver.http.get(
        "/api/instances", params={"prefix": prefix, "status": "Completed"}
    ).json()
    assert via_client == [f"{prefix}{n}" for n in range(5)]
    assert driver.http.get("/api/all").json() >= 1


def test_raise_event_needs_json_content_type(driver: Driver) -> None:
    instance_id = driver.start("waits_forever")
    driver.wait(instance_id, until={"Running"})
    response = driver.http.post(
        f"{WEBHOOKS}/instances/{instance_id}/raiseEvent/go",
        content=b"plain",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 400
    driver.http.post(f"{WEBHOOKS}/instances/{instance_id}/terminate")


def test_webhook_start_returns_check_status_payload(driver: Driver) -> None:
    response = driver.http.post(f"{WEBHOOKS}/orchestrators/chain")
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {
        "id",
        "statusQueryGetUri",
        "sendEventPostUri",
        "terminatePostUri",
        "purgeHistoryDeleteUri",
        "restartPostUri",
        "suspendPostUri",
        "resumePostUri",
    }
    assert response.headers["Location"] == body["statusQueryGetUri"]
    status_url = body["statusQueryGetUri"]
    status = wait_until(
        lambda: (r := driver.http.get(status_url)).status_code != 202 and r,
        10,
        "the orchestration",
    )
    assert status.json()["output"] == ["Hello Tokyo", "Hello Seattle", "Hello London"]


def test_webhook_start_with_wait_returns_output(driver: Driver) -> None:
    # A JSON object body reaches get_input() as a dict (the SDK re-dumps it).
    response = driver.http.post(
        f"{WEBHOOKS}/orchestrators/counter_loop",
        params={"timeout": "20", "pollingInterval": "0.1"},
        json={"n": 0, "limit": 2},
    )
    assert response.status_code == 200
    assert response.json() == 2


def test_webhook_start_of_unknown_orchestrator_is_400(driver: Driver) -> None:
    response = driver.http.post(f"{WEBHOOKS}/orchestrators/nope")
    assert response.status_code == 400


def test_starting_a_running_instance_id_is_rejected(driver: Driver) -> None:
    instance_id = f"dup-{uuid.uuid4().hex[:6]}"
    driver.start("waits_forever", instance_id=instance_id)
    response = driver.http.post(f"{WEBHOOKS}/orchestrators/waits_forever/{instance_id}")
    assert response.status_code == 500
    driver.http.post(f"{WEBHOOKS}/instances/{instance_id}/terminate")
    driver.wait(instance_id)
    # A final instance may be replaced by a new start with the same id.
    assert driver.http.post(f"{WEBHOOKS}/orchestrators/chain/{instance_id}").status_code == 202
    assert driver.wait(instance_id)["name"] == "chain"


def test_restart_starts_a_new_instance_with_the_same_input(driver: Driver) -> None:
    instance_id = driver.start("fan_out", 4)
    driver.wait(instance_id)
    response = driver.http.post(f"{WEBHOOKS}/instances/{instance_id}/restart")
    assert response.status_code == 202
    new_id = response.json()["id"]
    assert new_id != instance_id
    assert driver.wait(new_id)["output"] == 12
