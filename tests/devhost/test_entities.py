"""Durable entities on devhost: batches, persisted state, calls, signals, failures."""

from __future__ import annotations

import pytest

from tests.devhost.conftest import WEBHOOKS, Driver
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow


def _read(driver: Driver, key: str) -> dict:
    return driver.http.get(f"/api/entity/Counter/{key}").json()


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
