"""Durable entities on devhost: batches, persisted state, calls, signals, failures."""

from __future__ import annotations

import pytest

from tests.devhost.conftest import WEBHOOKS, Driver
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow


def _read(driver: Driver, key: str) -> dict:
    return driver.http.get(f"/api/entity/Counter/{key}").json()


def _script(driver: Driver, key: str, ops: list, signals: list | None = None) -> str:
    return driver.start("entity_script", {"key": key, "ops": ops, "signals": signals or []})


def test_counter_called_and_signalled_from_20_orchestrations_ends_at_exact_sum(
    driver: Driver,
) -> None:
    ids = [driver.start("entity_user", amount) for amount in range(1, 21)]
    results = [driver.wait(i)["output"] for i in ids]
    # Each orchestration signals +n then calls +n: the entity sees 40 operations.
    assert _read(driver, "shared") == {"exists": True, "state": 2 * sum(range(1, 21))}
    # Every call response is a running total, and operations ran one at a time.
    assert len(set(results)) == 20
    assert max(results) == 2 * sum(range(1, 21))


def test_entity_operation_failure_reaches_caller_as_exception(driver: Driver) -> None:
    status = driver.run("entity_failure")
    assert status["output"] == "counter refuses"


def test_client_signal_and_read_entity_state(driver: Driver) -> None:
    assert driver.http.post("/api/entity/Counter/signalled?op=add", json=7).status_code == 202
    wait_until(
        lambda: _read(driver, "signalled") == {"exists": True, "state": 7},
        10,
        lambda: f"state 7, not {_read(driver, 'signalled')}",
    )


def test_http_api_reads_unknown_entity_as_404_and_signals_with_202(driver: Driver) -> None:
    assert driver.http.get(f"{WEBHOOKS}/entities/Counter/nobody").status_code == 404
    response = driver.http.post(f"{WEBHOOKS}/entities/Counter/viahttp?op=add", json="5")
    assert response.status_code == 202
    wait_until(
        lambda: driver.http.get(f"{WEBHOOKS}/entities/counter/viahttp").status_code == 200,
        10,
        "the entity to exist",
    )
    assert driver.http.get(f"{WEBHOOKS}/entities/counter/viahttp").json() == 5
    listed = driver.http.get(f"{WEBHOOKS}/entities/counter", params={"fetchState": "true"})
    assert {"name": "counter", "key": "viahttp"} in [e["entityId"] for e in listed.json()]


def test_operation_that_raises_fails_only_its_caller_and_keeps_the_state_it_set(
    driver: Driver,
) -> None:
    ops = [["add", 1], ["add_then_fail", 10], ["add", 100], ["fail", None], ["get", None]]
    status = driver.wait(_script(driver, "norollback", ops))
    assert status["output"] == [
        {"ok": 1},
        {"error": "added, then failed"},
        {"ok": 111},
        {"error": "counter refuses"},
        {"ok": 111},
    ]


def test_failing_signal_in_a_batch_leaves_the_other_operations_of_the_batch_applied(
    driver: Driver,
) -> None:
    signals = [["add", 1], ["add_then_fail", 10], ["fail", None], ["add", 100]]
    status = driver.wait(_script(driver, "batchmates", [["get", None]], signals))
    assert status["output"] == [{"ok": 111}]


def test_sdk_failure_keeps_state_and_queued_operations_and_the_batch_is_retried(
    driver: Driver,
) -> None:
    key = "poisoned"
    marker = driver.out_dir / f"poison-{key}"
    assert driver.wait(_script(driver, key, [["add", 5]]))["output"] == [{"ok": 5}]
    marker.touch()
    caller = _script(driver, key, [["poison", 10], ["add", 1]])
    failure = f"entity @counter@{key}: batch of 1 operation(s) failed"
    wait_until(
        lambda: driver.host.log_text().count(failure) >= 2,
        15,
        lambda: f"two failed attempts in the log: {driver.host.log_text()[-3000:]}",
    )
    assert "TypeError: class <class 'set'> does not expose" in driver.host.log_text()
    # Nothing of the failed batch was committed: the old state, the caller still waiting.
    assert _read(driver, key) == {"exists": True, "state": 5}
    assert driver.status(caller).json()["runtimeStatus"] == "Running"
    marker.unlink()
    assert driver.wait(caller)["output"] == [{"ok": 15}, {"ok": 16}]
    assert _read(driver, key) == {"exists": True, "state": 16}


def test_entity_calls_and_signals_mix_with_activities_and_timers_in_task_all_and_task_any(
    driver: Driver,
) -> None:
    status = driver.run("entity_fan_in", "mixed")
    assert status["runtimeStatus"] == "Completed", status
    # Signals are sent when they are made, calls when the task_all is yielded (both SDK
    # and host hand out sequence ids that way), and one orchestration's messages reach the
    # entity in sequence-id order.
    assert status["output"] == {"gathered": [3, 4, 42, None], "read": ["s1", "s2", "c1", "c2"]}


def test_entity_call_that_loses_task_any_does_not_keep_the_orchestration_running(
    driver: Driver,
) -> None:
    hold = driver.out_dir / "hold-race"
    hold.touch()
    status = driver.run("entity_race", "race")
    assert (status["runtimeStatus"], status["output"]) == ("Completed", "timer")
    assert driver.http.get(f"{WEBHOOKS}/entities/journal/race").status_code == 404
    hold.unlink()

    # The operation still runs; its late answer is dropped.
    def applied() -> bool:
        response = driver.http.get(f"{WEBHOOKS}/entities/journal/race")
        return response.status_code == 200 and response.json() == ["late"]

    wait_until(applied, 15, "the late operation to be applied")


def test_failed_entity_call_in_task_all_reaches_the_orchestrator(driver: Driver) -> None:
    status = driver.run("entity_fan_failure", "fanfail")
    assert status["output"] == {"error": "counter refuses"}


def test_calls_from_one_orchestration_to_one_entity_run_in_the_order_sent(
    driver: Driver,
) -> None:
    output = driver.run("entity_ordering", "ordered")["output"]
    assert output == {"counts": list(range(1, 16)), "entries": list(range(15))}
