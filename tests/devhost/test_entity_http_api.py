"""The entity routes of the Durable HTTP API, as the extension serves them: read, signal,
delete, list with filters and paging; names are case-insensitive, keys are exact."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from devhost.timeutil import parse_ts, to_history_ts
from tests.devhost.conftest import WEBHOOKS, Driver
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow
ENTITIES = f"{WEBHOOKS}/entities"


def _state_when_ready(driver: Driver, path: str, expected: Any, timeout: float = 15) -> None:
    def reached() -> bool:
        response = driver.http.get(f"{ENTITIES}/{path}")
        return response.status_code == 200 and response.json() == expected

    wait_until(reached, timeout, f"state {expected!r} at {path}")


def _signal(driver: Driver, path: str, op: str, **kwargs: Any) -> httpx.Response:
    return driver.http.post(f"{ENTITIES}/{path}", params={"op": op}, **kwargs)


def _list(driver: Driver, path: str = "", **params: str) -> list[dict[str, Any]]:
    response = driver.http.get(ENTITIES + path, params=params)
    assert response.status_code == 200, response.text
    return list(response.json())


def test_get_reads_state_with_a_case_insensitive_name(driver: Driver) -> None:
    assert _signal(driver, "Counter/casing", "add", json="4").status_code == 202
    _state_when_ready(driver, "COUNTER/casing", 4)
    assert driver.http.get(f"{ENTITIES}/counter/CASING").status_code == 404


def test_signal_body_reaches_the_entity_as_the_extension_encodes_it(driver: Driver) -> None:
    # A Python entity reads its input as JSON text inside a JSON string: a JSON string body
    # ("3") or a plain-text body (3) works; a bare JSON number is not readable (the
    # operation fails and the state stays).
    assert _signal(driver, "counter/bodies", "add", json="3").status_code == 202
    _state_when_ready(driver, "counter/bodies", 3)
    plain = {"content": b"4", "headers": {"content-type": "text/plain"}}
    assert _signal(driver, "counter/bodies", "add", **plain).status_code == 202
    _state_when_ready(driver, "counter/bodies", 7)
    assert _signal(driver, "counter/bodies", "add", json=5).status_code == 202
    assert _signal(driver, "counter/bodies", "add", json="10").status_code == 202
    _state_when_ready(driver, "counter/bodies", 17)


def test_signal_without_body_runs_the_operation_without_input(driver: Driver) -> None:
    assert _signal(driver, "counter/nobody", "reset").status_code == 202
    _state_when_ready(driver, "counter/nobody", 0)


def test_signal_with_invalid_json_is_400(driver: Driver) -> None:
    response = _signal(
        driver, "counter/badjson", "add", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "Could not parse JSON content" in response.json()["Message"]


def test_signal_to_an_unknown_entity_name_is_404(driver: Driver) -> None:
    assert _signal(driver, "nosuchentity/k", "add", json="1").status_code == 404


def test_signal_with_a_key_holding_a_forbidden_character_is_400(driver: Driver) -> None:
    response = _signal(driver, "counter/a%23b", "add", json="1")
    assert response.status_code == 400
    assert "entity keys must not contain" in response.json()["Message"]


def test_delete_signals_the_delete_operation_and_the_entity_is_gone(driver: Driver) -> None:
    assert _signal(driver, "counter/doomed", "add", json="2").status_code == 202
    _state_when_ready(driver, "counter/doomed", 2)
    assert driver.http.delete(f"{ENTITIES}/counter/doomed").status_code == 202
    wait_until(
        lambda: driver.http.get(f"{ENTITIES}/counter/doomed").status_code == 404,
        15,
        "the deleted entity to read as 404",
    )
    assert "doomed" not in [e["entityId"]["key"] for e in _list(driver, "/counter")]


def test_dollar_key_reads_the_empty_key_that_a_keyless_signal_targets(driver: Driver) -> None:
    assert driver.http.post(f"{ENTITIES}/counter", params={"op": "add"}, json="6").status_code == (
        202
    )
    _state_when_ready(driver, "counter/$", 6)
    assert {"name": "counter", "key": ""} in [e["entityId"] for e in _list(driver, "/counter")]


@pytest.mark.parametrize(
    ("url_key", "key"),
    [("a%20b", "a b"), ("x+y", "x y"), ("x%2By", "x+y"), ("a@b", "a@b"), ("%D0%BA%D0%BB", "кл")],
)
def test_keys_with_odd_characters_are_decoded_as_the_extension_decodes_them(
    driver: Driver, url_key: str, key: str
) -> None:
    assert _signal(driver, f"counter/{url_key}", "add", json="1").status_code == 202
    _state_when_ready(driver, f"counter/{url_key}", 1)
    listed = {e["entityId"]["key"] for e in _list(driver, "/counter")}
    assert key in listed


def test_listing_filters_by_exact_name_and_lists_every_name_without_one(
    driver: Driver,
) -> None:
    assert _signal(driver, "counter/listed", "add", json="1").status_code == 202
    _state_when_ready(driver, "counter/listed", 1)
    assert driver.run("entity_ordering", "listed-journal")["runtimeStatus"] == "Completed"
    everything = {(e["entityId"]["name"], e["entityId"]["key"]) for e in _list(driver)}
    assert {("counter", "listed"), ("journal", "listed-journal")} <= everything
    assert _list(driver, "/") == _list(driver)
    counters = {e["entityId"]["name"] for e in _list(driver, "/Counter")}
    assert counters == {"counter"}
    # '_' and '%' are no wildcards.
    assert _list(driver, "/counte_") == []
    assert _list(driver, "/count%25") == []


def test_listing_returns_state_only_with_fetch_state(driver: Driver) -> None:
    assert _signal(driver, "counter/fetched", "add", json="8").status_code == 202
    _state_when_ready(driver, "counter/fetched", 8)
    plain = next(e for e in _list(driver, "/counter") if e["entityId"]["key"] == "fetched")
    assert set(plain) == {"entityId", "lastOperationTime"}
    full = _list(driver, "/counter", fetchState="true")
    assert next(e for e in full if e["entityId"]["key"] == "fetched")["state"] == 8


def test_listing_pages_with_top_and_the_continuation_token_header(driver: Driver) -> None:
    for n in range(5):
        assert _signal(driver, f"journal/page-{n}", "append", json='"x"').status_code == 202
    for n in range(5):
        _state_when_ready(driver, f"journal/page-{n}", ["x"])
    expected = [e["entityId"] for e in _list(driver, "/journal")]
    seen: list[dict[str, str]] = []
    headers: dict[str, str] = {}
    while True:
        response = driver.http.get(f"{ENTITIES}/journal", params={"top": "2"}, headers=headers)
        page = response.json()
        assert len(page) <= 2
        seen += [e["entityId"] for e in page]
        token = response.headers.get("x-ms-continuation-token")
        if token is None:
            break
        headers = {"x-ms-continuation-token": token}
    assert seen == expected


def test_listing_filters_by_last_operation_time(driver: Driver) -> None:
    assert _signal(driver, "counter/early", "add", json="1").status_code == 202
    _state_when_ready(driver, "counter/early", 1)
    time.sleep(0.01)
    assert _signal(driver, "counter/late", "add", json="1").status_code == 202
    _state_when_ready(driver, "counter/late", 1)
    times = {e["entityId"]["key"]: e["lastOperationTime"] for e in _list(driver, "/counter")}
    after_early = to_history_ts(parse_ts(times["early"]) + timedelta(microseconds=1))
    since = {
        e["entityId"]["key"] for e in _list(driver, "/counter", lastOperationTimeFrom=after_early)
    }
    assert "late" in since and "early" not in since
    until = {
        e["entityId"]["key"] for e in _list(driver, "/counter", lastOperationTimeTo=times["early"])
    }
    assert "early" in until and "late" not in until


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"top": "0"}, "top"),
        ({"top": "many"}, "top"),
        ({"lastOperationTimeFrom": "soon"}, "lastOperationTimeFrom"),
    ],
)
def test_listing_with_a_bad_parameter_is_400_naming_it(
    driver: Driver, params: dict[str, str], field: str
) -> None:
    response = driver.http.get(ENTITIES, params=params)
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["Message"]


def test_listing_with_a_malformed_continuation_token_is_400(driver: Driver) -> None:
    response = driver.http.get(ENTITIES, headers={"x-ms-continuation-token": "@@@"})
    assert response.status_code == 400
